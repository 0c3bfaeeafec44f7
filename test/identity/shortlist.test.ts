import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fingerprintImage, IdentityService, REGISTRY_FINGERPRINT_OPTIONS, saveIdentitySettings, DEFAULT_IDENTITY_SETTINGS, ShortlistIndex, type FeatureSet, type PartialFingerprintOptions } from '../../src/identity/index.js';
import { openRegistry } from '../../src/registry/index.js';
import { AppendSegment, mergeTable, sortedTable } from '../../src/identity/shortlist/lsh.js';
import { DEFAULT_SHORTLIST_OPTIONS } from '../../src/identity/shortlist/shortlist.js';
import { createRng } from '../../src/core/index.js';
import { encodeCapture, makeMachines, makePart, renderCapture, sampleCaptureParams, type SynthConfig } from '../../src/synth/index.js';

// Real synthetic parts of one machine (the hardest case: every surface from the same process),
// fingerprinted as the registry does; recaptures are rotated, shifted and relit.
const CONFIG: SynthConfig = { seed: 3, strength: 1, processes: ['DLS', 'MJF', 'SLA', 'FDM'], machines: 1, partsPerMachine: 40 };
const N = 16;
const gallery: FeatureSet[] = [];
const probes: FeatureSet[] = [];
const images: Array<{ registered: Uint8Array; probe: Uint8Array }> = [];

async function fp(part: ReturnType<typeof makePart>, capture: number, options: PartialFingerprintOptions): Promise<{ features: FeatureSet; png: Uint8Array }> {
  const cap = renderCapture(part, sampleCaptureParams(part, capture), { size: 256, pixelUm: 10.6 });
  const features = (await fingerprintImage({ width: cap.width, height: cap.height, data: cap.pixels, bitDepth: 8 }, options)).features!;
  return { features, png: await encodeCapture(cap.pixels, cap.width, cap.height, 'png', 0, 1) };
}

beforeAll(async () => {
  const machines = makeMachines(CONFIG);
  for (let i = 0; i < N; i++) {
    const part = makePart(CONFIG, machines, i);
    const g = await fp(part, 0, REGISTRY_FINGERPRINT_OPTIONS);
    const p = await fp(part, 1, REGISTRY_FINGERPRINT_OPTIONS);
    gallery.push(g.features);
    probes.push(p.features);
    images.push({ registered: g.png, probe: p.png });
  }
}, 60_000);

const entries = () => gallery.map((features, i) => ({ captureId: 100 + i, features }));

describe('ShortlistIndex (LSH over descriptors, pose-consistent votes by capture)', () => {
  it('shortlists the true part first for recaptures of parts of one machine', () => {
    const idx = ShortlistIndex.build(entries(), 'test');
    expect(idx.size).toBe(N);
    let first = 0;
    for (const [i, p] of probes.entries()) {
      const hits = idx.search(p, 5);
      expect(hits.map((h) => h.captureId)).toContain(100 + i);
      if (hits[0].captureId === 100 + i) first++;
      // Votes are pose-consistent collisions: the true part stands above the best other one.
      const other = hits.find((h) => h.captureId !== 100 + i)!;
      expect(hits.find((h) => h.captureId === 100 + i)!.votes).toBeGreaterThanOrEqual(other.votes);
    }
    expect(first).toBe(N);
    // Asking for the whole gallery lists every capture, voted or not.
    expect(idx.search(probes[0], N).map((h) => h.captureId).sort((a, b) => a - b)).toEqual(entries().map((e) => e.captureId));
  });

  it('round-trips through save/load, replays additions after load, and merges', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-sl-'));
    const idx = ShortlistIndex.build(entries().slice(0, 10), 'test', { mergeEvery: 3 });
    await idx.save(dir);
    const loaded = (await ShortlistIndex.load(dir))!;
    expect(loaded.size).toBe(10);
    expect(loaded.search(probes[4], 3)).toEqual(idx.search(probes[4], 3));
    // Additions after load: two stay in the append segment (delta file), the third merges.
    loaded.add(110, gallery[10]);
    loaded.add(111, gallery[11]);
    await loaded.save(dir);
    const again = (await ShortlistIndex.load(dir))!;
    expect(again.size).toBe(12);
    expect(again.meta.deltaCaptureIds).toEqual([110, 111]);
    expect(again.search(probes[11], 1)[0].captureId).toBe(111);
    again.add(112, gallery[12]);
    await again.save(dir);
    const merged = (await ShortlistIndex.load(dir))!;
    expect(merged.meta.deltaCaptureIds).toEqual([]);
    expect(merged.size).toBe(13);
    for (const i of [0, 10, 12]) expect(merged.search(probes[i], 1)[0].captureId).toBe(100 + i);
    // Replacing a capture's fingerprint keeps one entry for it.
    merged.add(100, gallery[0]);
    expect(merged.size).toBe(13);
    expect(merged.search(probes[0], 1)[0].captureId).toBe(100);
    expect(merged.search(probes[0], 13).filter((h) => h.captureId === 100)).toHaveLength(1);
  });

  it('votes for a recapture taken 1.2x closer as for one at the registration\'s size (scale hypotheses)', () => {
    // The registration's own descriptors, their positions scaled by 1.2 about the image centre and
    // turned by 30 degrees: every collision is true, but one pose of scale 1 agrees only near the centre.
    const g = gallery[0];
    const cx = g.imageSize.width / 2, cy = g.imageSize.height / 2;
    const c = Math.cos(Math.PI / 6), sn = Math.sin(Math.PI / 6);
    const keypoints = new Float32Array(g.keypoints.length);
    for (let i = 0; i < g.sizes.length; i++) {
      const x = (g.keypoints[2 * i] - cx) * 1.2, y = (g.keypoints[2 * i + 1] - cy) * 1.2;
      keypoints[2 * i] = cx + c * x - sn * y;
      keypoints[2 * i + 1] = cy + sn * x + c * y;
    }
    const closer: FeatureSet = { ...g, keypoints, angles: g.angles.map((a) => (a + 30) % 360) };
    const votesOf = (idx: ShortlistIndex, p: FeatureSet) => idx.search(p, N).find((h) => h.captureId === 100)!.votes;
    const scaled = ShortlistIndex.build(entries(), 'test');
    const single = ShortlistIndex.build(entries(), 'test', { scales: [1] });
    expect(DEFAULT_SHORTLIST_OPTIONS.scales.length).toBeGreaterThan(1);
    expect(votesOf(scaled, closer)).toBeGreaterThan(0.8 * votesOf(scaled, g));
    expect(votesOf(single, closer)).toBeLessThan(0.5 * votesOf(single, g));
    expect(scaled.search(closer, 1)[0].captureId).toBe(100);
    // A probe at the registration's size loses nothing to the other hypotheses.
    expect(votesOf(scaled, g)).toBe(votesOf(single, g));
  });

  it('ranks the same whether built at once, grown by additions (append segment), or merged', () => {
    const all = entries();
    const once = ShortlistIndex.build(all, 'test');
    // 4 built, 12 added: the append segment holds thousands of keypoints per table, past its first capacity.
    const grown = ShortlistIndex.build(all.slice(0, 4), 'test', { mergeEvery: 1000 });
    for (const e of all.slice(4)) grown.add(e.captureId, e.features);
    const merged = ShortlistIndex.build(all.slice(0, 4), 'test', { mergeEvery: 12 });
    for (const e of all.slice(4)) merged.add(e.captureId, e.features);
    for (const p of probes) {
      const want = once.search(p, N);
      expect(want[0].votes).toBeGreaterThan(0);
      expect(grown.search(p, N)).toEqual(want);
      expect(merged.search(p, N)).toEqual(want);
    }
  });

  it('merges an append segment into a table exactly as sorting everything would, across directory sizes', () => {
    const rng = createRng(7);
    for (const [bits, main, added] of [[22, 5000, 3000], [12, 200, 9000], [10, 0, 50], [16, 70000, 10]] as const) {
      // Few distinct keys in the small cases, so that many entries share a key.
      const key = () => rng.int(bits <= 12 ? 64 : 2 ** bits);
      const keys = Uint32Array.from({ length: main + added }, key);
      const vals = Uint32Array.from({ length: main + added }, (_, e) => e);
      const t = sortedTable(bits, keys.subarray(0, main), vals.subarray(0, main));
      t.extra = new AppendSegment();
      for (let e = main; e < main + added; e++) t.extra.push(keys[e], vals[e]);
      const want = sortedTable(bits, keys, vals);
      const got = mergeTable(bits, t);
      expect(got.dirBits).toBe(want.dirBits);
      expect(got.offsets).toEqual(want.offsets);
      expect(got.lows).toEqual(want.lows);
      expect(got.values).toEqual(want.values);
    }
  });

  it('refuses missing, foreign or inconsistent files (so the service rebuilds)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-sl-'));
    expect(await ShortlistIndex.load(dir)).toBeNull();
    const idx = ShortlistIndex.build(entries().slice(0, 4), 'test');
    await idx.save(dir);
    expect(existsSync(path.join(dir, 'shortlist.bin'))).toBe(true);
    idx.add(200, gallery[5]);
    await idx.save(dir);
    writeFileSync(path.join(dir, 'shortlist-delta.bin'), new Uint8Array([200, 0, 0, 0, 3, 0, 0, 0, 1, 2, 3]));
    expect(await ShortlistIndex.load(dir)).toBeNull();
    await idx.save(dir);
    writeFileSync(path.join(dir, 'shortlist.bin'), new Uint8Array(64));
    expect(await ShortlistIndex.load(dir)).toBeNull();
  });
});

describe('IdentityService with the shortlist', () => {
  it('identifies through the shortlist, rebuilds a missing or stale index, and adds each registration', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pp-sl-svc-'));
    const reg = await openRegistry({ dataDir });
    try {
      const svc = new IdentityService(reg);
      // Force the shortlist path (no exhaustive comparison) even for this small gallery.
      await saveIdentitySettings(svc.dir, { ...DEFAULT_IDENTITY_SETTINGS, exhaustiveUpTo: 0, shortlistSize: 3 });
      for (let i = 0; i < 6; i++) expect((await svc.register(`S${i}`, images[i].registered, {}, { createPart: true })).status).toBe('registered');
      const index = path.join(svc.dir, 'shortlist.json');
      expect(existsSync(index)).toBe(true);
      const r = await svc.identify(images[2].probe);
      expect(r.status).toBe('identified');
      if (r.status !== 'rejected') expect(r.candidates[0].serial).toBe('S2');
      // A new service (a new process) loads the saved index; a missing one is rebuilt from the database.
      rmSync(index);
      const fresh = new IdentityService(reg);
      const again = await fresh.identify(images[4].probe);
      expect(again.status !== 'rejected' && again.candidates[0].serial).toBe('S4');
      expect(existsSync(index)).toBe(true);
      expect((await fresh.shortlistIndex())!.size).toBe(6);
      // Registered elsewhere (another service instance): this one sees a stale index and rebuilds.
      expect((await svc.register('S6', images[6].registered, {}, { createPart: true })).status).toBe('registered');
      expect((await fresh.shortlistIndex())!.size).toBe(7);
      const late = await fresh.identify(images[6].probe);
      expect(late.status !== 'rejected' && late.candidates[0].serial).toBe('S6');
      expect((await ShortlistIndex.load(svc.dir))!.size).toBe(7);
    } finally {
      await reg.close();
    }
  });
});
