/**
 * FVC2002 DB1 set B (10 fingers x 8 impressions): all 280 genuine and 2880 impostor pairs per
 * configuration; EER, FNMR at FMR 1%, rank-1 (impression 1 as gallery), open set with 3 fingers
 * held out. Compares AKAZE and ORB, CLAHE, local brightness normalisation (the `fingerprint`
 * profile) and the registry's `parts` profile; score normalisations; the weakest genuine pairs;
 * and a sweep around the `fingerprint` profile's settings to show whether it sits on a knife edge.
 *
 * Env: IDENTITY_FVC_CONFIGS=name,name (main table only those), IDENTITY_FVC_SWEEP=0 (no sweep).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readGreyImage, type GreyImage } from '../src/imaging/index.js';
import {
  calibrateScores,
  DEFAULT_IDENTITY_SETTINGS,
  evaluateLabelled,
  fingerprintImage,
  IDENTITY_PROFILES,
  IdentityService,
  readLabelledFolder,
  renderDetSvg,
  renderEvidencePng,
  renderHistogramSvg,
  saveIdentitySettings,
  verifyPair,
  type FeatureSet,
  type PartialFingerprintOptions,
  type PartialVerifyOptions,
} from '../src/identity/index.js';
import { openRegistry } from '../src/registry/index.js';
import type { BenchResult } from './run.js';

const DATA = path.resolve(process.cwd(), '../shared/data/fvc2002-db1b');
const FP = IDENTITY_PROFILES.fingerprint;

interface Config {
  name: string;
  fp: PartialFingerprintOptions;
  verify?: PartialVerifyOptions;
}

const CONFIGS: Config[] = [
  { name: 'akaze', fp: {} },
  { name: 'akaze+clahe', fp: { normalise: { clahe: { clipLimit: 2, tileGrid: 8 } } } },
  { name: 'profile-fingerprint', fp: FP.fingerprint, verify: { match: FP.match } },
  { name: 'profile-parts', fp: IDENTITY_PROFILES.parts.fingerprint, verify: { match: IDENTITY_PROFILES.parts.match } },
  { name: 'orb', fp: { extract: { kind: 'orb' } } },
];

/** Neighbours of the fingerprint profile: one setting changed at a time. */
const local = (sigma: number, minStd: number): PartialFingerprintOptions => ({ normalise: { localNormalise: { sigma, minStd } } });
const SWEEP: Config[] = [
  { name: 'sigma 4 (profile)', fp: local(4, 8) },
  { name: 'sigma 4, ratio 0.9', fp: local(4, 8), verify: { match: { ratio: 0.9 } } },
  { name: 'sigma 4, ratio 1.0 (no ratio test)', fp: local(4, 8), verify: { match: { ratio: 1.0 } } },
  { name: 'sigma 4, inlier tolerance 4 px', fp: local(4, 8), verify: { geometry: { thresholdPx: 4 } } },
  { name: 'sigma 4, inlier tolerance 10 px', fp: local(4, 8), verify: { geometry: { thresholdPx: 10 } } },
  { name: 'sigma 4, orientation check 15 deg', fp: local(4, 8), verify: { geometry: { angleToleranceDeg: 15 } } },
  { name: 'sigma 4, orientation check 30 deg', fp: local(4, 8), verify: { geometry: { angleToleranceDeg: 30 } } },
  { name: 'sigma 2', fp: local(2, 8) },
  { name: 'sigma 3', fp: local(3, 8) },
  { name: 'sigma 3.5', fp: local(3.5, 8) },
  { name: 'sigma 4.5', fp: local(4.5, 8) },
  { name: 'sigma 5', fp: local(5, 8) },
  { name: 'sigma 8', fp: local(8, 8) },
  { name: 'sigma 4, minStd 4', fp: local(4, 4) },
  { name: 'sigma 4, minStd 16', fp: local(4, 16) },
];

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

interface Item {
  label: string;
  file: string;
  features: FeatureSet;
  image: GreyImage;
}

async function extractAll(files: Array<{ label: string; file: string }>, fp: PartialFingerprintOptions): Promise<{ items: Item[]; rejected: number; ms: number }> {
  const items: Item[] = [];
  let ms = 0, rejected = 0;
  for (const f of files) {
    const img = await readGreyImage(f.file);
    const t0 = performance.now();
    const r = await fingerprintImage(img, fp);
    ms += performance.now() - t0;
    if (!r.features || !r.quality.ok) { rejected++; continue; }
    items.push({ label: f.label, file: path.basename(f.file, path.extname(f.file)), features: r.features, image: r.normalised.image });
  }
  return { items, rejected, ms: ms / files.length };
}

/** Genuine pairs in the order evaluateLabelled scores them (i < j, same label). */
function genuinePairs(items: Item[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < items.length; i++) for (let j = i + 1; j < items.length; j++) if (items[i].label === items[j].label) out.push([i, j]);
  return out;
}

/**
 * The registry path a user takes: a registry whose settings name the fingerprint profile (its
 * uncalibrated threshold), impression 1 of fingers 101-107 registered, impressions 2-8 of all ten
 * identified (108-110 are not registered).
 */
async function registryRun(): Promise<{ row: Array<string | number>; metrics: Record<string, unknown> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-bench-fvc-'));
  const reg = await openRegistry({ dataDir: dir });
  try {
    await saveIdentitySettings(path.join(dir, 'identity'), { ...DEFAULT_IDENTITY_SETTINGS, profile: 'fingerprint', threshold: FP.threshold });
    const svc = new IdentityService(reg);
    for (let f = 101; f <= 107; f++) await svc.register(`F-${f}`, path.join(DATA, `${f}_1.tif`), {}, { createPart: true });
    let identified = 0, missed = 0, wrong = 0, nonMates = 0, falseAccepts = 0, rejected = 0;
    const ms: number[] = [];
    for (let f = 101; f <= 110; f++) {
      for (let k = 2; k <= 8; k++) {
        const t0 = performance.now();
        const r = await svc.identify(path.join(DATA, `${f}_${k}.tif`));
        ms.push(performance.now() - t0);
        if (r.status === 'rejected') { rejected++; continue; }
        const got = r.status === 'identified' ? r.candidates[0].serial : null;
        if (f <= 107) {
          if (got === `F-${f}`) identified++;
          else if (got === null) missed++;
          else wrong++;
        } else {
          nonMates++;
          if (got !== null) falseAccepts++;
        }
      }
    }
    ms.sort((a, b) => a - b);
    const median = ms[ms.length >> 1];
    return {
      row: [svc.profile.name, FP.threshold, `${identified}/49`, missed, wrong, `${falseAccepts}/${nonMates}`, rejected, median.toFixed(0)],
      metrics: { profile: svc.profile.name, version: svc.version, threshold: FP.threshold, identified, missed, wrong, nonMates, falseAccepts, rejected, identifyMedianMs: median },
    };
  } finally {
    await reg.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult> {
  if (!existsSync(DATA)) return { name: 'identity-fvc', metrics: {}, tables: [], skipped: `${DATA} not found` };
  const only = process.env.IDENTITY_FVC_CONFIGS?.split(',');
  const files = await readLabelledFolder(DATA);
  const rows: Array<Array<string | number>> = [];
  const normRows: Array<Array<string | number>> = [];
  const weakRows: Array<Array<string | number>> = [];
  const sweepRows: Array<Array<string | number>> = [];
  const metrics: Record<string, unknown> = {};
  for (const cfg of CONFIGS.filter((c) => !only || only.includes(c.name))) {
    process.stderr.write(`identity-fvc: ${cfg.name}\n`);
    const { items, rejected, ms: extractMs } = await extractAll(files, cfg.fp);
    const kp = items.reduce((s, i) => s + i.features.sizes.length, 0);
    const t0 = performance.now();
    const ev = await evaluateLabelled(items, { targetFmr: 1e-2, holdOutFraction: 0.3, verify: cfg.verify });
    const pairMs = (performance.now() - t0) / (ev.genuine.length + ev.impostor.length);
    const c = ev.calibration;
    const at = (f: number) => c.operatingPoints.find((p) => p.targetFmr === f)!;
    rows.push([cfg.name, items.length, rejected, Math.round(kp / items.length), pct(c.eer), pct(at(1e-2).fnmr), `${pct(at(1e-3).fnmr)}${at(1e-3).measurable ? '' : '*'}`, pct(ev.rank1.rate), pct(ev.openSet.fpir), pct(ev.openSet.fnir), c.threshold.toPrecision(3), extractMs.toFixed(0), pairMs.toFixed(1)]);
    for (const [k, v] of Object.entries(ev.alternatives)) {
      const cc = calibrateScores(v.genuine, v.impostor, 1e-2);
      normRows.push([cfg.name, k, pct(cc.eer), pct(cc.operatingPoints.find((p) => p.targetFmr === 1e-2)!.fnmr)]);
    }
    metrics[cfg.name] = { eer: c.eer, eerThreshold: c.eerThreshold, thresholdAt1e2: c.threshold, fnmrAt1e2: at(1e-2).fnmr, fnmrAt1e3: at(1e-3).fnmr, rank1: ev.rank1, openSet: ev.openSet, extractMs, pairMs, genuine: c.genuineCount, impostor: c.impostorCount, scoreKind: ev.scoreKind };
    const slug = cfg.name.replace(/[^a-z0-9]+/g, '-');
    await writeFile(path.resolve('bench/results', `identity-fvc-${slug}-det.svg`), renderDetSvg(c, `FVC2002 DB1-B, ${cfg.name}`));
    await writeFile(path.resolve('bench/results', `identity-fvc-${slug}-scores.svg`), renderHistogramSvg(ev.genuine, ev.impostor, c.threshold, `FVC2002 DB1-B, ${cfg.name}`));
    if (cfg.name === 'akaze' || cfg.name === 'profile-fingerprint') {
      // The weakest genuine pairs: which fail at the EER threshold, and evidence for the two weakest.
      const gp = genuinePairs(items);
      const order = ev.genuine.map((s, k) => ({ s, k })).sort((x, y) => x.s - y.s).slice(0, 8);
      const worstImpostor = Math.max(...ev.impostor);
      for (const [rank, { s, k }] of order.entries()) {
        const [i, j] = gp[k];
        const r = await verifyPair(items[i].features, items[j].features, cfg.verify);
        weakRows.push([cfg.name, `${items[i].file} - ${items[j].file}`, r.geometry.inliers, r.matches.count, s.toFixed(4), s >= c.eerThreshold ? 'pass' : 'FAIL', worstImpostor.toFixed(4)]);
        if (rank < 2) {
          const png = await renderEvidencePng(items[i].image, items[j].image, items[i].features, items[j].features, r);
          await writeFile(path.resolve('bench/results', `identity-fvc-${slug}-weakest-${rank + 1}.png`), png);
        }
      }
    }
  }
  if (process.env.IDENTITY_FVC_SWEEP !== '0') {
    let cachedKey = '';
    let cachedItems: Item[] = [];
    for (const cfg of SWEEP) {
      process.stderr.write(`identity-fvc sweep: ${cfg.name}\n`);
      const key = JSON.stringify(cfg.fp);
      if (cachedKey !== key) {
        cachedItems = (await extractAll(files, cfg.fp)).items;
        cachedKey = key;
      }
      const ev = await evaluateLabelled(cachedItems, { targetFmr: 1e-2, holdOutFraction: 0.3, verify: cfg.verify });
      const c = ev.calibration;
      sweepRows.push([cfg.name, pct(c.eer), pct(c.operatingPoints.find((p) => p.targetFmr === 1e-2)!.fnmr), pct(ev.rank1.rate)]);
      metrics[`sweep ${cfg.name}`] = { eer: c.eer, fnmrAt1e2: c.operatingPoints.find((p) => p.targetFmr === 1e-2)!.fnmr, rank1: ev.rank1.rate };
    }
  }
  process.stderr.write('identity-fvc: registry with the fingerprint profile\n');
  const registry = await registryRun();
  metrics.registry = registry.metrics;
  const tables: BenchResult['tables'] = [
    { title: 'FVC2002 DB1-B: 10 fingers x 8 impressions, all pairs (decision score S = n_inlier / N_total)', columns: ['configuration', 'images', 'rejected', 'keypoints', 'EER', 'FNMR@FMR=1e-2', 'FNMR@FMR=1e-3', 'rank-1 (gallery = impression 1)', 'FPIR (3 fingers held out)', 'FNIR', 'threshold @FMR=1e-2', 'extract ms', 'pair ms'], rows },
    { title: 'Score normalisations on the same pairs (the decision uses inlierRatio)', columns: ['configuration', 'score', 'EER', 'FNMR@FMR=1e-2'], rows: normRows },
    { title: 'Through a registry (settings.json profile "fingerprint", uncalibrated threshold): impression 1 of 101-107 registered, impressions 2-8 of all 10 fingers identified', columns: ['profile', 'threshold', 'mates identified', 'missed', 'wrong part', 'non-mates accepted (108-110)', 'rejected', 'identify ms (median)'], rows: [registry.row] },
    { title: 'The 8 weakest genuine pairs', columns: ['configuration', 'pair', 'inliers', 'putative pairs', 'S', 'at the EER threshold', 'highest impostor S'], rows: weakRows },
  ];
  if (sweepRows.length) tables.push({ title: 'Around the fingerprint profile (local normalisation sigma 4 px, minStd 8, ratio 0.95, 6 px, 20 deg): one setting changed at a time', columns: ['setting', 'EER', 'FNMR@FMR=1e-2', 'rank-1'], rows: sweepRows });
  return {
    name: 'identity-fvc',
    metrics,
    tables,
    notes: [
      'profile-fingerprint is `partprint identity eval DIR --profile fingerprint` (or `identity profile fingerprint` for a registry): AKAZE at native size on a locally brightness-normalised image, (I - mean) / max(std, 8) over Gaussian windows of sigma 4 px. profile-parts is what a registry uses by default (CLAHE, 256 px, ratio 0.9).',
      'DB1-B has no separate training set: the profile was chosen on these same 80 images. The sweep shows the neighbours of the chosen setting; the claim is one principled change (even out pressure and dryness before AKAZE), not a tuned optimum.',
      'Sweep: every neighbour with sigma 2-4.5 px stays under 2% (1.09-1.83%), as do the matching changes; sigma 5 and 8 give 2.15%, still below no normalisation (2.50%). Differences of 0.36% are one genuine pair.',
      'The weakest genuine pairs: with the profile, all 4 that still fail at the EER threshold involve impression 103_5 (a heavily pressed, smeared impression; 103_4 - 103_5 also overlap little: one shows the top of the finger, the other its centre). Evidence pictures: bench/results/identity-fvc-*-weakest-*.png.',
      'Open set: fingers 108-110 left out of the gallery (impression 1 of 101-107 enrolled); threshold at FMR = 1e-2 from all pairs.',
      '* FMR 1e-3 is below the resolution of 2880 impostor pairs (about 3 pairs allowed): indicative only.',
      'DET curves and score histograms: bench/results/identity-fvc-<configuration>-{det,scores}.svg.',
    ],
  };
}
