import { describe, expect, it } from 'vitest';
import { createRng } from '../core/index.js';
import type { GreyImage } from '../imaging/index.js';
import { cropImage, matchSheetPositions, otsuThreshold, segmentSheet, type SheetPosition } from './segment.js';

/** A 3000 x 2000 sheet, dark background with noise, bright textured parts at known boxes, plus dust. */
function sheet(): { img: GreyImage; boxes: Array<{ serial: string; x: number; y: number; width: number; height: number }> } {
  const width = 3000;
  const height = 2000;
  const rng = createRng(3);
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = 15 + rng.int(20);
  const boxes: Array<{ serial: string; x: number; y: number; width: number; height: number }> = [];
  let n = 0;
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 4; col++) {
      const box = { serial: `S${++n}`, x: 150 + col * 700 + rng.int(60), y: 120 + row * 620 + rng.int(60), width: 420 + rng.int(80), height: 300 + rng.int(80) };
      boxes.push(box);
      for (let y = box.y; y < box.y + box.height; y++) for (let x = box.x; x < box.x + box.width; x++) data[y * width + x] = 150 + rng.int(80);
    }
  }
  // Dust: small bright blobs that must be ignored.
  for (const [x, y] of [[50, 50], [2900, 1900], [1400, 1950]]) for (let dy = 0; dy < 6; dy++) for (let dx = 0; dx < 6; dx++) data[(y + dy) * width + x + dx] = 240;
  return { img: { width, height, data, bitDepth: 8 }, boxes };
}

describe('segmentSheet', () => {
  const { img, boxes } = sheet();

  it('finds one component per part, with boxes close to the truth, ignoring dust', () => {
    const t = otsuThreshold(img);
    expect(t).toBeGreaterThanOrEqual(34); // background is 15..34; foreground is > t
    expect(t).toBeLessThan(150);
    const comps = segmentSheet(img);
    expect(comps).toHaveLength(12);
    for (const b of boxes) {
      const c = comps.find((k) => Math.abs(k.cx - (b.x + b.width / 2)) < 10 && Math.abs(k.cy - (b.y + b.height / 2)) < 10);
      expect(c, b.serial).toBeDefined();
      // The working copy is reduced by 2: boxes are exact to within one reduced pixel.
      expect(Math.abs((c?.x ?? 0) - b.x)).toBeLessThanOrEqual(2);
      expect(Math.abs((c?.width ?? 0) - b.width)).toBeLessThanOrEqual(3);
    }
  });

  it('matches components to serials by manifest position and reports the leftovers', () => {
    const comps = segmentSheet(img);
    const positions: SheetPosition[] = boxes.map((b) => ({ serial: b.serial, x: b.x, y: b.y, width: b.width, height: b.height }));
    positions.push({ serial: 'GHOST', x: 10, y: 1000 }); // on background
    const m = matchSheetPositions(comps, positions);
    expect(m.matched).toHaveLength(12);
    expect(m.missing).toEqual(['GHOST']);
    expect(m.extra).toHaveLength(0);
    for (const { serial, component } of m.matched) {
      const b = boxes.find((x) => x.serial === serial);
      expect(Math.abs(component.cx - ((b?.x ?? 0) + (b?.width ?? 0) / 2))).toBeLessThan(10);
      const crop = cropImage(img, component);
      // The crop is mostly part: its mean is far above the background's.
      const mean = Array.from(crop.data).reduce((p, v) => p + v, 0) / crop.data.length;
      expect(mean).toBeGreaterThan(150);
    }
  });

  it('refuses a manifest that lists a serial twice', () => {
    expect(() => matchSheetPositions([], [{ serial: 'A', x: 0, y: 0 }, { serial: 'A', x: 1, y: 1 }])).toThrow(/A twice/);
  });
  it('masks a neighbouring part that reaches into a non-convex part\'s box', () => {
    const W = 400;
    const H = 400;
    const data = new Uint8Array(W * H).fill(10);
    const fill = (x0: number, y0: number, x1: number, y1: number, v: number) => {
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[y * W + x] = v;
    };
    fill(100, 100, 300, 150, 200); // L-shaped part A
    fill(100, 150, 150, 300, 200);
    fill(200, 200, 280, 280, 180); // part B inside A's bounding box, not touching A
    const img = { width: W, height: H, data, bitDepth: 8 as const };
    const comps = segmentSheet(img, { minArea: 1000 });
    expect(comps).toHaveLength(2);
    const a = comps.find((c) => c.width === 200);
    expect(a).toBeDefined();
    const masked = cropImage(img, a as NonNullable<typeof a>);
    expect(masked.data[(240 - 100) * masked.width + (240 - 100)]).toBe(0); // B's pixel, masked
    expect(masked.data[(120 - 100) * masked.width + (250 - 100)]).toBe(200); // A's own pixel
    const unmasked = cropImage(img, { ...(a as NonNullable<typeof a>), mask: undefined });
    expect(unmasked.data[(240 - 100) * unmasked.width + (240 - 100)]).toBe(180);
  });
});
