/**
 * FVC2002 DB1 set B (10 fingers x 8 impressions): all 280 genuine and 2880 impostor pairs per
 * configuration; EER, FNMR at FMR 1%, rank-1 (impression 1 as gallery), open set with 3 fingers
 * held out. Compares AKAZE and ORB, with and without CLAHE, and score normalisations.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readGreyImage } from '../src/imaging/index.js';
import { calibrateScores, evaluateLabelled, fingerprintImage, readLabelledFolder, renderDetSvg, renderHistogramSvg, type PartialFingerprintOptions } from '../src/identity/index.js';
import type { BenchResult } from './run.js';

const DATA = path.resolve(process.cwd(), '../shared/data/fvc2002-db1b');

const CONFIGS: Array<{ name: string; fp: PartialFingerprintOptions }> = [
  { name: 'akaze', fp: {} },
  { name: 'akaze+clahe (registry default)', fp: { normalise: { clahe: { clipLimit: 2, tileGrid: 8 } } } },
  { name: 'orb', fp: { extract: { kind: 'orb' } } },
];

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

export async function run(): Promise<BenchResult> {
  if (!existsSync(DATA)) return { name: 'identity-fvc', metrics: {}, tables: [], skipped: `${DATA} not found` };
  const only = process.env.IDENTITY_FVC_CONFIGS?.split(',');
  const files = await readLabelledFolder(DATA);
  const rows: Array<Array<string | number>> = [];
  const normRows: Array<Array<string | number>> = [];
  const metrics: Record<string, unknown> = {};
  for (const cfg of CONFIGS.filter((c) => !only || only.includes(c.name.split(' ')[0]))) {
    const items = [];
    let extractMs = 0, rejected = 0, kp = 0;
    for (const f of files) {
      const img = await readGreyImage(f.file);
      const t0 = performance.now();
      const fp = await fingerprintImage(img, cfg.fp);
      extractMs += performance.now() - t0;
      if (!fp.features || !fp.quality.ok) { rejected++; continue; }
      kp += fp.features.sizes.length;
      items.push({ label: f.label, features: fp.features });
    }
    const t0 = performance.now();
    const ev = await evaluateLabelled(items, { targetFmr: 1e-2, holdOutFraction: 0.3 });
    const pairMs = (performance.now() - t0) / (ev.genuine.length + ev.impostor.length);
    const c = ev.calibration;
    const at = (f: number) => c.operatingPoints.find((p) => p.targetFmr === f)!;
    rows.push([cfg.name, items.length, rejected, Math.round(kp / items.length), pct(c.eer), pct(at(1e-2).fnmr), `${pct(at(1e-3).fnmr)}${at(1e-3).measurable ? '' : '*'}`, pct(ev.rank1.rate), pct(ev.openSet.fpir), pct(ev.openSet.fnir), (extractMs / files.length).toFixed(0), pairMs.toFixed(1)]);
    for (const [k, v] of Object.entries(ev.alternatives)) {
      const cc = calibrateScores(v.genuine, v.impostor, 1e-2);
      normRows.push([cfg.name, k, pct(cc.eer), pct(cc.operatingPoints.find((p) => p.targetFmr === 1e-2)!.fnmr)]);
    }
    metrics[cfg.name] = { eer: c.eer, fnmrAt1e2: at(1e-2).fnmr, fnmrAt1e3: at(1e-3).fnmr, rank1: ev.rank1, openSet: ev.openSet, extractMs: extractMs / files.length, pairMs, genuine: c.genuineCount, impostor: c.impostorCount };
    const slug = cfg.name.split(' ')[0].replace(/[^a-z0-9]+/g, '-');
    await writeFile(path.resolve('bench/results', `identity-fvc-${slug}-det.svg`), renderDetSvg(c, `FVC2002 DB1-B, ${cfg.name}`));
    await writeFile(path.resolve('bench/results', `identity-fvc-${slug}-scores.svg`), renderHistogramSvg(ev.genuine, ev.impostor, c.threshold, `FVC2002 DB1-B, ${cfg.name}`));
  }
  return {
    name: 'identity-fvc',
    metrics,
    tables: [
      { title: 'FVC2002 DB1-B: 10 fingers x 8 impressions, all pairs (score S = n_inlier / N_total)', columns: ['configuration', 'images', 'rejected', 'keypoints', 'EER', 'FNMR@FMR=1e-2', 'FNMR@FMR=1e-3', 'rank-1 (gallery = impression 1)', 'FPIR (3 fingers held out)', 'FNIR', 'extract ms', 'pair ms'], rows },
      { title: 'Score normalisations on the same pairs', columns: ['configuration', 'score', 'EER', 'FNMR@FMR=1e-2'], rows: normRows },
    ],
    notes: [
      'Open set: fingers 108-110 left out of the gallery (impression 1 of 101-107 enrolled); threshold at FMR = 1e-2 from all pairs.',
      '* FMR 1e-3 is below the resolution of 2880 impostor pairs (about 3 pairs allowed): indicative only.',
      'DET curves and score histograms: bench/results/identity-fvc-*.svg.',
    ],
  };
}
