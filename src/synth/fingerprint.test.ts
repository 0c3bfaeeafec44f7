import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, makeMachines, makePart } from './catalogue.js';
import { renderCapture, sampleCaptureParams } from './capture.js';
import { alignToRegistered, highPass, normalisedCrossCorrelation } from './measure.js';
import type { SynthConfig } from './types.js';

const N = 320;
const view = { size: N, pixelUm: 5.3 };
const config: SynthConfig = { ...DEFAULT_CONFIG, machines: 4, partsPerMachine: 3 };
const machines = makeMachines(config);

/** NCC of the fine texture between a part's registered capture and another capture aligned back onto it. */
function aligned(regPixels: Uint8Array, cap: ReturnType<typeof renderCapture>): number {
  const al = alignToRegistered({ width: N, height: N, data: cap.pixels }, cap.toRegistered, N, N);
  return normalisedCrossCorrelation(highPass(regPixels, N, N, 6), highPass(al, N, N, 6)).ncc;
}

describe('fingerprint', () => {
  for (const m of [0, 1, 2, 3]) {
    const process = machines[m].process;
    it(`${process}: recaptures of one part share the fingerprint; other parts of the machine do not`, () => {
      const a = makePart(config, machines, m * 3);
      const b = makePart(config, machines, m * 3 + 1);
      const regA = renderCapture(a, sampleCaptureParams(a, 0), view).pixels;
      const same: number[] = [];
      const other: number[] = [];
      for (let k = 1; k <= 3; k++) {
        same.push(aligned(regA, renderCapture(a, sampleCaptureParams(a, k), view)));
        other.push(aligned(regA, renderCapture(b, sampleCaptureParams(b, k), view)));
      }
      // Light from the other side (a part turned by ~180 degrees on the scanner), JPEG, noise and
      // occlusion all lower the correlation, but never to the level of another part.
      for (const s of same) expect(s, `same part ${same.join(', ')}`).toBeGreaterThan(0.3);
      for (const o of other) expect(Math.abs(o), `other part ${other.join(', ')}`).toBeLessThan(0.15);
      expect(Math.min(...same)).toBeGreaterThan(2 * Math.max(...other.map(Math.abs)));
    });
  }

  it('undoing the recorded homography lands on the registered pixels (a 2-pixel error is clearly worse)', () => {
    const a = makePart(config, machines, 0);
    const reg = renderCapture(a, sampleCaptureParams(a, 0), view).pixels;
    const cap = renderCapture(a, { ...sampleCaptureParams(a, 2), blurPx: 0.3, noise: 1, format: 'png', occlusion: 0, dust: 0 }, view);
    const al = alignToRegistered({ width: N, height: N, data: cap.pixels }, cap.toRegistered, N, N);
    // Shifting the aligned capture by two pixels must make the match clearly worse.
    const shifted = new Float32Array(al.length).fill(Number.NaN);
    for (let y = 0; y < N; y++) for (let x = 2; x < N; x++) shifted[y * N + x] = al[y * N + x - 2];
    const exact = normalisedCrossCorrelation(highPass(reg, N, N, 6), highPass(al, N, N, 6)).ncc;
    const off = normalisedCrossCorrelation(highPass(reg, N, N, 6), highPass(shifted, N, N, 6)).ncc;
    expect(exact).toBeGreaterThan(off + 0.15);
  });
});
