/**
 * Geometry of a view: which part of the lattice an output image sees. A 3x3 homography maps output
 * pixel coordinates (pixel centres at integers, OpenCV convention) to lattice coordinates.
 */
import { PART_SIZE_MM, windowCentreMm } from './geometry.js';
import type { Region } from './noise.js';
import { renderSurface, shadeSurface } from './surface.js';
import type { CaptureParams, PartSpec } from './types.js';

import { applyMat3, mulMat3, type Mat3 } from '../core/index.js';
// The 3x3 helpers live in core (identity's alignment uses them too); re-exported for synth's callers.
export { applyMat3, IDENTITY, invertMat3, mulMat3, type Mat3 } from '../core/index.js';

/**
 * Whether a square view of `size` pixels at `pixelUm` shows the whole part (field of view at least
 * 90% of the part's long side) or a close-up window of its face.
 */
export function isWholePartView(size: number, pixelUm: number): boolean {
  return size * pixelUm >= 0.9 * PART_SIZE_MM[0] * 1000;
}

/**
 * Lattice index of the registered image's pixel (0, 0). The registered capture of a part is the
 * lattice itself, unrotated: registered pixel (X, Y) is lattice pixel (origin + X, origin + Y).
 */
export function viewOrigin(part: PartSpec, size: number, pixelUm: number): [number, number] {
  const c = isWholePartView(size, pixelUm) ? [PART_SIZE_MM[0] / 2, PART_SIZE_MM[1] / 2] : windowCentreMm(part.design);
  return [Math.round((c[0] * 1000) / pixelUm) - size / 2, Math.round((c[1] * 1000) / pixelUm) - size / 2];
}

/**
 * Homography from a capture's pixels to the registered image's pixels (both OpenCV convention).
 * The registered capture (rotation 0, scale 1, no shift or perspective) gives the identity.
 */
export function captureHomography(c: Pick<CaptureParams, 'rotationDeg' | 'scale' | 'tx' | 'ty' | 'perspX' | 'perspY'>, size: number): Mat3 {
  const a = 0.5 - size / 2;
  const t1: Mat3 = [1, 0, a, 0, 1, a, 0, 0, 1];
  const th = (c.rotationDeg * Math.PI) / 180;
  const co = Math.cos(th);
  const si = Math.sin(th);
  const A: Mat3 = [co, -si, 0, si, co, 0, (c.scale * c.perspX) / size, (c.scale * c.perspY) / size, c.scale];
  const b = size / 2 - 0.5;
  const t2: Mat3 = [1, 0, b + c.tx, 0, 1, b + c.ty, 0, 0, 1];
  return mulMat3(t2, mulMat3(A, t1));
}

export interface RenderedView {
  width: number;
  height: number;
  /** Radiance (about 0.42 on the part under flat light). */
  radiance: Float32Array;
  /** Material coverage 0..1. */
  mask: Float32Array;
}

/**
 * Renders the part as seen through `toLattice` (output pixel -> lattice pixel coordinates) into a
 * width x height image. `lightAzimuthDeg` is in the lattice frame.
 */
export function renderView(part: PartSpec, toLattice: Mat3, width: number, height: number, pixelUm: number, light: { azimuthDeg: number; elevationDeg: number }, backgroundSeed: number): RenderedView {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [u, v] of [[-0.5, -0.5], [width - 0.5, -0.5], [-0.5, height - 0.5], [width - 0.5, height - 0.5], [width / 2, -0.5], [width / 2, height - 0.5], [-0.5, height / 2], [width - 0.5, height / 2]]) {
    const [x, y] = applyMat3(toLattice, u, v);
    minX = Math.min(minX, x);
    minY = Math.min(minY, y);
    maxX = Math.max(maxX, x);
    maxY = Math.max(maxY, y);
  }
  const exact = isIntegerShift(toLattice);
  // Region of shaded radiance needed, plus one pixel for bilinear sampling; the surface needs one more for gradients.
  const rr: Region = exact
    ? { x0: toLattice[2], y0: toLattice[5], w: width, h: height }
    : { x0: Math.floor(minX) - 1, y0: Math.floor(minY) - 1, w: Math.ceil(maxX) - Math.floor(minX) + 3, h: Math.ceil(maxY) - Math.floor(minY) + 3 };
  const surface = renderSurface(part, { x0: rr.x0 - 1, y0: rr.y0 - 1, w: rr.w + 2, h: rr.h + 2 }, pixelUm);
  const shaded = shadeSurface(surface, light, backgroundSeed);
  const mask = new Float32Array(rr.w * rr.h);
  for (let y = 0; y < rr.h; y++) mask.set(surface.mask.subarray((y + 1) * surface.r.w + 1, (y + 1) * surface.r.w + 1 + rr.w), y * rr.w);
  if (exact) return { width, height, radiance: shaded.data, mask };
  const radiance = new Float32Array(width * height);
  const outMask = new Float32Array(width * height);
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      const [x, y] = applyMat3(toLattice, u, v);
      const fx = x - rr.x0;
      const fy = y - rr.y0;
      const ix = Math.max(0, Math.min(rr.w - 2, Math.floor(fx)));
      const iy = Math.max(0, Math.min(rr.h - 2, Math.floor(fy)));
      const ax = Math.max(0, Math.min(1, fx - ix));
      const ay = Math.max(0, Math.min(1, fy - iy));
      const i = iy * rr.w + ix;
      const o = v * width + u;
      const d = shaded.data;
      const t0 = d[i] + ax * (d[i + 1] - d[i]);
      const t1 = d[i + rr.w] + ax * (d[i + rr.w + 1] - d[i + rr.w]);
      radiance[o] = t0 + ay * (t1 - t0);
      const m0 = mask[i] + ax * (mask[i + 1] - mask[i]);
      const m1 = mask[i + rr.w] + ax * (mask[i + rr.w + 1] - mask[i + rr.w]);
      outMask[o] = m0 + ay * (m1 - m0);
    }
  }
  return { width, height, radiance, mask: outMask };
}

function isIntegerShift(m: Mat3): boolean {
  return m[0] === 1 && m[1] === 0 && m[3] === 0 && m[4] === 1 && m[6] === 0 && m[7] === 0 && m[8] === 1 && Number.isInteger(m[2]) && Number.isInteger(m[5]);
}
