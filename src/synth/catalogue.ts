/**
 * Processes, machines and parts: who made what, where on which tray. Pure functions of the config,
 * so any part can be rebuilt from (config, serial) without a stored list.
 */
import { createRng, deriveSeed, SynthError } from '../core/index.js';
import { DESIGNS, PROCESSES, type MachineSpec, type PartSpec, type ProcessName, type SynthConfig } from './types.js';

/** Nominal value and relative (or, with abs, absolute) machine-to-machine spread at strength 1. */
interface ParamSpec {
  nominal: number;
  spread: number;
  abs?: boolean;
  min?: number;
  max?: number;
}

/**
 * Process models. Lengths in micrometres. The spreads are what separates machines of one process;
 * `strength` multiplies them all.
 */
const PROCESS_PARAMS: Record<ProcessName, Record<string, ParamSpec>> = {
  FDM: {
    layerUm: { nominal: 254, spread: 0.012 },
    grooveUm: { nominal: 40, spread: 0.12 },
    wobbleUm: { nominal: 7, spread: 0.3 },
    wobbleLenUm: { nominal: 450, spread: 0.25 },
    stepperPeriodUm: { nominal: 1000, spread: 0.2 },
    stepperAmpUm: { nominal: 4, spread: 0.5, min: 0 },
    zPeriodLayers: { nominal: 7, spread: 0.3, min: 2.5 },
    zAmp: { nominal: 0.04, spread: 0.6, min: 0 },
    zRand: { nominal: 0.03, spread: 0.4, min: 0 },
    zAr: { nominal: 0.5, spread: 0.4, abs: true, min: -0.2, max: 0.9 },
    skew: { nominal: 0, spread: 0.12, abs: true, min: -0.4, max: 0.4 },
    widthNoise: { nominal: 0.15, spread: 0.3, min: 0 },
  },
  SLA: {
    pitchUm: { nominal: 50, spread: 0.015 },
    aniso: { nominal: 1, spread: 0.012, abs: true },
    edgeBlurUm: { nominal: 7, spread: 0.25, min: 3.5 },
    edgeDepthUm: { nominal: 3.2, spread: 0.25 },
    cellNoiseUm: { nominal: 1.0, spread: 0.4, min: 0 },
    resinAmpUm: { nominal: 1.6, spread: 0.25 },
    resinSigmaUm: { nominal: 12, spread: 0.2 },
    bandPeriodUm: { nominal: 800, spread: 0.25 },
    bandAmp: { nominal: 0.02, spread: 0.6, min: 0 },
  },
  DLS: {
    pitchUm: { nominal: 75, spread: 0.015 },
    aniso: { nominal: 1, spread: 0.012, abs: true },
    edgeBlurUm: { nominal: 6, spread: 0.25, min: 3.5 },
    edgeDepthUm: { nominal: 3.0, spread: 0.25 },
    cellNoiseUm: { nominal: 0.6, spread: 0.4, min: 0 },
    resinAmpUm: { nominal: 0.9, spread: 0.25 },
    resinSigmaUm: { nominal: 20, spread: 0.2 },
    bandPeriodUm: { nominal: 1200, spread: 0.25 },
    bandAmp: { nominal: 0.015, spread: 0.6, min: 0 },
  },
  MJF: {
    grainUm: { nominal: 11, spread: 0.08 },
    grainCellUm: { nominal: 50, spread: 0.05 },
    grainAmpUm: { nominal: 8, spread: 0.2 },
    aniso: { nominal: 1, spread: 0.1, abs: true, min: 0.6, max: 1.6 },
    sinterAmpUm: { nominal: 5, spread: 0.3 },
    sinterSigmaUm: { nominal: 45, spread: 0.2 },
    printheadUm: { nominal: 42.33, spread: 0.01 },
    printheadAmp: { nominal: 0.008, spread: 0.6, min: 0 },
    streakAmp: { nominal: 0.015, spread: 0.6, min: 0 },
  },
};

const MATERIAL: Record<ProcessName, string> = { DLS: 'RPU 70', MJF: 'PA12', SLA: 'Black resin', FDM: 'ABS' };

/** Build capacity and tray grid per process (as in the reference study: 36, 108, 24, 176). */
const TRAY: Record<ProcessName, { cols: number; rows: number; pitchMm: [number, number] }> = {
  DLS: { cols: 6, rows: 6, pitchMm: [31, 20] },
  MJF: { cols: 12, rows: 9, pitchMm: [30, 24] },
  SLA: { cols: 6, rows: 4, pitchMm: [24, 30] },
  FDM: { cols: 16, rows: 11, pitchMm: [33, 25] },
};

export const DEFAULT_CONFIG: SynthConfig = { seed: 1, strength: 1, processes: [...PROCESSES], machines: 21, partsPerMachine: 150 };

export function checkConfig(c: SynthConfig): void {
  if (!Number.isInteger(c.machines) || c.machines < 1 || c.machines > 999) throw new SynthError(`machines must be an integer 1..999, got ${c.machines}`, { code: 'BAD_INPUT' });
  if (!Number.isInteger(c.partsPerMachine) || c.partsPerMachine < 1 || c.partsPerMachine > 100_000) throw new SynthError(`parts per machine must be an integer 1..100000, got ${c.partsPerMachine}`, { code: 'BAD_INPUT' });
  if (!(c.strength >= 0 && c.strength <= 100)) throw new SynthError(`strength must be 0..100, got ${c.strength}`, { code: 'BAD_INPUT' });
  if (c.processes.length === 0) throw new SynthError('at least one process is needed', { code: 'BAD_INPUT' });
  for (const p of c.processes) if (!PROCESSES.includes(p)) throw new SynthError(`unknown process "${p}" (known: ${PROCESSES.join(', ')})`, { code: 'BAD_INPUT' });
}

export function machineName(i: number): string {
  return `M${String(i + 1).padStart(2, '0')}`;
}

/** The machines of a data set, with their parameters. */
export function makeMachines(c: SynthConfig): MachineSpec[] {
  const out: MachineSpec[] = [];
  for (let i = 0; i < c.machines; i++) {
    const process = c.processes[i % c.processes.length];
    const name = machineName(i);
    const seed = deriveSeed(c.seed, 'machine', name);
    const rng = createRng(seed);
    const params: Record<string, number> = {};
    for (const [key, spec] of Object.entries(PROCESS_PARAMS[process])) {
      const n = Math.max(-2.5, Math.min(2.5, rng.normal()));
      // Relative spreads are log-normal, so a large strength keeps every length positive.
      let v = spec.abs ? spec.nominal + c.strength * spec.spread * n : spec.nominal * Math.exp(c.strength * spec.spread * n);
      if (spec.min !== undefined) v = Math.max(spec.min, v);
      if (spec.max !== undefined) v = Math.min(spec.max, v);
      params[key] = v;
    }
    // Smooth field over the tray (projector/lamp vignetting, thermal gradient): a few random waves.
    for (let k = 0; k < 4; k++) {
      params[`fieldFx${k}`] = rng.uniform(-1, 1) / rng.uniform(150, 400);
      params[`fieldFy${k}`] = rng.uniform(-1, 1) / rng.uniform(150, 400);
      params[`fieldPh${k}`] = rng.uniform(0, 2 * Math.PI);
    }
    const tray = TRAY[process];
    out.push({ name, index: i, process, material: MATERIAL[process], seed, buildSize: tray.cols * tray.rows, trayCols: tray.cols, trayRows: tray.rows, trayPitchMm: tray.pitchMm, params });
  }
  return out;
}

function wave(m: MachineSpec, k: number, x: number, y: number): number {
  const p = m.params;
  return Math.cos(2 * Math.PI * (p[`fieldFx${k}`] * x + p[`fieldFy${k}`] * y) + p[`fieldPh${k}`]);
}

function trayModulation(m: MachineSpec, strength: number, buildSeed: number, x: number, y: number): PartSpec['tray'] {
  const rng = createRng(buildSeed);
  // A build has its own offset and tilt on top of the machine's field.
  const off = [rng.normal(), rng.normal(), rng.normal(), rng.normal()];
  const tilt = [rng.normal(), rng.normal()];
  const b = (k: number) => 0.6 * wave(m, k, x, y) + 0.4 * off[k] + 0.3 * (tilt[0] * (x / 200) + tilt[1] * (y / 200)) * (k % 2 ? 1 : -1);
  return {
    depth: 1 + strength * 0.06 * b(0),
    blur: 1 + strength * 0.08 * b(1),
    brightness: 1 + strength * 0.02 * b(2),
    texture: 1 + strength * 0.06 * b(3),
  };
}

/** Serial of the i-th registered part (P000001 ...), and of the i-th look-alike (L000001 ...). */
export function partSerial(index: number): string {
  return `P${String(index + 1).padStart(6, '0')}`;
}
export function lookalikeSerial(index: number): string {
  return `L${String(index + 1).padStart(6, '0')}`;
}

/** Index of a serial made by partSerial / lookalikeSerial, or undefined. */
export function parseSerial(serial: string): { lookalike: boolean; index: number } | undefined {
  const m = /^([PL])(\d{6,})$/.exec(serial);
  if (!m) return undefined;
  return { lookalike: m[1] === 'L', index: Number(m[2]) - 1 };
}

/** The i-th part of the data set: machine-major, then build, then tray position. */
export function makePart(c: SynthConfig, machines: MachineSpec[], index: number): PartSpec {
  const total = c.machines * c.partsPerMachine;
  if (!Number.isInteger(index) || index < 0 || index >= total) throw new SynthError(`part index ${index} is outside 0..${total - 1}`, { code: 'BAD_INPUT' });
  const m = machines[Math.floor(index / c.partsPerMachine)];
  const k = index % c.partsPerMachine;
  const buildIndex = Math.floor(k / m.buildSize);
  const pos = k % m.buildSize;
  return finishPart(c, m, partSerial(index), index, buildIndex, `${m.name}-B${String(buildIndex + 1).padStart(2, '0')}`, pos);
}

/**
 * The i-th look-alike: a new individual from machine i mod M, in a build of its own, at a random
 * tray position. Its serial is not in the data set.
 */
export function makeLookalike(c: SynthConfig, machines: MachineSpec[], index: number): PartSpec {
  const m = machines[index % machines.length];
  const serial = lookalikeSerial(index);
  const rng = createRng(deriveSeed(c.seed, 'lookalike-pos', serial));
  const buildIndex = 1000 + Math.floor(index / machines.length / m.buildSize);
  return finishPart(c, m, serial, index, buildIndex, `${m.name}-X${String(buildIndex - 999).padStart(2, '0')}`, rng.int(m.buildSize));
}

function finishPart(c: SynthConfig, m: MachineSpec, serial: string, index: number, buildIndex: number, build: string, pos: number): PartSpec {
  const trayCol = pos % m.trayCols;
  const trayRow = Math.floor(pos / m.trayCols);
  const trayMm: [number, number] = [(trayCol + 0.5) * m.trayPitchMm[0], (trayRow + 0.5) * m.trayPitchMm[1]];
  const buildSeed = deriveSeed(m.seed, 'build', buildIndex);
  return {
    serial,
    index,
    seed: deriveSeed(c.seed, serial),
    machine: m,
    design: DESIGNS[index % DESIGNS.length],
    build,
    buildIndex,
    trayCol,
    trayRow,
    trayMm,
    // The tray field grows with strength up to 1 and then stays: above 1, machines only get more distinct.
    tray: trayModulation(m, Math.min(1, c.strength), buildSeed, trayMm[0], trayMm[1]),
  };
}

export function trayPositionLabel(p: PartSpec): string {
  return `r${p.trayRow + 1}c${p.trayCol + 1}`;
}

/** The ground-truth attributes every manifest (parts, recaptures, sheets) writes for a part. */
export function partAttributes(p: PartSpec): Record<'process' | 'machine' | 'material' | 'build' | 'tray_position' | 'design', string> {
  return {
    process: p.machine.process,
    machine: p.machine.name,
    material: p.machine.material,
    build: p.build,
    tray_position: trayPositionLabel(p),
    design: p.design,
  };
}

/** Parts per machine in each split of a source-identification data set. */
export interface SplitCounts {
  train: number;
  val: number;
  test: number;
}

/**
 * The split of the k-th part of machine `machineIndex` in a source-identification data set: each
 * machine's parts are shuffled with a seeded RNG, so every split spans all builds and tray positions.
 * The trainer's generator (trainer/gpu/synth-dataset.ts) and the demo both use it, so the demo can
 * show a bundled model only parts it never saw.
 */
export function datasetSplit(seed: number, machineIndex: number, k: number, counts: SplitCounts): 'train' | 'val' | 'test' {
  const per = counts.train + counts.val + counts.test;
  const order = Array.from({ length: per }, (_, i) => i);
  const rng = createRng(deriveSeed(seed, 'split', machineIndex));
  for (let i = per - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const rank = order.indexOf(k);
  return rank < counts.train ? 'train' : rank < counts.train + counts.val ? 'val' : 'test';
}
