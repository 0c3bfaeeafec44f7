import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprintImage } from './pipeline.js';
import { ShortlistIndex } from './shortlist.js';
import { makeTexture, recapture } from './test-images.js';
import { decodeVocabulary, encodeVocabulary, trainVocabulary } from './vocabulary.js';

describe('ShortlistIndex (per-descriptor Hamming index, votes by capture)', () => {
  it('ranks the true capture first for recaptures, and survives save/load', async () => {
    const textures = await Promise.all([1, 2, 3, 4, 5, 6].map((s) => makeTexture(100 + s, 200, 200)));
    const gallery = [];
    for (const [i, t] of textures.entries()) gallery.push({ captureId: i + 1, features: (await fingerprintImage(t)).features! });
    const idx = ShortlistIndex.build(gallery, 'test');
    expect(idx.size).toBe(6);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-sl-'));
    await idx.save(dir);
    const loaded = (await ShortlistIndex.load(dir))!;
    expect(loaded.size).toBe(6);
    expect(loaded.meta.maxCaptureId).toBe(6);
    for (const [i, t] of textures.entries()) {
      const probe = (await fingerprintImage(await recapture(t, { angleDeg: 40 * i, seed: i }))).features!;
      const hits = loaded.search(probe, 3);
      expect(hits[0].captureId).toBe(i + 1);
      expect(hits[0].similarity).toBeGreaterThan(hits[1].similarity);
    }
    // Asking for the whole gallery lists every capture, voted or not.
    expect(loaded.search(gallery[0].features, 6).map((h) => h.captureId).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await ShortlistIndex.load(path.join(dir, 'missing'))).toBeNull();
  });

  it('ranks the true capture first among many textures, and replaces a re-added capture', async () => {
    const n = 40;
    const gallery = [];
    for (let s = 0; s < n; s++) gallery.push({ captureId: 10 + s, features: (await fingerprintImage(await makeTexture(500 + s, 160, 160))).features! });
    const idx = ShortlistIndex.build(gallery, 'test');
    expect(idx.size).toBe(n);
    for (const s of [0, 7, 19, 33]) {
      const probe = (await fingerprintImage(await recapture(await makeTexture(500 + s, 160, 160), { angleDeg: 25 + 30 * s, seed: 7 + s }))).features!;
      expect(idx.search(probe, 5)[0].captureId).toBe(10 + s);
    }
    const before = idx.meta.vectors;
    idx.add(10, gallery[0].features);
    expect(idx.size).toBe(n);
    expect(idx.meta.vectors).toBe(before);
  });

  it('round-trips the vocabulary bytes', async () => {
    const fs = (await fingerprintImage(await makeTexture(9, 200, 200))).features!;
    const vocab = trainVocabulary([fs], { k: 64 });
    const back = decodeVocabulary(encodeVocabulary(vocab));
    expect(back.k).toBe(vocab.k);
    expect(Array.from(back.words)).toEqual(Array.from(vocab.words));
    expect(Array.from(back.idf)).toEqual(Array.from(vocab.idf));
  });
});
