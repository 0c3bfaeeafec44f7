/**
 * The two parameter ranges, and moulds and parts derived from (seed, range, index). Every value is
 * drawn from a seed derived from the global seed, the range's salt and the mould or part name, so
 * a part can be made again from its serial alone.
 */
import { createRng, deriveSeed, SynthError } from '../../core/index.js';
import type { MouldPart, MouldRange, MouldRangeName, MouldSetConfig, MouldSpec } from './types.js';

export const MOULD_RANGES: Readonly<Record<MouldRangeName, MouldRange>> = {
  development: {
    name: 'development',
    seedSalt: 'mould-development',
    individualFraction: 0.27,
    maxRotationDeg: 180,
    scale: [0.8, 1.25],
    maxShift: 0.05,
    maxPerspective: 0.03,
    lightChangeDeg: [0, 30],
    gain: [0.75, 1.25],
    gamma: [0.8, 1.25],
    vignette: [0, 0.3],
    defocusPx: [0.3, 1.2],
    motionPx: [0, 2.5],
    noise: [1, 4],
    smudgeChance: 0.3,
    smudgeStrength: [0.2, 0.5],
    occlusionChance: 0.3,
    occlusion: [0.03, 0.2],
    jpegChance: 0.6,
    jpegQuality: [70, 95],
  },
  heldout: {
    name: 'heldout',
    seedSalt: 'mould-heldout',
    individualFraction: 0.2,
    maxRotationDeg: 180,
    scale: [0.75, 1.33],
    maxShift: 0.06,
    maxPerspective: 0.05,
    lightChangeDeg: [0, 40],
    gain: [0.6, 1.4],
    gamma: [0.7, 1.4],
    vignette: [0, 0.45],
    defocusPx: [0.5, 1.8],
    motionPx: [0, 4],
    noise: [1.5, 6],
    smudgeChance: 0.45,
    smudgeStrength: [0.3, 0.6],
    occlusionChance: 0.4,
    occlusion: [0.05, 0.3],
    jpegChance: 0.8,
    jpegQuality: [55, 90],
  },
};

export const DEFAULT_MOULD_PIXEL_UM = 5;

export function resolveMouldRange(name: string): MouldRange {
  if (!Object.hasOwn(MOULD_RANGES, name)) throw new SynthError(`unknown mould range "${name}" (known: ${Object.keys(MOULD_RANGES).join(', ')})`, { code: 'BAD_INPUT' });
  return MOULD_RANGES[name as MouldRangeName];
}

/** The range of a data set with its config's overrides applied (what recaptures are drawn from). */
export function mouldRangeOf(c: Pick<MouldSetConfig, 'range' | 'lightChangeDeg'>): MouldRange {
  const r = resolveMouldRange(c.range);
  return c.lightChangeDeg ? { ...r, lightChangeDeg: c.lightChangeDeg } : r;
}

export function checkMouldConfig(c: MouldSetConfig): void {
  resolveMouldRange(c.range);
  const ints: Array<[string, number, number]> = [['moulds', c.moulds, 999], ['parts per mould', c.partsPerMould, 9999]];
  for (const [name, v, max] of ints) if (!Number.isInteger(v) || v < 1 || v > max) throw new SynthError(`${name} must be an integer 1..${max}, got ${v}`, { code: 'BAD_INPUT' });
  if (!Number.isInteger(c.size) || c.size < 64 || c.size > 4096 || c.size % 2 !== 0) throw new SynthError(`size must be an even integer 64..4096, got ${c.size}`, { code: 'BAD_INPUT' });
  if (!(c.pixelUm >= 1 && c.pixelUm <= 50)) throw new SynthError(`pixel size must be 1..50 micrometres, got ${c.pixelUm}`, { code: 'BAD_INPUT' });
  if (c.individualFraction !== undefined && !(c.individualFraction >= 0 && c.individualFraction <= 2)) throw new SynthError(`individual fraction must be 0..2, got ${c.individualFraction}`, { code: 'BAD_INPUT' });
  if (c.lightChangeDeg !== undefined) {
    const [lo, hi] = c.lightChangeDeg;
    if (!(lo >= 0 && hi >= lo && hi <= 80)) throw new SynthError(`light change must be LO,HI degrees with 0 <= LO <= HI <= 80, got ${lo},${hi}`, { code: 'BAD_INPUT' });
  }
}


export function mouldName(index: number): string {
  return `M${String(index + 1).padStart(2, '0')}`;
}

/** Mould `index` of a data set: its form, marks and texture. */
export function makeMould(config: Pick<MouldSetConfig, 'seed' | 'range'>, index: number): MouldSpec {
  const range = resolveMouldRange(config.range);
  const name = mouldName(index);
  const seed = deriveSeed(config.seed, range.seedSalt, 'mould', name);
  const rng = createRng(seed);
  const sign = rng.next() < 0.5 ? -1 : 1;
  const scratchAngle = rng.uniform(0, 180);
  return {
    name,
    index,
    seed,
    curvaturePerMm: (sign * 1) / rng.uniform(30, 120),
    draftSlope: Math.tan((rng.uniform(0.5, 3) * Math.PI) / 180),
    draftAzimuthDeg: rng.uniform(0, 360),
    ring: { cx: rng.uniform(-1500, 1500), cy: rng.uniform(-1500, 1500), radius: rng.uniform(600, 2200), width: rng.uniform(150, 400), height: rng.uniform(8, 25) },
    rib: { offset: rng.uniform(-1800, 1800), angleDeg: rng.uniform(0, 180), width: rng.uniform(60, 200), height: rng.uniform(-12, 12) },
    scratches: { angleDeg: scratchAngle, spreadDeg: rng.uniform(3, 15), perCell: rng.uniform(1.5, 4), depth: [0.2, rng.uniform(0.8, 1.6)], lengthPx: [40, rng.uniform(200, 500)] },
    toolPath: { cx: rng.uniform(-12000, 12000), cy: rng.uniform(-12000, 12000), pitchPx: rng.uniform(9, 22), height: rng.uniform(0.3, 0.8) },
    edm: { perCell: rng.uniform(0.8, 1.6), radiusPx: [1, rng.uniform(2.2, 3.2)], depth: [0.2, rng.uniform(0.6, 1.1)] },
    texture: [rng.uniform(0.15, 0.3), rng.uniform(0.6, 1.2), rng.uniform(2.5, 4.5)],
  };
}

export function mouldPartSerial(mould: number, role: MouldPart['role'], index: number): string {
  return `${mouldName(mould)}-${role === 'registered' ? 'P' : 'L'}${String(index + 1).padStart(4, '0')}`;
}

/** Parses `Mxx-Pnnnn` / `Mxx-Lnnnn`; null for anything else. */
export function parseMouldSerial(serial: string): { mould: number; role: MouldPart['role']; index: number } | null {
  const m = /^M(\d{2,3})-([PL])(\d{4})$/.exec(serial);
  if (!m) return null;
  return { mould: Number(m[1]) - 1, role: m[2] === 'P' ? 'registered' : 'lookalike', index: Number(m[3]) - 1 };
}

/** Part `index` of `role` made in mould `mould` (look-alikes have their own index space per mould). */
export function makeMouldPart(config: Pick<MouldSetConfig, 'seed' | 'range' | 'individualFraction'>, mould: number, role: MouldPart['role'], index: number): MouldPart {
  const spec = makeMould(config, mould);
  const serial = mouldPartSerial(mould, role, index);
  return {
    serial,
    role,
    index,
    seed: deriveSeed(spec.seed, 'part', serial),
    mould: spec,
    individualFraction: config.individualFraction ?? resolveMouldRange(config.range).individualFraction,
  };
}

/** Which mould and per-mould index look-alike number `l` (0-based over the whole set) comes from: round-robin over the moulds. */
export function lookalikeSlot(l: number, moulds: number): { mould: number; index: number } {
  return { mould: l % moulds, index: Math.floor(l / moulds) };
}
