/**
 * Part segmentation: a scanner sheet with many parts is cut into one image per part (global
 * threshold, Otsu by default; 8-connected components on a reduced copy; small blobs ignored),
 * and the pieces are matched to serials through a manifest of positions.
 */
import { SourceError } from '../core/index.js';
import { to8Bit, type GreyImage } from '../imaging/index.js';
import { downscaleBox } from './roi.js';

export interface SheetComponent {
  /** Bounding box at full sheet resolution (after margin, clipped to the sheet). */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Foreground pixels, at full resolution (estimated from the reduced copy). */
  area: number;
  cx: number;
  cy: number;
  /** Membership at the reduced working resolution: `mask[(y - maskY) * maskW + (x - maskX)]` for reduced pixel (x, y). */
  mask: { scale: number; x: number; y: number; width: number; height: number; data: Uint8Array };
}

export interface SegmentOptions {
  /** Grey level separating parts from background (default: Otsu on the sheet). */
  threshold?: number;
  /** Parts darker than the background (default false: bright parts on a dark background). */
  darkParts?: boolean;
  /** Smallest part area in full-resolution pixels (default 0.2% of the sheet). */
  minArea?: number;
  /** Pixels added around each box (default 0). */
  margin?: number;
  /** Components are found on a copy reduced so its longer side is at most this (default 1500). */
  workingSide?: number;
}

/** Otsu's threshold of an 8-bit histogram: the level t maximising between-class variance (foreground > t). */
export function otsuThreshold(img: GreyImage): number {
  const hist = new Float64Array(256);
  const data = to8Bit(img).data;
  for (let i = 0; i < data.length; i++) hist[data[i]]++;
  const total = data.length;
  let sumAll = 0;
  for (let t = 0; t < 256; t++) sumAll += t * hist[t];
  let wB = 0;
  let sumB = 0;
  let best = 0;
  let bestVar = -1;
  for (let t = 0; t < 256; t++) {
    wB += hist[t];
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += t * hist[t];
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / wF;
    const between = wB * wF * (mB - mF) ** 2;
    if (between > bestVar) {
      bestVar = between;
      best = t;
    }
  }
  return best;
}

function find(parent: Int32Array, i: number): number {
  while (parent[i] !== i) {
    parent[i] = parent[parent[i]];
    i = parent[i];
  }
  return i;
}

/**
 * Finds the parts on a sheet.
 *
 * @example
 *   const parts = segmentSheet(await readGreyImage('sheet.png'), { minArea: 5000 });
 */
export function segmentSheet(sheet: GreyImage, options: SegmentOptions = {}): SheetComponent[] {
  const full = to8Bit(sheet);
  const f = Math.max(1, Math.ceil(Math.max(full.width, full.height) / (options.workingSide ?? 1500)));
  const small = downscaleBox(full, f);
  const t = options.threshold ?? otsuThreshold(small);
  const w = small.width;
  const h = small.height;
  const n = w * h;
  const fg = new Uint8Array(n);
  for (let i = 0; i < n; i++) fg[i] = options.darkParts ? (small.data[i] <= t ? 1 : 0) : small.data[i] > t ? 1 : 0;
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const union = (a: number, b: number) => {
    const ra = find(parent, a);
    const rb = find(parent, b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!fg[i]) continue;
      if (x > 0 && fg[i - 1]) union(i, i - 1);
      if (y > 0) {
        if (fg[i - w]) union(i, i - w);
        if (x > 0 && fg[i - w - 1]) union(i, i - w - 1);
        if (x < w - 1 && fg[i - w + 1]) union(i, i - w + 1);
      }
    }
  }
  const stats = new Map<number, { x0: number; y0: number; x1: number; y1: number; n: number; sx: number; sy: number }>();
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!fg[i]) continue;
      const r = find(parent, i);
      const s = stats.get(r);
      if (!s) stats.set(r, { x0: x, y0: y, x1: x, y1: y, n: 1, sx: x, sy: y });
      else {
        s.x0 = Math.min(s.x0, x);
        s.x1 = Math.max(s.x1, x);
        s.y0 = Math.min(s.y0, y);
        s.y1 = Math.max(s.y1, y);
        s.n++;
        s.sx += x;
        s.sy += y;
      }
    }
  }
  const minArea = options.minArea ?? 0.002 * full.width * full.height;
  const margin = options.margin ?? 0;
  const out: SheetComponent[] = [];
  for (const [root, s] of stats) {
    const area = s.n * f * f;
    if (area < minArea) continue;
    const x = Math.max(0, s.x0 * f - margin);
    const y = Math.max(0, s.y0 * f - margin);
    const x1 = Math.min(full.width, (s.x1 + 1) * f + margin);
    const y1 = Math.min(full.height, (s.y1 + 1) * f + margin);
    const mw = s.x1 - s.x0 + 1;
    const mh = s.y1 - s.y0 + 1;
    const mask = new Uint8Array(mw * mh);
    for (let yy = 0; yy < mh; yy++) {
      for (let xx = 0; xx < mw; xx++) {
        const i = (s.y0 + yy) * w + s.x0 + xx;
        if (fg[i] && find(parent, i) === root) mask[yy * mw + xx] = 1;
      }
    }
    out.push({ x, y, width: x1 - x, height: y1 - y, area, cx: (s.sx / s.n + 0.5) * f, cy: (s.sy / s.n + 0.5) * f, mask: { scale: f, x: s.x0, y: s.y0, width: mw, height: mh, data: mask } });
  }
  return out.sort((a, b) => a.y - b.y || a.x - b.x);
}

/** Where a part lies on a sheet, from the sheet manifest: a centre, or a box (x, y = top-left). */
export interface SheetPosition {
  serial: string;
  x: number;
  y: number;
  width?: number;
  height?: number;
}

export interface SheetMatch {
  matched: Array<{ serial: string; component: SheetComponent }>;
  /** Serials whose position fell on no component. */
  missing: string[];
  /** Components that matched no serial (dust, labels, unknown parts). */
  extra: SheetComponent[];
}

/**
 * Matches components to manifest positions: a pair is possible when the position's centre lies in
 * the component's box; pairs are taken nearest first, each component and serial once.
 */
export function matchSheetPositions(components: SheetComponent[], positions: SheetPosition[]): SheetMatch {
  const seen = new Set<string>();
  for (const p of positions) {
    if (seen.has(p.serial)) throw new SourceError(`sheet manifest lists serial ${p.serial} twice`, { code: 'BAD_INPUT' });
    seen.add(p.serial);
  }
  const pairs: Array<{ p: number; c: number; d: number }> = [];
  positions.forEach((pos, p) => {
    const px = pos.x + (pos.width ?? 0) / 2;
    const py = pos.y + (pos.height ?? 0) / 2;
    components.forEach((comp, c) => {
      if (px >= comp.x && px < comp.x + comp.width && py >= comp.y && py < comp.y + comp.height) {
        pairs.push({ p, c, d: Math.hypot(px - comp.cx, py - comp.cy) });
      }
    });
  });
  pairs.sort((a, b) => a.d - b.d);
  const usedP = new Set<number>();
  const usedC = new Set<number>();
  const matched: SheetMatch['matched'] = [];
  for (const { p, c } of pairs) {
    if (usedP.has(p) || usedC.has(c)) continue;
    usedP.add(p);
    usedC.add(c);
    matched.push({ serial: positions[p].serial, component: components[c] });
  }
  return {
    matched,
    missing: positions.filter((_, p) => !usedP.has(p)).map((p) => p.serial),
    extra: components.filter((_, c) => !usedC.has(c)),
  };
}

/**
 * Copies a box out of a sheet. With a component's `mask`, pixels that are not part of that
 * component (background, holes, a neighbouring part reaching into the box) are set to 0, so ROIs
 * are never drawn from another part's surface.
 */
export function cropImage(sheet: GreyImage, box: { x: number; y: number; width: number; height: number; mask?: SheetComponent['mask'] }): GreyImage {
  const src = to8Bit(sheet);
  const out = new Uint8Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) out.set(src.data.subarray((box.y + y) * src.width + box.x, (box.y + y) * src.width + box.x + box.width), y * box.width);
  const m = box.mask;
  if (m) {
    for (let y = 0; y < box.height; y++) {
      const my = Math.floor((box.y + y) / m.scale) - m.y;
      for (let x = 0; x < box.width; x++) {
        const mx = Math.floor((box.x + x) / m.scale) - m.x;
        const inside = my >= 0 && my < m.height && mx >= 0 && mx < m.width && m.data[my * m.width + mx] === 1;
        if (!inside) out[y * box.width + x] = 0;
      }
    }
  }
  return { width: box.width, height: box.height, data: out, bitDepth: 8 };
}
