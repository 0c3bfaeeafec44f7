import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, makeMachines, makePart } from './catalogue.js';
import { encodeCapture, renderCapture, sampleCaptureParams } from './capture.js';
import { renderSurface } from './surface.js';
import type { SynthConfig } from './types.js';

const config: SynthConfig = { ...DEFAULT_CONFIG, machines: 4, partsPerMachine: 2 };
const machines = makeMachines(config);

describe('rendering', () => {
  it('is deterministic: same seed, same bytes; another seed, other bytes', async () => {
    const view = { size: 256, pixelUm: 5.3 };
    for (const index of [0, 6]) {
      const part = makePart(config, machines, index);
      const a = renderCapture(part, sampleCaptureParams(part, 1), view);
      const b = renderCapture(makePart(config, makeMachines(config), index), sampleCaptureParams(part, 1), view);
      const pa = sampleCaptureParams(part, 1);
      const ea = await encodeCapture(a.pixels, 256, 256, pa.format, pa.jpegQuality);
      const eb = await encodeCapture(b.pixels, 256, 256, pa.format, pa.jpegQuality);
      expect(Buffer.compare(ea, eb)).toBe(0);
      const other = { ...config, seed: 2 };
      const partOther = makePart(other, makeMachines(other), index);
      const c = renderCapture(partOther, sampleCaptureParams(partOther, 1), view);
      expect(Buffer.from(c.pixels).equals(Buffer.from(a.pixels))).toBe(false);
    }
  });

  it('gives the same surface for a region whatever the framing (the fingerprint does not depend on the view)', () => {
    for (const index of [0, 2, 4, 6]) {
      const part = makePart(config, machines, index);
      const big = renderSurface(part, { x0: 2400, y0: 1200, w: 160, h: 120 }, 5.3);
      const small = renderSurface(part, { x0: 2450, y0: 1230, w: 40, h: 30 }, 5.3);
      let maxDiff = 0;
      for (let y = 0; y < 30; y++) {
        for (let x = 0; x < 40; x++) {
          const d = Math.abs(big.height[(y + 30) * 160 + x + 50] - small.height[y * 40 + x]) + Math.abs(big.albedo[(y + 30) * 160 + x + 50] - small.albedo[y * 40 + x]);
          maxDiff = Math.max(maxDiff, d);
        }
      }
      expect(maxDiff, part.machine.process).toBeLessThan(1e-3);
    }
  });

  it('shows the whole part (outline, holes, background, serial box) at a coarse pixel size', () => {
    const part = makePart(config, machines, 0);
    const cap = renderCapture(part, sampleCaptureParams(part, 0), { size: 256, pixelUm: 120 });
    const dark = cap.pixels.filter((v) => v < 40).length / cap.pixels.length;
    const bright = cap.pixels.filter((v) => v > 80).length / cap.pixels.length;
    // A 27 x 19 mm part in a 30.7 mm field: about half of the image is part, the rest background.
    expect(bright).toBeGreaterThan(0.35);
    expect(dark).toBeGreaterThan(0.3);
    expect(cap.serialBox).not.toBeNull();
    const close = renderCapture(part, sampleCaptureParams(part, 0), { size: 256, pixelUm: 5.3 });
    expect(close.serialBox).toBeNull();
    expect(close.pixels.filter((v) => v < 40).length).toBe(0);
  });
});
