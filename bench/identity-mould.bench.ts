/**
 * Individual identity on the mould generator (src/synth/mould), the evaluation the team does not
 * tune to: registered parts from moulds of 50, handheld recaptures, and never-registered
 * look-alikes from the same moulds, which share the mould's form, machining marks and fine texture.
 * partprint registers every part through the registry (IdentityService.register, the registry's
 * default profile, as `partprint register`) and identifies every recapture and look-alike 1:N
 * (IdentityService.identify, as `partprint identify`). A plain ORB + RANSAC baseline
 * (bench/orb-baseline.ts) runs on the same images; the old generator (src/synth parts +
 * recaptures + look-alikes) at a matching size gives the comparison row.
 *
 * Env: IDENTITY_MOULD_RANGE=development|heldout (default development; the held-out range runs only
 * when named here and writes identity-mould-heldout.*), IDENTITY_MOULD_PARTS (registered parts,
 * default 1000), IDENTITY_MOULD_PER_MOULD (default 50), IDENTITY_MOULD_RECAPTURES (default 2),
 * IDENTITY_MOULD_LOOKALIKES (default 1000), IDENTITY_MOULD_SEED (default 1), IDENTITY_MOULD_SIZE
 * (default 1024), IDENTITY_MOULD_BASELINE_MOULDS (moulds the exhaustive ORB baseline and the
 * like-for-like partprint run use, default 4, i.e. 200 parts), IDENTITY_MOULD_OLD=0 (no old-generator
 * rows), IDENTITY_MOULD_WORKERS (render threads, default 2), IDENTITY_MOULD_CACHE (default
 * /tmp/partprint-mould-cache), IDENTITY_MOULD_CALIBRATE_FPIR (target of the registry's own calibration,
 * default 1e-2), IDENTITY_MOULD_CALIBRATE_PROBES (parts it probes, default 200), IDENTITY_MOULD_GENERATE_ONLY=1
 * (build the cached data set and stop, measuring nothing), IDENTITY_MOULD_PROBE_RECAPTURES (recaptures per part
 * identified, the first N of IDENTITY_MOULD_RECAPTURES; default all).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { IdentityService, renderHistogramSvg } from '../src/identity/index.js';
import { readGreyImage } from '../src/imaging/index.js';
import { openRegistry } from '../src/registry/index.js';
import { generateMouldSet, generateParts, generateRecaptures, MOULD_RANGES, parseCsv, readMouldSet, type MouldRangeName } from '../src/synth/index.js';
import { orbFeatures, ORB_BASELINE, runProbes, type OrbFeatures, type ProbeJob } from './orb-baseline.js';
import { summarise, type MatedOutcome, type NonMatedOutcome, type OpenSetSummary } from './open-set.js';
import type { BenchResult, BenchTable } from './run.js';
import { ms, quantile } from './stats.js';

const env = process.env;
const RANGE = (env.IDENTITY_MOULD_RANGE ?? 'development') as MouldRangeName;
const PARTS = Number(env.IDENTITY_MOULD_PARTS ?? 1000);
const PER_MOULD = Math.min(PARTS, Number(env.IDENTITY_MOULD_PER_MOULD ?? 50));
const MOULDS = Math.max(1, Math.round(PARTS / PER_MOULD));
const RECAPTURES = Number(env.IDENTITY_MOULD_RECAPTURES ?? 2);
const LOOKALIKES = Number(env.IDENTITY_MOULD_LOOKALIKES ?? 1000);
/** Recaptures per part used as probes (the first N of the set's RECAPTURES; a cached set serves a shorter run). */
const PROBE_RECAPTURES = Math.min(RECAPTURES, Number(env.IDENTITY_MOULD_PROBE_RECAPTURES ?? RECAPTURES));
const SEED = Number(env.IDENTITY_MOULD_SEED ?? 1);
const SIZE = Number(env.IDENTITY_MOULD_SIZE ?? 1024);
const BASELINE_MOULDS = Math.min(MOULDS, Number(env.IDENTITY_MOULD_BASELINE_MOULDS ?? 4));
const OLD = env.IDENTITY_MOULD_OLD !== '0';
const WORKERS = Number(env.IDENTITY_MOULD_WORKERS ?? 2);
const CACHE = env.IDENTITY_MOULD_CACHE ?? '/tmp/partprint-mould-cache';
const NAME = RANGE === 'heldout' ? 'identity-mould-heldout' : 'identity-mould';
/** Target of the registry's own calibration (`identity calibrate`), and how many parts it probes. */
const CALIBRATE_FPIR = Number(env.IDENTITY_MOULD_CALIBRATE_FPIR ?? 1e-2);
const CALIBRATE_PROBES = Number(env.IDENTITY_MOULD_CALIBRATE_PROBES ?? 200);
/** Old generator: 5.3 um/px like its own default. */
const OLD_PIXEL_UM = 5.3;

const log = (m: string) => process.stderr.write(`[${NAME} ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

/** A gallery image and a probe, as both methods see them. */
interface GalleryItem {
  serial: string;
  group: string;
  file: string;
  pixelUm: number;
}
interface Probe {
  kind: 'recapture' | 'lookalike';
  /** True serial (recaptures) or look-alike id. */
  serial: string;
  group: string;
  file: string;
  pixelUm: number;
  lightChangeDeg: number | null;
}
interface MethodRun {
  mated: MatedOutcome[];
  nonMated: NonMatedOutcome[];
  matedProbes: Probe[];
  ms: number[];
  rejectedProbes: number;
  registered: number;
  rejectedRegistrations: string[];
  registerMs: number[];
  threshold: number | null;
}

/** Hash of the generator's source, so a change to it regenerates the cached set. */
function sourceHash(dir: string, files?: string[]): string {
  const h = createHash('sha256');
  const names = files ?? readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort();
  for (const f of names) h.update(f).update(readFileSync(path.join(dir, f)));
  return h.digest('hex');
}

function cacheKey(params: unknown, ...sources: string[]): string {
  return createHash('sha256').update(JSON.stringify(params)).update(sources.join(',')).digest('hex').slice(0, 12);
}

function progressLogger(label: string): (e: { done: number; total: number }) => void {
  let last = -1;
  return (e) => {
    const pct = Math.floor((e.done / Math.max(1, e.total)) * 20) * 5;
    if (pct !== last) {
      last = pct;
      log(`${label}: ${e.done}/${e.total}`);
    }
  };
}

async function mouldSet(): Promise<{ dir: string; gallery: GalleryItem[]; probes: Probe[]; seconds: number; cached: boolean }> {
  const synthDir = path.resolve('src/synth');
  const key = cacheKey({ SEED, RANGE, MOULDS, PER_MOULD, RECAPTURES, LOOKALIKES, SIZE }, sourceHash(path.join(synthDir, 'mould')), sourceHash(synthDir, ['noise.ts', 'view.ts']));
  const dir = path.join(CACHE, `${RANGE}-${key}`);
  const t0 = performance.now();
  const cached = existsSync(path.join(dir, 'manifest.csv'));
  if (!cached) {
    // Rendered into DIR.partial (an interrupted run resumes there), then renamed.
    const tmp = `${dir}.partial`;
    log(`generating the ${RANGE} set in ${dir}`);
    await generateMouldSet({ out: tmp, seed: SEED, range: RANGE, moulds: MOULDS, partsPerMould: PER_MOULD, recaptures: RECAPTURES, lookalikes: LOOKALIKES, size: SIZE, workers: WORKERS, resume: true, onProgress: progressLogger('render') });
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  }
  const seconds = (performance.now() - t0) / 1000;
  const set = await readMouldSet(dir);
  const gallery: GalleryItem[] = [];
  const probes: Probe[] = [];
  for (const e of set.entries) {
    if (e.role === 'registered') gallery.push({ serial: e.serial, group: e.mould, file: e.file, pixelUm: e.pixelSizeUm });
    else if (e.role === 'lookalike' || e.captureIndex <= PROBE_RECAPTURES) probes.push({ kind: e.role === 'recapture' ? 'recapture' : 'lookalike', serial: e.serial, group: e.mould, file: e.file, pixelUm: e.pixelSizeUm, lightChangeDeg: Number(e.params.light_change_deg) });
  }
  return { dir, gallery, probes, seconds, cached };
}

/** The old generator's parts + recaptures + look-alikes at the same size (machines standing in for moulds). */
async function oldSet(): Promise<{ dir: string; gallery: GalleryItem[]; probes: Probe[]; seconds: number }> {
  const synthDir = path.resolve('src/synth');
  const key = cacheKey({ SEED, MOULDS, PER_MOULD, RECAPTURES, LOOKALIKES, SIZE, OLD_PIXEL_UM }, sourceHash(synthDir));
  const dir = path.join(CACHE, `old-${key}`);
  const t0 = performance.now();
  if (!existsSync(path.join(dir, 'recaptures', 'manifest.csv'))) {
    await rm(dir, { recursive: true, force: true });
    log(`generating the old-generator set in ${dir}`);
    await generateParts({ out: path.join(dir, 'parts'), machines: MOULDS, partsPerMachine: PER_MOULD, size: SIZE, pixelUm: OLD_PIXEL_UM, seed: SEED, workers: WORKERS, onProgress: progressLogger('old parts') });
    await generateRecaptures({ from: path.join(dir, 'parts'), out: path.join(dir, 'recaptures'), captures: RECAPTURES, lookalikes: LOOKALIKES, lookalikeCaptures: 1, workers: WORKERS, onProgress: progressLogger('old recaptures') });
  }
  const seconds = (performance.now() - t0) / 1000;
  const parts = parseCsv(await readFile(path.join(dir, 'parts', 'manifest.csv'), 'utf8'));
  const recs = parseCsv(await readFile(path.join(dir, 'recaptures', 'manifest.csv'), 'utf8'));
  const gallery = parts.map((p) => ({ serial: p.serial, group: p.machine, file: path.join(dir, 'parts', p.image), pixelUm: Number(p.pixel_size_um) }));
  const probes = recs.map((r) => ({ kind: r.registered === 'true' ? ('recapture' as const) : ('lookalike' as const), serial: r.serial, group: r.machine, file: path.join(dir, 'recaptures', r.file), pixelUm: Number(r.pixel_size_um), lightChangeDeg: null }));
  return { dir, gallery, probes, seconds };
}

/** partprint through a fresh registry: register the gallery, identify every probe. */
async function runPartprint(label: string, gallery: GalleryItem[], probes: Probe[]): Promise<MethodRun> {
  const regDir = await mkdtemp(path.join(os.tmpdir(), 'partprint-mould-reg-'));
  const reg = await openRegistry({ dataDir: regDir });
  try {
    const svc = new IdentityService(reg);
    const registerMs: number[] = [];
    const rejectedRegistrations: string[] = [];
    for (const [i, g] of gallery.entries()) {
      if (i % 100 === 0) log(`${label}: register ${i}/${gallery.length}`);
      const t = performance.now();
      const r = await svc.register(g.serial, g.file, { pixelSizeUm: g.pixelUm }, { createPart: true });
      registerMs.push(performance.now() - t);
      if (r.status !== 'registered') rejectedRegistrations.push(`${g.serial}: ${(r as { quality?: { message?: string } }).quality?.message ?? r.status}`);
    }
    // The threshold as a user of a registry with one capture per part gets it: `identity calibrate`
    // (each registered part probed by a synthetic recapture of its image, with and without itself).
    const tc = performance.now();
    const cal = await svc.calibrateFromRegistry(CALIBRATE_FPIR, { maxProbes: Math.min(CALIBRATE_PROBES, gallery.length), apply: true });
    log(`${label}: self-calibrated threshold ${cal.calibration.threshold.toPrecision(3)} at FPIR ${CALIBRATE_FPIR} from ${cal.probes.synthetic} synthetic recaptures in ${((performance.now() - tc) / 1000).toFixed(0)} s`);
    const settings = await svc.settings();
    const run: MethodRun = { mated: [], nonMated: [], matedProbes: [], ms: [], rejectedProbes: 0, registered: gallery.length - rejectedRegistrations.length, rejectedRegistrations, registerMs, threshold: settings.threshold };
    for (const [i, p] of probes.entries()) {
      if (i % 100 === 0) log(`${label}: identify ${i}/${probes.length}`);
      const t = performance.now();
      const r = await svc.identify(p.file, { pixelSizeUm: p.pixelUm });
      run.ms.push(performance.now() - t);
      const candidates = 'candidates' in r ? (r.candidates as Array<{ serial: string; score: number }>) : [];
      if (r.status === 'rejected') run.rejectedProbes++;
      const top = candidates[0];
      const identified = r.status === 'identified';
      if (p.kind === 'recapture') {
        run.matedProbes.push(p);
        run.mated.push({ rank1: top?.serial === p.serial, score: candidates.find((c) => c.serial === p.serial)?.score ?? 0, identifiedCorrectly: identified && top?.serial === p.serial, identifiedWrongly: identified && top?.serial !== p.serial });
      } else run.nonMated.push({ bestScore: top?.score ?? 0, identified });
    }
    return run;
  } finally {
    await reg.close();
    await rm(regDir, { recursive: true, force: true });
  }
}

/** The ORB baseline, exhaustive over the gallery. */
async function runBaseline(label: string, gallery: GalleryItem[], probes: Probe[], checks: string[]): Promise<MethodRun> {
  const registerMs: number[] = [];
  const feats: OrbFeatures[] = [];
  for (const g of gallery) {
    const t = performance.now();
    feats.push(await orbFeatures(await readGreyImage(g.file)));
    registerMs.push(performance.now() - t);
  }
  const run: MethodRun = { mated: [], nonMated: [], matedProbes: [], ms: [], rejectedProbes: 0, registered: gallery.length, rejectedRegistrations: [], registerMs, threshold: null };
  const slotOf = new Map(gallery.map((g, i) => [g.serial, i]));
  // The fast kNN must give OpenCV's BFMatcher survivors exactly: checked on every 50th probe.
  const jobs: ProbeJob[] = probes.map((p, i) => ({ i, file: p.file, also: p.kind === 'recapture' ? (slotOf.get(p.serial) ?? -1) : -1, check: i % 50 === 0 }));
  const results = await runProbes(feats, jobs, (done) => {
    if (done % 100 === 0) log(`${label}: identify ${done}/${probes.length}`);
  });
  let checked = 0;
  for (const [i, r] of results.entries()) {
    const p = probes[i];
    checked += r.checked;
    if (r.mismatches.length > 0) throw new Error(`${label}: kNN survivors differ from cv.BFMatcher: ${r.mismatches.join('; ')}`);
    run.ms.push(r.ms);
    if (p.kind === 'recapture') {
      run.matedProbes.push(p);
      run.mated.push({ rank1: r.best === jobs[i].also && r.bestScore > 0, score: r.alsoScore });
    } else run.nonMated.push({ bestScore: r.bestScore });
  }
  checks.push(`${label}: ${checked} probe-gallery pairs, identical ratio-test survivors`);
  return run;
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

function row(method: string, set: string, gallery: number, s: OpenSetSummary): Array<string | number> {
  const at = (a: OpenSetSummary['at1e3']) => `${pct(a.fnir)}${a.measurable ? '' : ' (FPIR 0: fewer than 1/FPIR look-alikes)'}`;
  return [
    method, set, gallery, s.mated, s.nonMated, pct(s.rank1), s.auc.toFixed(4), at(s.at1e3), at(s.at1e2), pct(s.foundAt95Rejected),
    s.decision ? `${pct(s.decision.fpir)} / ${pct(s.decision.fnir)}` : '-', ms(s.msMedian), ms(s.msP95),
  ];
}

const COLUMNS = ['method', 'set', 'gallery', 'mated probes', 'look-alikes', 'rank-1', 'AUC', 'FNIR at FPIR 1e-3', 'FNIR at FPIR 1e-2', 'found when 95% of look-alikes rejected', 'FPIR / FNIR at the registry threshold (partprint: self-calibrated, target FPIR 1e-2)', 'ms per probe (median)', 'ms p95'];

function byLight(run: MethodRun): string[] {
  const buckets = [[0, 10], [10, 20], [20, 30], [30, 45]];
  return buckets.map(([lo, hi]) => {
    const idx = run.matedProbes.map((p, i) => [p, i] as const).filter(([p]) => p.lightChangeDeg !== null && p.lightChangeDeg >= lo && p.lightChangeDeg < hi);
    if (idx.length === 0) return '-';
    const hit = idx.filter(([, i]) => run.mated[i].rank1).length;
    return `${pct(hit / idx.length)} (${hit}/${idx.length})`;
  });
}

export async function run(): Promise<BenchResult> {
  if (!Object.hasOwn(MOULD_RANGES, RANGE)) throw new Error(`IDENTITY_MOULD_RANGE must be development or heldout, got "${RANGE}"`);
  if (RANGE === 'heldout') log('HELD-OUT range: report it, never tune on it');
  const started = performance.now();
  const data = await mouldSet();
  log(`mould set ready: ${data.gallery.length} registered, ${data.probes.length} probes (${data.cached ? 'cached' : `generated in ${data.seconds.toFixed(0)} s`})`);
  // Prepare the (cached) data set only, e.g. while the code under test is still changing.
  if (env.IDENTITY_MOULD_GENERATE_ONLY === '1') throw new Error(`IDENTITY_MOULD_GENERATE_ONLY=1: data set ready, nothing measured`);
  const inSubset = (group: string) => Number(group.slice(1)) <= BASELINE_MOULDS;
  const subGallery = data.gallery.filter((g) => inSubset(g.group));
  const subProbes = data.probes.filter((p) => inSubset(p.group));

  const checks: string[] = [];
  const runs: Array<{ method: string; set: string; gallery: number; run: MethodRun; summary: OpenSetSummary; svg: string }> = [];
  const add = (method: string, set: string, gallery: number, r: MethodRun, svgName: string) => {
    const summary = summarise(r.mated, r.nonMated, r.ms);
    runs.push({ method, set, gallery, run: r, summary, svg: svgName });
    log(`${method} on ${set}: rank-1 ${pct(summary.rank1)}, AUC ${summary.auc.toFixed(4)}, FNIR@1e-2 ${pct(summary.at1e2.fnir)}`);
  };
  const setName = `mould ${RANGE}`;
  add('partprint', setName, data.gallery.length, await runPartprint('partprint', data.gallery, data.probes), `${NAME}-partprint-scores.svg`);
  const subset = subGallery.length < data.gallery.length;
  const subName = `${setName}, moulds M01-M${String(BASELINE_MOULDS).padStart(2, '0')}`;
  if (subset) add('partprint', subName, subGallery.length, await runPartprint('partprint subset', subGallery, subProbes), `${NAME}-partprint-subset-scores.svg`);
  add('ORB baseline', subset ? subName : setName, subGallery.length, await runBaseline('ORB', subGallery, subProbes, checks), `${NAME}-orb-scores.svg`);

  let oldInfo: { dir: string; seconds: number } | null = null;
  if (OLD) {
    const old = await oldSet();
    oldInfo = old;
    const oldSub = new Set([...new Set(old.gallery.map((g) => g.group))].sort().slice(0, BASELINE_MOULDS));
    const oGallery = old.gallery.filter((g) => oldSub.has(g.group));
    // Old look-alikes: the first share of them, in proportion to the subset's machines.
    const oLooks = old.probes.filter((p) => p.kind === 'lookalike').slice(0, Math.round((LOOKALIKES * BASELINE_MOULDS) / MOULDS));
    const oProbes = [...old.probes.filter((p) => p.kind === 'recapture' && oldSub.has(p.group)), ...oLooks];
    add('partprint', 'old generator', old.gallery.length, await runPartprint('partprint old', old.gallery, old.probes), `${NAME}-old-partprint-scores.svg`);
    add('ORB baseline', subset ? `old generator, ${BASELINE_MOULDS} machines` : 'old generator', oGallery.length, await runBaseline('ORB old', oGallery, oProbes, checks), `${NAME}-old-orb-scores.svg`);
  }

  for (const r of runs) {
    const title = `${r.method}, ${r.set}, gallery ${r.gallery}: true part's score (genuine) vs best score of each look-alike`;
    await writeFile(path.resolve('bench/results', r.svg), renderHistogramSvg(r.run.mated.map((m) => m.score), r.run.nonMated.map((n) => n.bestScore), r.run.threshold, title));
  }
  const tables: BenchTable[] = [
    { title: `1:N on the mould generator (${RANGE} range) and the old generator: closed-set rank-1 of the recaptures, open-set figures against same-mould look-alikes`, columns: COLUMNS, rows: runs.map((r) => row(r.method, r.set, r.gallery, r.summary)) },
    {
      title: 'Rank-1 of the recaptures by the angle between the recapture\'s and the registration\'s light (mould set)',
      columns: ['method', 'set', '0-10 deg', '10-20 deg', '20-30 deg', '30-45 deg'],
      rows: runs.filter((r) => r.set.startsWith('mould')).map((r) => [r.method, r.set, ...byLight(r.run)]),
    },
    {
      title: 'Registration and quality gate',
      columns: ['method', 'set', 'registered', 'registrations rejected', 'probes rejected by the quality gate', 'register / extract ms (median)', 'threshold'],
      rows: runs.map((r) => [r.method, r.set, r.run.registered, r.run.rejectedRegistrations.length, r.run.rejectedProbes, ms(quantile(r.run.registerMs, 0.5)), r.run.threshold ?? '-']),
    },
  ];
  const load = os.loadavg().map((v) => v.toFixed(1)).join(' ');
  const range = MOULD_RANGES[RANGE];
  const notes = [
    'Generator (src/synth/mould, ARCHITECTURE.md "The mould generator"): every part of a mould shares its form (curvature, draft, a ring logo and a rib), its machining marks (directional polishing scratches, ball-end-mill scallop arcs, spark-erosion craters) and its multi-scale fine texture, so same-mould look-alikes share the pattern at every scale, keypoint scales included; each part adds its own micro-relief (orange peel, flow marks, sink, pores, wear) scaled to a fraction of the mould\'s fine-scale RMS slope. Shading is Lambert + Blinn-Phong on the relief normals with the light in the part\'s frame, so a light change really changes the image. Registration: fixed pose, controlled light; recaptures: handheld (rotation, scale, perspective, light, defocus, motion blur, vignetting, smudge, occlusion, noise, gamma, JPEG).',
    `Data: partprint synth mould --range ${RANGE} --moulds ${MOULDS} --parts-per-mould ${PER_MOULD} --recaptures ${RECAPTURES} --lookalikes ${LOOKALIKES} --size ${SIZE} --seed ${SEED}${PROBE_RECAPTURES < RECAPTURES ? `; identified: the first ${PROBE_RECAPTURES} recapture(s) of each part and every look-alike` : ""} (5 um/px stated; ${data.cached ? 'cached' : `generated in ${data.seconds.toFixed(0)} s`} in ${data.dir}). Range ${RANGE}: individual fraction ${range.individualFraction}, scale ${range.scale.join('-')}, light change ${range.lightChangeDeg.join('-')} deg, defocus ${range.defocusPx.join('-')} px, motion ${range.motionPx.join('-')} px, noise ${range.noise.join('-')} DN, smudge ${range.smudgeChance * 100}% x ${range.smudgeStrength.join('-')}, occlusion ${range.occlusionChance * 100}% x ${range.occlusion.join('-')}, JPEG ${range.jpegChance * 100}% at q ${range.jpegQuality.join('-')}.`,
    `partprint: a temporary registry with the default profile and settings (IdentityService.register / identify, the CLI's path); the stated pixel size (5 um) is passed with every capture. Genuine score = the true part's score among the returned candidates (0 when it was not among them or the probe was rejected); look-alike score = the best candidate's score (0 when rejected).`,
    `ORB baseline: ORB ${ORB_BASELINE.features} features at native size, BF Hamming kNN ratio ${ORB_BASELINE.ratio}, RANSAC homography ${ORB_BASELINE.ransacPx} px, S = inliers / min keypoints (0 below 8 survivors), 1:N exhaustive in one thread (RANSAC skipped only where survivors / min keypoints, an upper bound on S, is below the best S already found: the same best). ORB and RANSAC in OpenCV (src/imaging/opencv.ts); the kNN Hamming distances by partprint's WebAssembly popcount (matchDescriptors with no mutual check and no distance cap), because OpenCV's WebAssembly BFMatcher took 20-300 ms per pair here; checked against cv.BFMatcher.knnMatch on every 50th probe (${checks.join('; ')}).${subset ? ` Exhaustive matching in OpenCV's WebAssembly build costs milliseconds per pair, so the baseline runs on the parts of moulds M01-M${String(BASELINE_MOULDS).padStart(2, '0')} (${subGallery.length} registered, their recaptures and the look-alikes of those moulds); partprint is run again on exactly that subset (a second registry) for the like-for-like row.` : ''}`,
    `FNIR at FPIR x: threshold = the (floor(x L) + 1)-th highest look-alike score (L look-alikes); a recapture is found when its true part is ranked first with a score above it. With L = ${runs[0].summary.nonMated} look-alikes, FPIR 1e-3 ${runs[0].summary.nonMated >= 1000 ? 'rests on a single look-alike (coarse)' : 'cannot be measured (fewer than 1000 look-alikes): the threshold is put above every look-alike (FPIR 0), an upper bound on FNIR'}${subset ? '; the baseline\'s subset has fewer look-alikes still' : ''}.`,
    oldInfo ? `Old generator: synth parts --machines ${MOULDS} --parts-per-machine ${PER_MOULD} --size ${SIZE} --pixel-size ${OLD_PIXEL_UM} --seed ${SEED}; synth recaptures --captures ${RECAPTURES} --lookalikes ${LOOKALIKES} (cached in ${oldInfo.dir}); its baseline subset: the first ${BASELINE_MOULDS} machines and the first ${Math.round((LOOKALIKES * BASELINE_MOULDS) / MOULDS)} look-alikes.` : 'Old generator rows skipped (IDENTITY_MOULD_OLD=0).',
    `Score distributions: bench/results/${NAME}-*-scores.svg. Timings on this shared 2-core machine, loaded (load average at the end ${load}); total wall ${((performance.now() - started) / 1000).toFixed(0)} s.`,
  ];
  const metrics: Record<string, unknown> = {
    range: RANGE, rangeParams: range, parts: data.gallery.length, moulds: MOULDS, perMould: PER_MOULD, recaptures: RECAPTURES, lookalikes: LOOKALIKES, size: SIZE, seed: SEED, baselineMoulds: BASELINE_MOULDS, dataDir: data.dir,
    runs: runs.map((r) => ({ method: r.method, set: r.set, gallery: r.gallery, ...r.summary, threshold: r.run.threshold, rejectedRegistrations: r.run.rejectedRegistrations.slice(0, 20), rejectedProbes: r.run.rejectedProbes })),
    loadAverage: os.loadavg(),
  };
  return { name: NAME, metrics, tables, notes };
}
