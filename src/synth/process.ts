/**
 * Process signatures: each function adds a process's surface relief (height, micrometres) and
 * reflectance variation (albedo, added to 1) to a region of the part's lattice.
 */
import { createRng, deriveSeed } from '../core/index.js';
import { addBumps, hash2, smoothNoise, type Region } from './noise.js';
import type { PartSpec } from './types.js';

export interface SurfaceLayers {
  r: Region;
  /** Micrometres per lattice pixel. */
  p: number;
  height: Float32Array;
  albedo: Float32Array;
}

/** Smooth noise whose scale is given in micrometres; features far below a pixel fade out instead of aliasing. */
export function microNoise(seed: number, s: SurfaceLayers, sigmaXUm: number, sigmaYUm: number = sigmaXUm, target?: Float32Array, amp = 1): Float32Array {
  const sx = sigmaXUm / s.p;
  const sy = sigmaYUm / s.p;
  const att = Math.min(1, sx / 0.6) * Math.min(1, sy / 0.6);
  return smoothNoise(seed, s.r, sx < 0.6 ? 0 : sx, sy < 0.6 ? 0 : sy, target, amp * att);
}

/** FDM: layer lines (beads with grooves), nozzle wobble, stepper ripple, extrusion-width noise, seam. */
export function addFdm(s: SurfaceLayers, part: PartSpec, seamXUm: number): void {
  const m = part.machine.params;
  const { r, p, height, albedo } = s;
  const seed = part.seed;
  // Layer boundaries along y (the build direction on this face), with the machine's jitter spectrum.
  const zPhase = createRng(deriveSeed(part.machine.seed, 'zphase')).uniform(0, 2 * Math.PI);
  const rng = createRng(deriveSeed(seed, 'layers'));
  const y0Um = -4000;
  const lutLen = 28000;
  const lut = new Float32Array(lutLen); // layer coordinate at each micrometre from y0Um
  const t = m.layerUm * (0.985 + 0.015 * part.tray.depth);
  let ar = 0;
  let z = y0Um;
  let k = 0;
  let prev = z;
  while (prev < y0Um + lutLen) {
    ar = m.zAr * ar + Math.sqrt(1 - m.zAr * m.zAr) * rng.normal();
    const th = t * (1 + m.zAmp * Math.sin((2 * Math.PI * k) / m.zPeriodLayers + zPhase) + m.zRand * ar);
    z = prev + Math.max(th, 0.3 * t);
    const a = Math.max(0, Math.ceil(prev - y0Um));
    const b = Math.min(lutLen, Math.ceil(z - y0Um));
    for (let i = a; i < b; i++) lut[i] = k + (i + y0Um - prev) / (z - prev);
    prev = z;
    k++;
  }
  const wobble = microNoise(deriveSeed(seed, 'wobble'), s, m.wobbleLenUm, 0.3 * t);
  const width = microNoise(deriveSeed(seed, 'width'), s, 250, 0.4 * t);
  const trayXUm = part.trayMm[0] * 1000;
  const stepPhase = (2 * Math.PI * trayXUm) / m.stepperPeriodUm;
  const stepper = new Float32Array(r.w);
  const xs = new Float32Array(r.w);
  for (let i = 0; i < r.w; i++) {
    xs[i] = (r.x0 + i + 0.5) * p;
    stepper[i] = m.stepperAmpUm * Math.sin((2 * Math.PI * xs[i]) / m.stepperPeriodUm + stepPhase);
  }
  const depth = m.grooveUm * part.tray.depth;
  const skew = m.skew;
  const seamSeed = deriveSeed(seed, 'seam');
  const seamW = 70;
  for (let j = 0; j < r.h; j++) {
    const yUm = (r.y0 + j + 0.5) * p;
    const row = j * r.w;
    for (let i = 0; i < r.w; i++) {
      const idx = row + i;
      const yp = yUm + m.wobbleUm * wobble[idx] + stepper[i];
      const li = Math.min(lutLen - 1, Math.max(0, Math.round(yp - y0Um)));
      const l = lut[li];
      const layer = Math.floor(l);
      const u = 2 * (l - layer) - 1;
      let v = u + skew * (1 - u * u);
      v = v < -1 ? -1 : v > 1 ? 1 : v;
      const av = Math.abs(v);
      const groove = av * av * av;
      let h = -depth * groove * (1 + m.widthNoise * width[idx]);
      const dxs = (xs[i] - seamXUm - 120 * (hash2(seamSeed, layer, 0) - 0.5)) / seamW;
      if (dxs > -3 && dxs < 3) h += 14 * Math.exp(-dxs * dxs) * (1 - groove);
      height[idx] += h;
      albedo[idx] += 0.05 * (hash2(seamSeed, layer, 1) - 0.5) - 0.06 * groove;
    }
  }
}

/** SLA / DLS: the projector's pixel grid with blurred edges, per-pixel exposure noise, resin texture, banding. */
export function addGrid(s: SurfaceLayers, part: PartSpec): void {
  const m = part.machine.params;
  const { r, p, height, albedo } = s;
  const px = m.pitchUm;
  const py = m.pitchUm * m.aniso;
  const blur = m.edgeBlurUm * part.tray.blur;
  const depth = m.edgeDepthUm * part.tray.depth;
  const trayX = part.trayMm[0] * 1000;
  const trayY = part.trayMm[1] * 1000;
  microNoise(deriveSeed(part.seed, 'resin'), s, m.resinSigmaUm, m.resinSigmaUm, height, m.resinAmpUm * part.tray.texture);
  const band = new Float32Array(r.h);
  for (let j = 0; j < r.h; j++) band[j] = m.bandAmp * Math.sin((2 * Math.PI * ((r.y0 + j + 0.5) * p + trayY)) / m.bandPeriodUm);
  if (Math.min(px, py) / p < 2.5) {
    // The grid is below what this pixel size resolves: only its average darkening remains.
    for (let j = 0; j < r.h; j++) for (let i = 0; i < r.w; i++) albedo[j * r.w + i] += band[j] - 0.02;
    return;
  }
  const edge = (coord: number, pitch: number): [number, number] => {
    const u = coord / pitch;
    const c = Math.floor(u);
    const f = u - c;
    const d = Math.min(f, 1 - f) * pitch;
    return [c, Math.exp((-d * d) / (2 * blur * blur))];
  };
  const cx = new Int32Array(r.w);
  const ex = new Float32Array(r.w);
  for (let i = 0; i < r.w; i++) [cx[i], ex[i]] = edge((r.x0 + i + 0.5) * p + trayX, px);
  const cellSeed = deriveSeed(part.seed, 'cells');
  const cellAmp = m.cellNoiseUm * 2;
  for (let j = 0; j < r.h; j++) {
    const [cy, ey] = edge((r.y0 + j + 0.5) * p + trayY, py);
    const row = j * r.w;
    let lastC = Number.NaN;
    let cellV = 0;
    for (let i = 0; i < r.w; i++) {
      if (cx[i] !== lastC) {
        lastC = cx[i];
        cellV = cellAmp * (hash2(cellSeed, lastC, cy) - 0.5);
      }
      const e = ex[i] + ey - ex[i] * ey;
      height[row + i] += -depth * e + cellV * (1 - e);
      albedo[row + i] += band[j] - 0.05 * e;
    }
  }
}

/** MJF: fused powder grains, sintered bumps, print-head periodicity and recoater streaks. */
export function addMjf(s: SurfaceLayers, part: PartSpec): void {
  const m = part.machine.params;
  const { r, p, height, albedo } = s;
  const tex = part.tray.texture;
  const g = m.grainUm / p;
  if (g >= 0.6) {
    addBumps(height, r, deriveSeed(part.seed, 'grains'), {
      cell: m.grainCellUm / p,
      perCell: 1.7,
      radius: [0.7 * g, 1.3 * g],
      amplitude: [-0.6 * m.grainAmpUm * tex, 1.6 * m.grainAmpUm * tex],
      aspect: m.aniso,
    });
  } else {
    microNoise(deriveSeed(part.seed, 'grains'), s, m.grainUm, m.grainUm, height, m.grainAmpUm * tex);
  }
  microNoise(deriveSeed(part.seed, 'sinter'), s, m.sinterSigmaUm, m.sinterSigmaUm * m.aniso, height, m.sinterAmpUm * part.tray.depth);
  if (60 / p >= 0.6) {
    addBumps(height, r, deriveSeed(part.seed, 'nodules'), { cell: 260 / p, perCell: 1, radius: [25 / p, 55 / p], amplitude: [2, 7], aspect: m.aniso });
  }
  microNoise(deriveSeed(part.seed, 'streak'), s, 1500, 25, albedo, m.streakAmp);
  const head = new Float32Array(r.w);
  const trayX = part.trayMm[0] * 1000;
  if (m.printheadUm / p >= 2.5) {
    for (let i = 0; i < r.w; i++) head[i] = m.printheadAmp * Math.sin((2 * Math.PI * ((r.x0 + i + 0.5) * p + trayX)) / m.printheadUm);
  }
  for (let j = 0; j < r.h; j++) {
    const row = j * r.w;
    for (let i = 0; i < r.w; i++) albedo[row + i] += head[i];
  }
}

/**
 * The part's own micro-texture: multi-scale relief, pores and reflective specks. Random per part
 * (seeded by the part), the same in every capture: this is what identity matching finds again.
 */
export function addFingerprint(s: SurfaceLayers, part: PartSpec): void {
  const { r, p, height, albedo } = s;
  const seed = deriveSeed(part.seed, 'fingerprint');
  microNoise(seed + 1, s, 5, 5, height, 0.5);
  microNoise(seed + 2, s, 12, 12, height, 1.0);
  microNoise(seed + 3, s, 8, 8, albedo, 0.055);
  microNoise(seed + 4, s, 20, 20, albedo, 0.055);
  if (6 / p >= 0.6) {
    addBumps(height, r, seed + 5, { cell: 110 / p, perCell: 1, radius: [5 / p, 12 / p], amplitude: [-6, -2] });
    addBumps(albedo, r, seed + 6, { cell: 150 / p, perCell: 1.2, radius: [3 / p, 8 / p], amplitude: [-0.45, 0.45] });
  }
}
