import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRegistry } from '../registry/index.js';
import { fingerprintVersion } from './fingerprint/fingerprint.js';
import { IDENTITY_PROFILES, resolveProfile } from './profiles.js';
import { IdentityService } from './service.js';
import { loadIdentitySettings, readProfileNameSync } from './settings.js';

describe('identity profiles', () => {
  it('resolves known names and names the known ones for an unknown name', () => {
    expect(resolveProfile('fingerprint').fingerprint.normalise?.localNormalise).toEqual({ sigma: 4, minStd: 8 });
    expect(resolveProfile('parts')).toBe(IDENTITY_PROFILES.parts);
    expect(() => resolveProfile('toString')).toThrow(/unknown identity profile "toString" \(known: parts, fingerprint\)/);
    expect(fingerprintVersion(IDENTITY_PROFILES.parts.fingerprint)).not.toBe(fingerprintVersion(IDENTITY_PROFILES.fingerprint.fingerprint));
  });

  it('a registry uses the profile named in its settings.json, with that profile threshold until calibrated', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-prof-'));
    const reg = await openRegistry({ dataDir: dir });
    try {
      const idDir = path.join(dir, 'identity');
      expect(readProfileNameSync(idDir)).toBe('parts');
      const plain = new IdentityService(reg);
      expect(plain.profile.name).toBe('parts');

      mkdirSync(idDir, { recursive: true });
      writeFileSync(path.join(idDir, 'settings.json'), JSON.stringify({ profile: 'fingerprint' }));
      const svc = new IdentityService(reg);
      expect(svc.profile.name).toBe('fingerprint');
      expect(svc.version).toBe(fingerprintVersion(IDENTITY_PROFILES.fingerprint.fingerprint));
      expect(svc.version).not.toBe(plain.version);
      const s = await loadIdentitySettings(idDir);
      expect(s).toMatchObject({ profile: 'fingerprint', threshold: IDENTITY_PROFILES.fingerprint.threshold, calibration: null });
      // An explicit option wins over the file.
      expect(new IdentityService(reg, { profile: 'parts' }).version).toBe(plain.version);

      writeFileSync(path.join(idDir, 'settings.json'), JSON.stringify({ profile: 'fingerprints' }));
      expect(() => new IdentityService(reg)).toThrow(/settings\.json: "profile" is "fingerprints"; known profiles: parts, fingerprint/);
    } finally {
      await reg.close();
    }
  });
});
