import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprintImage } from './pipeline.js';
import { ShortlistIndex } from './shortlist.js';
import { makeTexture, recapture } from './test-images.js';
import { decodeVocabulary, encodeVocabulary } from './vocabulary.js';

describe('ShortlistIndex (bag of binary words + usearch)', () => {
  it('ranks the true capture first for recaptures, and survives save/load', async () => {
    const textures = await Promise.all([1, 2, 3, 4, 5, 6].map((s) => makeTexture(100 + s, 200, 200)));
    const gallery = [];
    for (const [i, t] of textures.entries()) gallery.push({ captureId: i + 1, features: (await fingerprintImage(t)).features! });
    const idx = ShortlistIndex.build(gallery, 'test', { k: 256 });
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
    expect(await ShortlistIndex.load(path.join(dir, 'missing'))).toBeNull();
  });

  it('round-trips the vocabulary bytes', async () => {
    const fs = (await fingerprintImage(await makeTexture(9, 200, 200))).features!;
    const idx = ShortlistIndex.build([{ captureId: 1, features: fs }], 'v', { k: 64 });
    const back = decodeVocabulary(encodeVocabulary(idx.vocabulary));
    expect(back.k).toBe(idx.vocabulary.k);
    expect(Array.from(back.words)).toEqual(Array.from(idx.vocabulary.words));
    expect(Array.from(back.idf)).toEqual(Array.from(idx.vocabulary.idf));
  });
});
