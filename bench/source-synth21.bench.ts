/**
 * Synthetic 21 machines x 160 parts (100 train / 10 val / 50 test each): the trainer's GPU model
 * (models/synth21-*) evaluated by the TypeScript side, onnxruntime-node on this CPU, on the same
 * test split, rebuilt here by the trainer's own generator entry point (trainer/gpu/synth-dataset.ts)
 * from what the card records in `data.generator` (seed, strength, size, synth commit), unless
 * PARTPRINT_SYNTH21_DATASET names an existing export. Goal: >= 98.5% where one ROI is well below.
 *
 * Open set (when models/synth20-*-open-* is present): a model trained on M01-M20 only; rejection
 * calibrated on the known validation split (at most 2 points of known accuracy lost), then measured
 * on every part of M21, the machine it never saw.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compareWithBaseline, evaluateBaseline, fitBaseline, type BaselineReport, DEFAULT_OPEN_SET_METHOD, OPEN_SET_METHODS, calibrateOpenSet, evaluateSource, loadSourceModel, openSetAuroc, openSetScore, syntheticGenerator, syntheticSplitCounts, writeEvaluation, type SyntheticGenerator } from '../src/source/index.js';
import { machineName } from '../src/synth/index.js';
import type { BenchResult } from './run.js';


const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

function findModel(pattern: RegExp): string | undefined {
  const root = path.resolve('models');
  if (!existsSync(root)) return undefined;
  return readdirSync(root)
    .filter((d) => pattern.test(d))
    .map((d) => path.join(root, d))
    .find((d) => existsSync(path.join(d, 'model.onnx')) && existsSync(path.join(d, 'model.json')));
}


/** Renders the wanted splits (and machines) of the card's synthetic data set, once, into a temp folder. */
function rebuild(g: SyntheticGenerator, splits: string, only?: string, opts: { machines?: number; tag?: string } = {}): string {
  // More machines than the card's: the generator's machines are index-stable (seeded by name), so
  // M22, M23, ... are new machines that no model here has seen; the first ones are unchanged.
  const machines = opts.machines ?? g.machines;
  const tag = opts.tag ?? only;
  const dir = path.join(os.tmpdir(), `partprint-synth${machines === g.machines ? 21 : machines}-s${g.strength}-${g.size}-${splits.replace(/,/g, '+')}${tag ? `-${tag}` : ''}`);
  if (existsSync(path.join(dir, 'dataset.json'))) return dir;
  const counts = syntheticSplitCounts(g);
  const args = ['--import', 'tsx', 'trainer/gpu/synth-dataset.ts', '--out', dir, '--machines', String(machines), '--train', String(counts.train), '--val', String(counts.val), '--test', String(counts.test), '--strength', String(g.strength), '--size', String(g.size), '--downscale', '1', '--seed', String(g.seed), '--splits', splits, '--shards', String(os.cpus().length)];
  if (only) args.push('--only', only);
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', timeout: 7_200_000 });
  if (r.status !== 0) throw new Error(`synth-dataset.ts failed (${r.status})`);
  return dir;
}

/** The same export restricted to the model's classes (labels kept: the first classes are the known ones). */
function restrictToClasses(dir: string, classes: string[]): string {
  const out = `${dir}-known${classes.length}`;
  if (!existsSync(path.join(out, 'dataset.json'))) {
    mkdirSync(out, { recursive: true });
    const doc = JSON.parse(readFileSync(path.join(dir, 'dataset.json'), 'utf8')) as { classes: string[]; items: Array<{ label: number }> };
    if (classes.some((c, i) => doc.classes[i] !== c)) throw new Error(`${dir}: classes do not start with the model's ${classes.length} classes`);
    writeFileSync(path.join(out, 'dataset.json'), JSON.stringify({ ...doc, classes, items: doc.items.filter((it) => it.label < classes.length) }));
    if (!existsSync(path.join(out, 'images'))) symlinkSync(path.join(dir, 'images'), path.join(out, 'images'));
  }
  return out;
}

function synthCommit(): string | null {
  const r = spawnSync('git', ['log', '-1', '--format=%h', '--', 'src/synth'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() || null : null;
}

/** Files of src/synth changed since the commit that made the model's data (so a reader can judge). */
function synthChangesSince(commit: string): string {
  const r = spawnSync('git', ['diff', '--stat', commit, '--', 'src/synth'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n').slice(0, -1).map((l) => l.trim()).join('; ') : 'unknown (git diff failed)';
}

/** How many new machines (one per process) the held-out check renders beyond the card's. */
const FRESH_MACHINES = 4;

interface OpenSetResult {
  rows: Array<Array<string | number>>;
  /** Thresholds from the calibration above, applied to parts that played no part in choosing them. */
  heldOutRows: Array<Array<string | number>>;
  fresh: string[];
  metrics: Record<string, unknown>;
}

async function openSet(modelDir: string): Promise<OpenSetResult> {
  const model = await loadSourceModel(modelDir);
  try {
    const g = syntheticGenerator(model.card);
    const all = model.card.classes;
    const unseen = Array.from({ length: g.machines - all.length }, (_, i) => machineName(all.length + i));
    const fresh = Array.from({ length: FRESH_MACHINES }, (_, i) => machineName(g.machines + i));
    const opts = { k: 16, seed: 7, roiCounts: [16] };
    const known = await evaluateSource(model, restrictToClasses(rebuild(g, 'val'), all), { ...opts, split: 'val' });
    const unknown = await evaluateSource(model, rebuild(g, 'train,val,test', unseen.join(',')), { ...opts, split: 'all' });
    // Held out: the known machines' test parts and the test parts of new machines (never used to choose a score or threshold).
    const knownTest = await evaluateSource(model, restrictToClasses(rebuild(g, 'test', all.join(','), { tag: `${all[0]}-${all[all.length - 1]}` }), all), { ...opts, split: 'test' });
    const freshUnknown = await evaluateSource(model, rebuild(g, 'test', fresh.join(','), { machines: g.machines + FRESH_MACHINES, tag: `${fresh[0]}-${fresh[fresh.length - 1]}` }), { ...opts, split: 'all' });
    const rows: Array<Array<string | number>> = [];
    const heldOutRows: Array<Array<string | number>> = [];
    const metrics: Record<string, unknown> = { model: model.card.name, unseen, knownParts: known.items.length, unknownParts: unknown.items.length, fresh, knownTestParts: knownTest.items.length, freshParts: freshUnknown.items.length };
    for (const method of OPEN_SET_METHODS) {
      const score = (r: (typeof known.items)[number]) => openSetScore(r, method);
      for (const maxLoss of [0.01, 0.02, 0.05]) {
        const c = calibrateOpenSet(known.items.map((r) => ({ score: score(r), correct: r.correct })), unknown.items.map(score), { method, maxKnownAccuracyLoss: maxLoss });
        rows.push([method, `${maxLoss * 100} points`, c.threshold.toFixed(4), pct(c.knownAccuracy), pct(c.knownAccuracyWithRejection), `${pct(c.unknownRecall)} (${Math.round(c.unknownRecall * c.unknownCount)}/${c.unknownCount})`, c.auroc.toFixed(4)]);
        const kept = knownTest.items.filter((r) => score(r) >= c.threshold);
        const caught = freshUnknown.items.filter((r) => score(r) < c.threshold);
        const perMachine = fresh.map((m) => {
          const xs = freshUnknown.items.filter((r) => r.trueClass === m);
          return `${m} ${xs.filter((r) => score(r) < c.threshold).length}/${xs.length}`;
        });
        const heldOut = {
          knownTestAccuracy: knownTest.accuracy,
          knownTestAccuracyWithRejection: kept.filter((r) => r.correct).length / knownTest.items.length,
          knownTestRejected: 1 - kept.length / knownTest.items.length,
          freshCaught: caught.length / freshUnknown.items.length,
          freshAuroc: openSetAuroc(knownTest.items.map(score), freshUnknown.items.map(score)),
        };
        heldOutRows.push([method, `${maxLoss * 100} points`, pct(heldOut.knownTestAccuracy), pct(heldOut.knownTestAccuracyWithRejection), pct(heldOut.knownTestRejected), `${pct(heldOut.freshCaught)} (${caught.length}/${freshUnknown.items.length})`, perMachine.join(', '), heldOut.freshAuroc.toFixed(4)]);
        metrics[`${method}@${maxLoss}`] = { ...c, heldOut };
      }
    }
    return { rows, heldOutRows, fresh, metrics };
  } finally {
    await model.close();
  }
}

export async function run(): Promise<BenchResult> {
  const name = 'source-synth21';
  const modelDir = process.env.PARTPRINT_SYNTH21_MODEL ?? findModel(/^synth21-/);
  if (!modelDir) return { name, metrics: {}, tables: [], skipped: 'no models/synth21-* model (the trainer delivers it)' };
  const model = await loadSourceModel(modelDir);
  try {
    const card = model.card;
    const g = syntheticGenerator(card);
    const ds = process.env.PARTPRINT_SYNTH21_DATASET ?? rebuild(g, 'test');
    const t0 = performance.now();
    const report = await evaluateSource(model, ds, { split: 'test', k: 16, seed: 1 });
    const seconds = (performance.now() - t0) / 1000;
    const out = path.resolve('bench/results/source-synth21');
    await writeEvaluation(report, out);
    const py = (card.metrics as { test?: { accuracy?: number; singleRoiAccuracy?: number } } | undefined)?.test;
    const one = report.accuracyByRois.find((a) => a.rois === 1)?.accuracy ?? NaN;
    const worst = Object.entries(report.perClass).sort((a, b) => a[1].accuracy - b[1].accuracy).slice(0, 3);
    const now = synthCommit();
    // The classical baseline needs the training parts too (2100 renders at 1024 px): opt-in.
    let baseline: BaselineReport | null = null;
    if (process.env.PARTPRINT_SYNTH21_BASELINE === '1') {
      const withTrain = rebuild(g, 'train,test');
      const bopts = { roi: card.roi, trainRois: Number(process.env.PARTPRINT_BASELINE_TRAIN_ROIS ?? 4), seed: 1, k: 16 };
      baseline = await evaluateBaseline(await fitBaseline(withTrain, bopts), withTrain, 'test', bopts);
    }
    const openDir = process.env.PARTPRINT_SYNTH20_OPEN_MODEL ?? findModel(/^synth20-.*open/);
    const open = openDir ? await openSet(openDir) : null;
    return {
      name,
      metrics: {
        model: card.name,
        architecture: card.architecture,
        sampleSizeMm: card.sampleSizeMm ?? null,
        generator: g,
        synthCommitNow: now,
        testImages: report.images,
        accuracy: report.accuracy,
        singleRoiAccuracy: one,
        accuracyByRois: report.accuracyByRois,
        perClass: report.perClass,
        confusion: report.confusion,
        classes: report.classes,
        pythonTestAccuracy: py?.accuracy ?? null,
        pythonSingleRoiAccuracy: py?.singleRoiAccuracy ?? null,
        secondsPerImage: seconds / report.images,
        goalMet: report.accuracy >= 0.985,
        baseline: baseline ? { accuracy: baseline.accuracy, accuracyByRois: baseline.accuracyByRois, trainRois: baseline.trainRois } : null,
        beatsBaseline: baseline ? report.accuracy > baseline.accuracy : null,
        openSet: open?.metrics ?? null,
      },
      tables: [
        {
          title: `Test split (${g.machines} machines x ${syntheticSplitCounts(g).test} parts, strength ${g.strength}), evaluated in TypeScript`,
          columns: ['model', 'sample mm', '1 ROI', '16 ROIs', 'Python (trainer, own seeds)', 'goal >= 98.5%'],
          rows: [[card.name, card.sampleSizeMm ?? '?', pct(one), pct(report.accuracy), py?.accuracy !== undefined ? pct(py.accuracy) : '?', report.accuracy >= 0.985 ? 'met' : 'not met']],
        },
        { title: 'Accuracy vs voting ROIs', columns: ['ROIs', 'accuracy'], rows: report.accuracyByRois.map((a) => [a.rois, pct(a.accuracy)]) },
        ...(baseline ? [{ title: 'Classical baseline on the same test parts and ROIs', columns: ['method', '1 ROI', '4 ROIs', '16 ROIs'], rows: [[baseline.method, ...[1, 4, 16].map((r) => pct(baseline!.accuracyByRois.find((a) => a.rois === r)?.accuracy ?? NaN))]] }] : []),
        { title: 'Lowest per-machine accuracy', columns: ['machine', 'accuracy', 'n'], rows: worst.map(([c, v]) => [c, `${(v.accuracy * 100).toFixed(1)}%`, v.n]) },
        ...(open
          ? [{ title: `Open set: ${String(open.metrics.model)} (trained without ${(open.metrics.unseen as string[]).join(', ')}); threshold from ${String(open.metrics.knownParts)} known validation parts, caught among ${String(open.metrics.unknownParts)} parts of the unseen machine`, columns: ['score', 'allowed loss', 'threshold', 'known acc', 'known acc with rejection', 'unknown parts caught', 'AUROC known vs unknown'], rows: open.rows },
              {
                title: `Open set, held out: the thresholds above applied to ${String(open.metrics.knownTestParts)} test parts of the known machines and ${String(open.metrics.freshParts)} test parts of ${open.fresh.length} new machines (${open.fresh.join(', ')}), none used to choose a score or threshold`,
                columns: ['score', 'allowed loss (val)', 'known test acc', 'known test acc with rejection', 'known test parts rejected', 'new-machine parts caught', 'per new machine', 'AUROC known test vs new'],
                rows: open.heldOutRows,
              }]
          : []),
      ],
      notes: [
        baseline ? compareWithBaseline(report.accuracy, baseline, 'synth21 test') : 'Classical baseline: NOT run in this run (it needs the 2100 training parts rendered here; set PARTPRINT_SYNTH21_BASELINE=1). Until it is run, this bench does not show that the model beats it.',
        `Model ${card.name} (${card.architecture}, ROI ${card.roi.side} px -> ${card.input.size}, trained on ${String(card.training.hardware ?? '?')}); test parts rebuilt here with trainer/gpu/synth-dataset.ts (seed ${g.seed}, strength ${g.strength}, ${g.size} px at 5.3 um); ${(seconds / report.images).toFixed(2)} s per test image for 32 ROIs on this CPU.`,
        `SyntheticGenerator: the card records src/synth at ${g.commit ?? 'unknown'}; this checkout's src/synth is at ${now ?? 'unknown'}${g.commit && now && g.commit !== now ? ` (changed since: ${synthChangesSince(g.commit)}; if rendering changed, the rebuilt parts are not the distribution the model learnt)` : ''}.`,
        'Confusion matrix (CSV + SVG), per-class accuracy and accuracy vs ROIs: bench/results/source-synth21/.',
        ...(open
          ? [
              'Open set: machines take processes in turn (M01 DLS, M02 MJF, M03 SLA, M04 FDM, ...), so M21 and M25 are DLS machines (five other DLS machines are known), M22 MJF, M23 SLA, M24 FDM. The generator seeds each machine by its name, so rendering 25 machines leaves M01-M21 unchanged and adds four machines no model has seen.',
              'Scores (per part, over its 16 ROIs; a part scoring below the threshold is called unknown): max-vote-share = share of ROIs whose own argmax is the voted class; max-softmax = mean softmax of the voted class; max-logit = mean raw logit of the voted class (Vaze et al. 2022); energy = mean logsumexp of the logits (negative free energy, Liu et al. 2020); logit-cosine = mean of the voted class\'s logit divided by the L2 norm of the ROI\'s logit vector.',
              `Choice of the default, honestly: max-logit and energy, the scores the literature recommends, did worst here. logit-cosine was found by trying about 20 scores on these same 200 validation and 160 M21 parts, and \`partprint source calibrate\` now defaults to ${DEFAULT_OPEN_SET_METHOD} because it measured best on them, so the first open-set table flatters it. The held-out table is the check that was not used for the choice: the same thresholds on new test parts of the known machines and on four machines that played no part.`,
            ]
          : []),
      ],
    };
  } finally {
    await model.close();
  }
}
