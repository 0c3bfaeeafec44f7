/**
 * What `--strength` does to how separable machines of one process are, measured with a deliberately
 * simple classifier (log power at 40 spatial periods along x and y, nearest class centroid) on the
 * source-identification protocol: 448 x 448 ROIs from 1024 x 1024 registered captures, 16 ROIs per
 * test part, majority vote. A CNN does better than this yardstick; the point is the trend and the
 * gap between one ROI and 16 voting ROIs.
 *
 * SYNTH_STRENGTH_PARTS overrides the parts per machine (default 12: 6 train, 6 test).
 */
import { createRng } from '../src/core/index.js';
import { DEFAULT_CONFIG, makeMachines, makePart, renderCapture, sampleCaptureParams, type ProcessName, type SynthConfig } from '../src/synth/index.js';
import { spectralFeatures, trainNearestCentroid, type LabelledFeatures } from '../src/synth/classify.js';
import type { BenchResult } from './run.js';

const SIZE = 1024;
const ROI = 448;
const ROIS = 16;

function rois(pixels: Uint8Array, seed: number): number[][] {
  const rng = createRng(seed);
  const out: number[][] = [];
  for (let k = 0; k < ROIS; k++) {
    const x0 = rng.int(SIZE - ROI + 1);
    const y0 = rng.int(SIZE - ROI + 1);
    const data = new Float32Array(ROI * ROI);
    for (let y = 0; y < ROI; y++) for (let x = 0; x < ROI; x++) data[y * ROI + x] = pixels[(y0 + y) * SIZE + x0 + x];
    out.push(spectralFeatures({ width: ROI, height: ROI, data }));
  }
  return out;
}

function measure(process: ProcessName, strength: number, machines: number, perMachine: number): { roi: number; voted: number } {
  const config: SynthConfig = { ...DEFAULT_CONFIG, processes: [process], machines, partsPerMachine: perMachine, strength };
  const ms = makeMachines(config);
  const train: LabelledFeatures[] = [];
  const test: Array<{ label: string; rois: number[][] }> = [];
  for (let i = 0; i < machines * perMachine; i++) {
    const part = makePart(config, ms, i);
    const cap = renderCapture(part, sampleCaptureParams(part, 0), { size: SIZE, pixelUm: 5.3 });
    const f = rois(cap.pixels, part.seed);
    if (i % perMachine < perMachine / 2) for (const r of f) train.push({ label: part.machine.name, features: r });
    else test.push({ label: part.machine.name, rois: f });
  }
  const model = trainNearestCentroid(train);
  let roiOk = 0;
  let partOk = 0;
  for (const t of test) {
    const votes = new Map<string, number>();
    for (const r of t.rois) {
      const p = model.predict(r).label;
      if (p === t.label) roiOk++;
      votes.set(p, (votes.get(p) ?? 0) + 1);
    }
    const winner = [...votes].sort((a, b) => b[1] - a[1])[0][0];
    if (winner === t.label) partOk++;
  }
  return { roi: roiOk / (test.length * ROIS), voted: partOk / test.length };
}

export async function run(): Promise<BenchResult> {
  const perMachine = Number(process.env.SYNTH_STRENGTH_PARTS ?? 12);
  const machines = 4;
  const rows: Array<Array<string | number>> = [];
  const metrics: Record<string, unknown> = { machines, perMachine, roi: ROI, roisPerPart: ROIS, size: SIZE };
  for (const proc of ['SLA', 'FDM'] as ProcessName[]) {
    for (const strength of [0, 1, 2]) {
      const r = measure(proc, strength, machines, perMachine);
      process.stderr.write(`synth-strength: ${proc} strength ${strength}: ROI ${r.roi.toFixed(3)}, 16-ROI vote ${r.voted.toFixed(3)}\n`);
      rows.push([proc, strength, r.roi.toFixed(3), r.voted.toFixed(3), (1 / machines).toFixed(3)]);
      metrics[`${proc}_s${strength}`] = r;
    }
  }
  return {
    name: 'synth-strength',
    metrics,
    tables: [{ title: `Nearest-centroid yardstick: ${machines} machines per process, ${perMachine / 2} train + ${perMachine / 2} test parts each`, columns: ['process', 'strength', 'ROI accuracy', '16-ROI vote accuracy', 'chance'], rows }],
    notes: ['A yardstick, not the product: the CNN of src/source and trainer/ is expected to do better at every strength.'],
  };
}
