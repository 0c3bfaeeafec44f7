/**
 * Something over the part in a capture (a finger, tape, a clamp): a dark region with a soft,
 * slightly curved edge covering `fraction` of the image. Both generators use it with their own
 * curvature, darkness and edge width; the random draws come in one fixed order (edge direction,
 * 2000 sample points for the coverage, curvature, level, edge width when drawn), so a seed gives
 * the same image as before this was shared.
 */
import type { Rng } from '../core/index.js';

export interface OccluderOptions {
  /** Largest edge curvature, per image size. */
  maxCurve: number;
  /** Brightness of the occluder, drawn in this range (the image's own units). */
  level: [number, number];
  /** Half-width of the soft edge, pixels: drawn in this range, or fixed. */
  soft: [number, number] | number;
}

export function addOccluder(img: Float32Array, w: number, h: number, fraction: number, rng: Rng, o: OccluderOptions): void {
  const a = rng.uniform(0, 2 * Math.PI);
  const nx = Math.cos(a);
  const ny = Math.sin(a);
  const proj: number[] = [];
  for (let k = 0; k < 2000; k++) proj.push((rng.uniform(0, w) - w / 2) * nx + (rng.uniform(0, h) - h / 2) * ny);
  proj.sort((p, q) => p - q);
  const d = proj[Math.floor((1 - fraction) * (proj.length - 1))];
  const curve = rng.uniform(-o.maxCurve, o.maxCurve) / Math.max(w, h);
  const level = rng.uniform(o.level[0], o.level[1]);
  const soft = typeof o.soft === 'number' ? o.soft : rng.uniform(o.soft[0], o.soft[1]);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const px = x + 0.5 - w / 2;
      const py = y + 0.5 - h / 2;
      const along = -px * ny + py * nx;
      const s = px * nx + py * ny - d + curve * along * along;
      if (s < -soft) continue;
      const t = Math.min(1, (s + soft) / (2 * soft));
      const i = y * w + x;
      img[i] = img[i] * (1 - t) + level * t;
    }
  }
}
