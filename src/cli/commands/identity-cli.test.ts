import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeGreyPng, type GreyImage } from '../../imaging/index.js';
import { makeFlat, makeTexture, recapture } from '../../../test/helpers/test-images.js';
import { FINGERPRINT_KIND, IdentityService } from '../../identity/index.js';
import { openRegistry } from '../../registry/index.js';
import { runCliCaptured } from '../../../test/helpers/cli.js';

const cli = runCliCaptured;

describe('identity commands', () => {
  it('register, verify, identify, reject bad captures and unregistered parts, calibrate, eval', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-id-'));
    const dataDir = path.join(dir, 'data');
    const data = ['--data', dataDir];
    const file = async (name: string, img: GreyImage) => {
      const f = path.join(dir, name);
      await writeGreyPng(img, f);
      return f;
    };
    const tex = [await makeTexture(11), await makeTexture(12), await makeTexture(13), await makeTexture(14)];
    for (const [i, serial] of ['A-1', 'A-2', 'A-3'].entries()) {
      const r = await cli('register', serial, await file(`${serial}.png`, tex[i]), '--create-part', '--json', ...data);
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ status: 'registered', serial });
    }
    // Unknown part without --create-part: not found, nothing stored.
    expect((await cli('register', 'B-9', path.join(dir, 'A-1.png'), ...data)).code).toBe(4);
    // Bad captures: a clear reason, exit 10, nothing stored.
    const flat = await cli('register', 'A-1', await file('flat.png', makeFlat(128)), ...data);
    expect(flat.code).toBe(10);
    expect(flat.out).toMatch(/rejected \(no-texture\)/);
    expect((await cli('register', 'A-1', await file('black.png', makeFlat(0)), ...data)).out).toMatch(/too-dark/);
    expect((await cli('register', 'A-1', await file('white.png', makeFlat(255)), ...data)).out).toMatch(/too-bright/);
    expect((await cli('verify', 'A-1', await file('tiny.png', makeFlat(90, 12, 12)), ...data)).out).toMatch(/too-small/);

    // 1:1
    const probe1 = await file('p1.png', await recapture(tex[0], { angleDeg: 30, scale: 0.9, shiftX: 5 }));
    const ev = path.join(dir, 'evidence.png');
    const same = await cli('verify', 'A-1', probe1, '--evidence', ev, ...data);
    expect(same.code, same.out + same.err).toBe(0);
    expect(same.out).toMatch(/^MATCH: A-1/);
    expect(readFileSync(ev).subarray(1, 4).toString()).toBe('PNG');
    const diff = await cli('verify', 'A-2', probe1, '--json', ...data);
    expect(diff.code).toBe(10);
    expect(JSON.parse(diff.out)).toMatchObject({ status: 'no-match', decision: 'no-match', same: false });
    expect((await cli('verify', 'Z-0', probe1, ...data)).code).toBe(4);

    // 1:N: rotated, rescaled probe found; unregistered and mirrored probes are not.
    const probe2 = await file('p2.png', await recapture(tex[1], { angleDeg: 90, scale: 1.15, gain: 0.8, offset: 20 }));
    const id = await cli('identify', probe2, '--json', ...data);
    expect(id.code, id.err).toBe(0);
    const idj = JSON.parse(id.out);
    expect(idj.status).toBe('identified');
    expect(idj.serial).toBe('A-2');
    expect(idj.candidates[0]).toMatchObject({ serial: 'A-2', same: true });
    const unknown = await cli('identify', await file('u.png', tex[3]), ...data);
    expect(unknown.code).toBe(10);
    expect(unknown.out).toMatch(/^NOT REGISTERED/);
    expect((await cli('identify', await file('m.png', await recapture(tex[0], { mirror: true })), ...data)).code).toBe(10);

    // The index is rebuilt from the database when missing.
    rmSync(path.join(dataDir, 'identity', 'shortlist.bin'));
    expect((await cli('identify', probe2, ...data)).code).toBe(0);
    expect(existsSync(path.join(dataDir, 'identity', 'shortlist.bin'))).toBe(true);

    // Second captures, then calibration from the registry stores a threshold.
    for (const [i, serial] of ['A-1', 'A-2', 'A-3'].entries()) {
      expect((await cli('register', serial, await file(`${serial}-2.png`, await recapture(tex[i], { angleDeg: -20 * (i + 1), seed: i })), ...data)).code).toBe(0);
    }
    const cal = await cli('identity', 'calibrate', '--target-fmr', '0.01', '--out', path.join(dir, 'cal'), '--json', ...data);
    expect(cal.code, cal.err).toBe(0);
    const calj = JSON.parse(cal.out);
    // One probe per part (its second capture), identified with and without the part in the gallery.
    expect(calj).toMatchObject({ genuine: 3, impostor: 3, eer: 0, probes: { real: 3, synthetic: 0, lookalikes: 0 } });
    const settings = JSON.parse(readFileSync(path.join(dataDir, 'identity', 'settings.json'), 'utf8'));
    expect(settings.threshold).toBeCloseTo(calj.threshold, 10);
    expect(readFileSync(path.join(dir, 'cal', 'det.svg'), 'utf8')).toContain('<svg');

    // Labelled folder evaluation (one folder per item).
    for (const [i, label] of ['x', 'y', 'z'].entries()) {
      mkdirSync(path.join(dir, 'lab', label), { recursive: true });
      await writeGreyPng(tex[i], path.join(dir, 'lab', label, '1.png'));
      await writeGreyPng(await recapture(tex[i], { angleDeg: 45 }), path.join(dir, 'lab', label, '2.png'));
    }
    const evr = await cli('identity', 'eval', path.join(dir, 'lab'), '--json');
    expect(evr.code, evr.err).toBe(0);
    expect(JSON.parse(evr.out)).toMatchObject({ genuine: 3, impostor: 12, rank1: { correct: 3, probes: 3 }, profile: 'parts' });
    const evf = await cli('identity', 'eval', path.join(dir, 'lab'), '--profile', 'fingerprint', '--json');
    expect(evf.code, evf.err).toBe(0);
    expect(JSON.parse(evf.out)).toMatchObject({ genuine: 3, impostor: 12, rank1: { correct: 3, probes: 3 }, profile: 'fingerprint' });
    // A folder with one image per label has no genuine pairs: a clear failure, not EER 0.
    for (const label of ['x', 'y', 'z']) rmSync(path.join(dir, 'lab', label, '2.png'));
    const noGenuine = await cli('identity', 'eval', path.join(dir, 'lab'), '--json');
    expect(noGenuine.code).toBe(3);
    expect(noGenuine.err).toMatch(/no genuine pairs among 3 images/);
    const badProfile = await cli('identity', 'eval', path.join(dir, 'lab'), '--profile', 'fingerprints');
    expect(badProfile.code).not.toBe(0);
    expect(badProfile.err).toMatch(/unknown identity profile "fingerprints" \(known: parts, fingerprint\)/);

    // Switching the registry's profile re-extracts the fingerprints and resets the threshold.
    const prof = await cli('identity', 'profile', 'fingerprint', '--json', ...data);
    expect(prof.code, prof.err).toBe(0);
    const profj = JSON.parse(prof.out);
    expect(profj).toMatchObject({ profile: 'fingerprint', changed: true });
    expect(profj.version).toContain('ln4s8');
    const settings2 = JSON.parse(readFileSync(path.join(dataDir, 'identity', 'settings.json'), 'utf8'));
    expect(settings2).toMatchObject({ profile: 'fingerprint', calibration: null });
    expect((await cli('verify', 'A-1', probe1, ...data)).out).toMatch(/^MATCH: A-1/);
    expect(JSON.parse((await cli('identify', probe2, '--json', ...data)).out)).toMatchObject({ status: 'identified', serial: 'A-2' });
    expect(JSON.parse((await cli('identity', 'profile', '--json', ...data)).out)).toMatchObject({ profile: 'fingerprint', changed: false });
  });

  it('re-extracts fingerprints whose extractor version changed', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-id2-'));
    const reg = await openRegistry({ dataDir: dir });
    try {
      const svc = new IdentityService(reg);
      const f = path.join(dir, 'a.png');
      await writeGreyPng(await makeTexture(21), f);
      const r = await svc.register('V-1', f, {}, { createPart: true });
      expect(r.status).toBe('registered');
      if (r.status !== 'registered') return;
      const old = await reg.features.get(r.capture.id, FINGERPRINT_KIND);
      await reg.features.put({ captureId: r.capture.id, kind: FINGERPRINT_KIND, version: 'akaze-old/v0', data: old!.data });
      const svc2 = new IdentityService(reg);
      const refreshed = await svc2.refreshFingerprints();
      expect(refreshed).toMatchObject({ checked: 1, extracted: 1, rejected: 0 });
      expect((await reg.features.get(r.capture.id, FINGERPRINT_KIND))!.version).toBe(svc2.version);
    } finally {
      await reg.close();
    }
  });

  it('calibrates a registry with one capture per part, and reindex names the captures it cannot fingerprint', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-id3-'));
    const data = ['--data', path.join(dir, 'data')];
    for (let i = 0; i < 4; i++) {
      const f = path.join(dir, `p${i}.png`);
      await writeGreyPng(await makeTexture(300 + i), f);
      expect((await cli('register', `ONE-${i}`, f, '--create-part', ...data)).code).toBe(0);
    }
    const cal = await cli('identity', 'calibrate', '--target-fmr', '0.01', '--json', ...data);
    expect(cal.code, cal.err).toBe(0);
    const calj = JSON.parse(cal.out);
    // Every part probed by a synthetic recapture of its registered image; genuine scores well above every impostor.
    expect(calj).toMatchObject({ genuine: 4, impostor: 4, probes: { real: 0, synthetic: 4, lookalikes: 0 }, stored: true });
    expect(calj.eer).toBe(0);

    // A capture added without a fingerprint whose image has no texture: reindex says which and why.
    const reg = await openRegistry({ dataDir: path.join(dir, 'data') });
    try {
      const flat = path.join(dir, 'flat.png');
      await writeGreyPng(makeFlat(128, 256, 256), flat);
      await reg.captures.add('ONE-0', flat, {}, { name: 'flat.png' });
    } finally {
      await reg.close();
    }
    const re = await cli('identity', 'reindex', '--json', ...data);
    expect(re.code).toBe(3);
    const rej = JSON.parse(re.out);
    expect(rej).toMatchObject({ captures: 5, indexed: 4 });
    expect(rej.failures).toHaveLength(1);
    expect(rej.failures[0]).toMatchObject({ serial: 'ONE-0', reason: 'no-texture' });
  });

  it('shows progress while the first register after an import fingerprints the stored captures', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-id4-'));
    const data = ['--data', path.join(dir, 'data')];
    for (let i = 0; i < 2; i++) await writeGreyPng(await makeTexture(400 + i), path.join(dir, `s${i}.png`));
    // Imported parts have captures but no fingerprints and no index yet.
    expect((await cli('parts', 'add', 'IMP-1', '--image', path.join(dir, 's0.png'), ...data)).code).toBe(0);
    const before = process.env.PARTPRINT_PROGRESS_INTERVAL_MS;
    process.env.PARTPRINT_PROGRESS_INTERVAL_MS = '0';
    try {
      const r = await cli('register', 'NEW-1', path.join(dir, 's1.png'), '--create-part', ...data);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toMatch(/fingerprint stored captures 0\/1/);
    } finally {
      if (before === undefined) delete process.env.PARTPRINT_PROGRESS_INTERVAL_MS;
      else process.env.PARTPRINT_PROGRESS_INTERVAL_MS = before;
    }
  });
});
