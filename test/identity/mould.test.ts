/**
 * Identity on parts of one mould (src/synth/mould, development range): the parts share the mould's
 * form, machining marks and fine texture, and only a small individual relief tells them apart.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IdentityService, PROFILE_NAMES, saveIdentitySettings, loadIdentitySettings } from '../../src/identity/index.js';
import { openRegistry } from '../../src/registry/index.js';
import { renderMouldSet } from '../../src/synth/index.js';

describe('identity on same-mould parts', () => {
  it('registers a 1024 px capture with every profile', async () => {
    const set = await renderMouldSet({ partsPerMould: 1, recaptures: 0, lookalikesPerMould: 0, size: 1024, encode: true, seed: 5 });
    const cap = set.captures[0];
    for (const profile of PROFILE_NAMES) {
      const reg = await openRegistry({ dataDir: mkdtempSync(path.join(os.tmpdir(), `pp-mould-${profile}-`)) });
      try {
        await saveIdentitySettings(path.join(reg.dataDir, 'identity'), { ...(await loadIdentitySettings(path.join(reg.dataDir, 'identity'))), profile });
        const r = await new IdentityService(reg).register(cap.serial, cap.bytes!, { pixelSizeUm: 5 }, { createPart: true, name: 'reg.png' });
        expect(r.status, `${profile}: ${r.status === 'rejected' ? r.quality.message : ''}`).toBe('registered');
      } finally {
        await reg.close();
      }
    }
  }, 120_000);

  it('identifies a recapture and rejects look-alikes from the same mould', async () => {
    const set = await renderMouldSet({ partsPerMould: 5, recaptures: 1, lookalikesPerMould: 3, size: 1024, encode: true, seed: 11 });
    const reg = await openRegistry({ dataDir: mkdtempSync(path.join(os.tmpdir(), 'pp-mould-id-')) });
    try {
      const svc = new IdentityService(reg);
      for (const c of set.captures.filter((c) => c.role === 'registered')) {
        expect((await svc.register(c.serial, c.bytes!, { pixelSizeUm: 5 }, { createPart: true, name: `${c.serial}.png` })).status).toBe('registered');
      }
      const lines: string[] = [];
      let identified = 0, verified = 0, recaptures = 0, mostInliers = 0;
      for (const c of set.captures.filter((c) => c.role === 'recapture')) {
        const r = await svc.identify(c.bytes!, { pixelSizeUm: 5 });
        recaptures++;
        if (r.status === 'identified' && r.candidates[0].serial === c.serial) identified++;
        const v = await svc.verify(c.serial, c.bytes!, { pixelSizeUm: 5 });
        lines.push(`${c.serial} verify: ${v.status} ${v.status !== 'rejected' ? v.reason : ''}`);
        if (v.status === 'match') verified++;
        lines.push(`${c.serial} recapture: ${r.status} ${r.status !== 'rejected' ? r.reason : ''}`);
      }
      for (const c of set.captures.filter((c) => c.role === 'lookalike')) {
        const r = await svc.identify(c.bytes!, { pixelSizeUm: 5 });
        lines.push(`${c.serial} look-alike: ${r.status} ${r.status !== 'rejected' ? r.reason : ''}`);
        if (r.status !== 'rejected') mostInliers = Math.max(mostInliers, ...r.candidates.map((x) => x.inliers));
        expect(r.status, lines.join('\n')).toBe('not-registered');
        // Identified nothing as captured, so relit views were tried too (profile relight.whenUnidentified).
        expect(r.status !== 'rejected' && r.reason, lines.join('\n')).toMatch(/relit by/);
        // 1:1 too: a look-alike presented as a registered sibling is not that part.
        const v = await svc.verify('M01-P0001', c.bytes!, { pixelSizeUm: 5 });
        lines.push(`${c.serial} as M01-P0001: ${v.status} ${v.status !== 'rejected' ? v.reason : ''}`);
        expect(v.status, lines.join('\n')).toBe('no-match');
      }
      // The look-alikes do match their registered siblings on the mould's pattern (so inlier counts alone cannot reject them).
      expect(mostInliers, lines.join('\n')).toBeGreaterThanOrEqual(20);
      expect(identified, lines.join('\n')).toBeGreaterThanOrEqual(recaptures - 1);
      expect(verified, lines.join('\n')).toBeGreaterThanOrEqual(recaptures - 1);
    } finally {
      await reg.close();
    }
  }, 240_000);

  it('identifies recaptures lit 30-40 degrees away from the registration (relit probe views) and still rejects look-alikes', async () => {
    const set = await renderMouldSet({ partsPerMould: 5, recaptures: 1, lookalikesPerMould: 2, size: 1024, encode: true, seed: 11, lightChangeDeg: [30, 40] });
    const reg = await openRegistry({ dataDir: mkdtempSync(path.join(os.tmpdir(), 'pp-mould-relit-')) });
    try {
      const svc = new IdentityService(reg);
      for (const c of set.captures.filter((c) => c.role === 'registered')) await svc.register(c.serial, c.bytes!, { pixelSizeUm: 5 }, { createPart: true, name: `${c.serial}.png` });
      const lines: string[] = [];
      let identified = 0, relit = 0;
      const recaptures = set.captures.filter((c) => c.role === 'recapture');
      for (const c of recaptures) {
        const r = await svc.identify(c.bytes!, { pixelSizeUm: 5 });
        lines.push(`${c.serial} (light moved ${c.params.lightChangeDeg.toFixed(1)} deg): ${r.status} ${r.status !== 'rejected' ? r.reason : ''}`);
        if (r.status === 'identified' && r.candidates[0].serial === c.serial) identified++;
        if (r.status !== 'rejected' && /probe relit by/.test(r.reason)) relit++;
      }
      for (const c of set.captures.filter((c) => c.role === 'lookalike')) {
        const r = await svc.identify(c.bytes!, { pixelSizeUm: 5 });
        lines.push(`${c.serial} look-alike: ${r.status} ${r.status !== 'rejected' ? r.reason : ''}`);
        expect(r.status, lines.join('\n')).toBe('not-registered');
      }
      expect(relit, lines.join('\n')).toBeGreaterThan(0);
      expect(identified, lines.join('\n')).toBeGreaterThanOrEqual(recaptures.length - 1);
    } finally {
      await reg.close();
    }
  }, 240_000);
});
