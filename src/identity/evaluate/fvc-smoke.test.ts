import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readGreyImage } from '../../imaging/index.js';
import { evaluateLabelled } from './evaluate.js';
import { fingerprintImage, type PartialFingerprintOptions } from '../fingerprint/fingerprint.js';
import type { PartialVerifyOptions } from '../verify/verify.js';
import { IDENTITY_PROFILES } from '../profiles.js';

const DATA = path.resolve(process.cwd(), '../shared/data/fvc2002-db1b');
const have = existsSync(DATA);
if (!have) console.warn(`skipping FVC smoke test: ${DATA} not found (real reference data lives beside the checkout)`);

describe.skipIf(!have)('FVC2002 DB1-B smoke test (3 fingers x 3 impressions)', () => {
  const cases: Array<[string, PartialFingerprintOptions, PartialVerifyOptions]> = [
    ['library defaults', {}, {}],
    ['the fingerprint profile', IDENTITY_PROFILES.fingerprint.fingerprint, { match: IDENTITY_PROFILES.fingerprint.match }],
  ];
  it.each(cases)('with %s, ranks every probe first and scores genuine pairs above impostors', async (_name, fpOptions, verify) => {
    const items = [];
    for (const finger of [101, 102, 103]) {
      for (const imp of [1, 2, 3]) {
        const fp = await fingerprintImage(await readGreyImage(path.join(DATA, `${finger}_${imp}.tif`)), fpOptions);
        expect(fp.quality.ok, fp.quality.message).toBe(true);
        items.push({ label: String(finger), features: fp.features! });
      }
    }
    const ev = await evaluateLabelled(items, { holdOutFraction: 0.34, verify });
    expect(ev.genuine).toHaveLength(9);
    expect(ev.impostor).toHaveLength(27);
    expect(ev.rank1).toMatchObject({ correct: 6, probes: 6 });
    const sorted = [...ev.genuine].sort((a, b) => a - b);
    expect(sorted[4]).toBeGreaterThan(Math.max(...ev.impostor)); // the median genuine beats every impostor
  });
});
