/**
 * Part outlines (about 27 x 19 mm), holes and the debossed serial, as signed distances in mm
 * (negative inside). The part frame has its origin at the outline's top-left corner, x to the
 * right, y down.
 */
import type { DesignName } from './types.js';

export const PART_SIZE_MM: [number, number] = [27, 19];

interface Design {
  /** Signed distance to the part's material (outline minus holes). */
  sdf(x: number, y: number): number;
  /** Centre of the default close-up window: a solid area at least 6 mm across, away from the serial. */
  windowCentreMm: [number, number];
  /** Top-left corner of the serial's six digits. */
  serialOriginMm: [number, number];
}

function roundRect(x: number, y: number, x0: number, y0: number, x1: number, y1: number, r: number): number {
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const qx = Math.abs(x - cx) - ((x1 - x0) / 2 - r);
  const qy = Math.abs(y - cy) - ((y1 - y0) / 2 - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

function circle(x: number, y: number, cx: number, cy: number, r: number): number {
  return Math.hypot(x - cx, y - cy) - r;
}

const DESIGN: Record<DesignName, Design> = {
  connector: {
    sdf(x, y) {
      let d = roundRect(x, y, 0, 0, 27, 19, 2.5);
      d = Math.max(d, -circle(x, y, 4.2, 4.2, 1.6));
      d = Math.max(d, -circle(x, y, 22.8, 4.2, 1.6));
      d = Math.max(d, -roundRect(x, y, 2.5, 12.5, 6.5, 16.5, 0.6));
      return d;
    },
    windowCentreMm: [13.5, 7.6],
    serialOriginMm: [9.0, 13.6],
  },
  plug: {
    sdf(x, y) {
      const body = roundRect(x, y, 0, 2.5, 27, 16.5, 2);
      const tab = roundRect(x, y, 0, 0, 7.5, 19, 1.5);
      let d = Math.min(body, tab);
      d = Math.max(d, -circle(x, y, 3.75, 9.5, 2.4));
      d = Math.max(d, -circle(x, y, 24.2, 9.5, 1.1));
      return d;
    },
    windowCentreMm: [15.5, 8.2],
    serialOriginMm: [10.2, 12.8],
  },
  lattice: {
    sdf(x, y) {
      let d = roundRect(x, y, 0, 0, 27, 19, 1.5);
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 4; j++) {
          const cx = 2.9 + i * 4.2;
          const cy = 2.9 + j * 4.4;
          d = Math.max(d, -roundRect(x, y, cx - 1.3, cy - 1.3, cx + 1.3, cy + 1.3, 0.3));
        }
      }
      return d;
    },
    windowCentreMm: [20.4, 7.0],
    serialOriginMm: [15.4, 13.8],
  },
};

export function designSdf(design: DesignName, x: number, y: number): number {
  return DESIGN[design].sdf(x, y);
}

export function windowCentreMm(design: DesignName): [number, number] {
  return DESIGN[design].windowCentreMm;
}

/** Digits of the serial, as seven-segment strokes. */
export const DIGIT_W_MM = 1.1;
export const DIGIT_H_MM = 2.0;
export const DIGIT_PITCH_MM = 1.6;
const STROKE_MM = 0.13;
/** Segments a..g as (x0,y0,x1,y1) in units of the digit box. */
const SEG: Array<[number, number, number, number]> = [
  [0, 0, 1, 0], // a
  [1, 0, 1, 0.5], // b
  [1, 0.5, 1, 1], // c
  [0, 1, 1, 1], // d
  [0, 0.5, 0, 1], // e
  [0, 0, 0, 0.5], // f
  [0, 0.5, 1, 0.5], // g
];
const DIGIT_SEGMENTS = ['abcdef', 'bc', 'abged', 'abgcd', 'fgbc', 'afgcd', 'afgedc', 'abc', 'abcdefg', 'abcdfg'];

function segmentDist(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

/** The six digits debossed on a part (the serial's last six). */
export function serialDigits(serial: string): string {
  const digits = serial.replace(/\D/g, '');
  return digits.slice(-6).padStart(6, '0');
}

/** Box of the serial region in part mm: [x0, y0, x1, y1], with a margin. */
export function serialBoxMm(design: DesignName): [number, number, number, number] {
  const [ox, oy] = DESIGN[design].serialOriginMm;
  const m = 0.3;
  return [ox - m, oy - m, ox + 5 * DIGIT_PITCH_MM + DIGIT_W_MM + m, oy + DIGIT_H_MM + m];
}

/** Signed distance (mm) to the serial's strokes; large and positive far from the serial. */
export function serialSdf(design: DesignName, digits: string, x: number, y: number): number {
  const [ox, oy] = DESIGN[design].serialOriginMm;
  const lx = x - ox;
  const ly = y - oy;
  if (lx < -1 || ly < -1 || lx > 6 * DIGIT_PITCH_MM + 1 || ly > DIGIT_H_MM + 1) return 1;
  const k = Math.max(0, Math.min(5, Math.floor((lx + (DIGIT_PITCH_MM - DIGIT_W_MM) / 2) / DIGIT_PITCH_MM)));
  let best = 1;
  for (let d = Math.max(0, k - 1); d <= Math.min(5, k + 1); d++) {
    const segs = DIGIT_SEGMENTS[digits.charCodeAt(d) - 48] ?? '';
    const dx0 = d * DIGIT_PITCH_MM;
    for (const s of segs) {
      const [a, b, c, e] = SEG[s.charCodeAt(0) - 97];
      const dist = segmentDist(lx, ly, dx0 + a * DIGIT_W_MM, b * DIGIT_H_MM, dx0 + c * DIGIT_W_MM, e * DIGIT_H_MM);
      if (dist < best) best = dist;
    }
  }
  return best - STROKE_MM;
}
