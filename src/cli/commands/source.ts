/** `partprint source ...`: datasets, segmentation, training, prediction, evaluation, models. */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { PartprintError, deriveSeed } from '../../core/index.js';
import { readGreyImage } from '../../imaging/index.js';
import type { Registry } from '../../registry/index.js';
import * as source from '../../source/index.js';
import { parseNumber, printJson } from '../cli-args.js';
import { EXIT } from '../exit-codes.js';
import { createProgressBar } from '../progress-bar.js';
import { addRegistryOptions, withRegistry, type RegistryCliOptions } from '../registry-options.js';

const wholeNumber = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new PartprintError(`${name} "${v}": not a whole number`, { code: 'CONFIG' });
  return n;
};
const numberList = (name: string) => (v: string) =>
  v.split(',').map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new PartprintError(`${name} "${v}": expected comma-separated whole numbers >= 1`, { code: 'CONFIG' });
    return n;
  });

interface SplitCliOptions extends RegistryCliOptions {
  attribute: string;
  trainPerClass: number;
  valPerClass: number;
  testPerClass: number;
  seed: number;
  fromManifest?: string;
  classes?: string;
}

function addSplitOptions(cmd: Command): Command {
  return addRegistryOptions(cmd)
    .requiredOption('--attribute <name>', 'part attribute to learn (machine, process, material, build, tray_position, ...)')
    .option('--train-per-class <n>', 'training parts per class', wholeNumber('--train-per-class'), 100)
    .option('--val-per-class <n>', 'validation parts per class (model selection)', wholeNumber('--val-per-class'), 10)
    .option('--test-per-class <n>', 'test parts per class', wholeNumber('--test-per-class'), 50)
    .option('--seed <n>', 'seed of the split', wholeNumber('--seed'), 1)
    .option('--from-manifest <csv>', 'read parts from a synth/parts manifest CSV instead of the registry')
    .option('--classes <list>', 'only these classes (comma-separated)');
}

async function planFromOptions(opts: SplitCliOptions): Promise<source.SplitPlan> {
  const candidates = opts.fromManifest
    ? await source.candidatesFromManifest(opts.fromManifest, opts.attribute)
    : await withRegistry(opts, (reg) => source.candidatesFromRegistry(reg, opts.attribute));
  return source.planSplit(candidates, { ...opts, classes: opts.classes?.split(',').map((s) => s.trim()) });
}

/** A model folder, a registered model's name, or (none given) the registry's active model. */
async function resolveModelDir(model: string | undefined, opts: RegistryCliOptions & { attribute?: string }): Promise<string> {
  if (model && existsSync(model) && statSync(model).isDirectory()) return model;
  return withRegistry(opts, async (reg) => {
    const list = await source.listModels(reg);
    const found = model ? list.find((m) => m.name === model) : await source.activeModel(reg, opts.attribute);
    if (!found) {
      throw new PartprintError(model ? `model "${model}" is neither a folder nor a registered model name` : 'no active source model (use --model DIR or partprint source models activate NAME)', { code: 'NOT_FOUND' });
    }
    return found.dir;
  });
}

function formatPrediction(p: source.SourcePrediction, rule: source.OpenSetRule | undefined): string {
  const top = Object.entries(p.distribution)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([c, v]) => `${c} ${(v * 100).toFixed(1)}%`)
    .join(', ');
  const verdict = p.unknown ? `unknown ${p.attribute} (closest ${p.bestClass})` : `${p.attribute} ${p.label}`;
  const openSet = rule ? `; open set ${rule.method} ${source.openSetScore(p, rule.method).toFixed(4)} (unknown below ${rule.threshold.toFixed(4)})` : '';
  const level = p.confidenceLevel === 'low' ? `confidence: low, reason: ${p.lowConfidenceReasons.join('; ')}; ` : '';
  const calibrated = p.calibratedConfidence === null ? '' : ` (calibrated ${(p.calibratedConfidence * 100).toFixed(1)}%)`;
  return `${verdict}: ${level}confidence ${(p.confidence * 100).toFixed(1)}%${calibrated}, vote share ${(p.voteShare * 100).toFixed(0)}% of ${p.rois} ROIs; top: ${top}${openSet}\n`;
}

export function register(program: Command): void {
  const cmd = program.command('source').description('Source identification: which machine, process, material, build or tray position made a part');

  addSplitOptions(cmd.command('dataset'))
    .description('Export a balanced train/val/test split by part (downscaled 8-bit PNGs + dataset.json) for the trainer')
    .option('--downscale <d>', 'integer downscale factor (1 = native resolution)', wholeNumber('--downscale'), 1)
    .requiredOption('--out <dir>', 'output folder')
    .option('--force', 'replace an existing output folder')
    .option('--json', 'print a JSON summary')
    .action(async (opts: SplitCliOptions & { downscale: number; out: string; force?: boolean; json?: boolean }) => {
      const plan = await planFromOptions(opts);
      const bar = createProgressBar();
      const ds = await source.writeDataset(plan, { out: opts.out, attribute: opts.attribute, downscale: opts.downscale, seed: opts.seed, force: opts.force, onProgress: bar });
      bar.stop();
      const counts = Object.fromEntries(['train', 'val', 'test'].map((s) => [s, ds.items.filter((i) => i.split === s).length]));
      const summary = { out: opts.out, attribute: ds.attribute, classes: ds.classes, images: counts, pixelSizeUm: ds.pixelSizeUm, downscale: ds.downscale, unusedParts: plan.unused };
      if (opts.json) printJson(summary);
      else process.stdout.write(`${opts.out}: ${ds.classes.length} classes of ${ds.attribute}; images train ${counts.train}, val ${counts.val}, test ${counts.test}; downscale ${ds.downscale}\n`);
    });

  cmd
    .command('segment')
    .description('Cut scanner sheets with many parts into one image per part, matched to serials by a positions CSV (synth sheet manifest or serial,x,y[,width,height][,sheet])')
    .argument('[sheet]', 'one sheet image (default: every sheet named in the CSV\'s sheet column)')
    .requiredOption('--positions <csv>', 'positions in pixels on the sheet; other columns (attributes) are copied to the output manifest')
    .requiredOption('--out <dir>', 'output folder: images/<serial>.png and manifest.csv (parts CSV)')
    .option('--threshold <t>', 'grey level between background and parts (default: Otsu)', parseNumber('--threshold'))
    .option('--dark-parts', 'parts are darker than the background')
    .option('--min-area <px>', 'ignore blobs smaller than this (pixels)', parseNumber('--min-area'))
    .option('--margin <px>', 'pixels added around each box (with --no-mask)', parseNumber('--margin'), 0)
    .option('--no-mask', 'keep background and neighbouring parts inside each box (default: set to 0)')
    .option('--pixel-size-um <um>', 'native pixel size for the manifest (default: synth.json beside the CSV)', parseNumber('--pixel-size-um'))
    .option('--json', 'print JSON')
    .action(async (sheet: string | undefined, opts: { positions: string; out: string; threshold?: number; darkParts?: boolean; minArea?: number; margin: number; mask: boolean; pixelSizeUm?: number; json?: boolean }) => {
      const bar = createProgressBar();
      const r = await source.segmentSheets({ ...opts, sheet, noMask: !opts.mask, onProgress: bar });
      bar.stop();
      const summary = { parts: r.parts, missing: r.missing, extraBlobs: r.extraBlobs };
      if (opts.json) printJson(summary);
      else process.stdout.write(`${r.manifest}: ${r.parts} part(s) cut out; ${r.missing.length} serial(s) not found${r.missing.length ? ` (${r.missing.join(', ')})` : ''}; ${r.extraBlobs} unmatched blob(s)\n`);
    });

  addRegistryOptions(cmd.command('predict'))
    .description('Predict the source of a part (serial: its latest capture) or of an image file')
    .argument('<part-or-image>', 'image file or registered serial')
    .option('--model <dir-or-name>', 'model folder or registered model name (default: the active model)')
    .option('--attribute <name>', 'pick the active model of this attribute')
    .option('--k <n>', 'ROIs to vote over', wholeNumber('--k'), 16)
    .option('--seed <n>', 'seed of the ROI draw', wholeNumber('--seed'), 1)
    .option('--downscaled', 'the image is already at the model\'s downscale (e.g. a dataset image)')
    .option('--flips', 'test-time flips: each ROI also mirrored left-right, the two averaged (twice the inference)')
    .option('--json', 'print JSON')
    .action(async (target: string, opts: RegistryCliOptions & { model?: string; attribute?: string; k: number; seed: number; downscaled?: boolean; flips?: boolean; json?: boolean }) => {
      const dir = await resolveModelDir(opts.model, opts);
      const isFile = existsSync(target) && statSync(target).isFile();
      const image = isFile ? target : (await withRegistry(opts, (reg: Registry) => source.latestCaptureImage(reg, target))).image;
      const model = await source.loadSourceModel(dir);
      try {
        const p = await source.predictSource(model, await readGreyImage(image, { name: target }), { k: opts.k, seed: opts.seed, name: target, alreadyDownscaled: opts.downscaled, flips: opts.flips });
        if (opts.json) {
          const { probabilities: _p, logits: _l, ...rest } = p;
          printJson({ target, model: model.card.name, sampleSizeMm: model.card.sampleSizeMm ?? null, ...rest });
        } else process.stdout.write(`${target}: ${formatPrediction(p, model.card.openSet)}`);
        if (p.unknown) process.exitCode = EXIT.NO_MATCH;
      } finally {
        await model.close();
      }
    });

  cmd
    .command('eval')
    .description('Evaluate a model on a dataset split: accuracy, per-class, confusion matrix (CSV+SVG), accuracy vs ROIs')
    .requiredOption('--model <dir>', 'model folder')
    .requiredOption('--dataset <dir>', 'dataset folder (partprint source dataset)')
    .option('--split <name>', 'train, val, test or all', 'test')
    .option('--out <dir>', 'report folder (default: none; only the summary is printed, nothing is written into the model folder)')
    .option('--k <n>', 'ROIs per part for the headline accuracy', wholeNumber('--k'), 16)
    .option('--seed <n>', 'seed of the ROI draws', wholeNumber('--seed'), 1)
    .option('--flips', 'test-time flips (each ROI also mirrored left-right)')
    .option('--json', 'print the metrics as JSON')
    .action(async (opts: { model: string; dataset: string; split: string; out?: string; k: number; seed: number; flips?: boolean; json?: boolean }) => {
      if (!['train', 'val', 'test', 'all'].includes(opts.split)) throw new PartprintError(`--split "${opts.split}": use train, val, test or all`, { code: 'CONFIG' });
      const model = await source.loadSourceModel(opts.model);
      const bar = createProgressBar();
      try {
        const report = await source.evaluateSource(model, opts.dataset, { split: opts.split as source.SplitName, k: opts.k, seed: opts.seed, flips: opts.flips, onProgress: bar });
        bar.stop();
        const out = opts.out ?? null;
        if (out) await source.writeEvaluation(report, out);
        const { items: _items, ...metrics } = report;
        if (opts.json) printJson({ ...metrics, out });
        else {
          const curve = report.accuracyByRois.map((a) => `${a.rois}:${(a.accuracy * 100).toFixed(1)}%`).join(' ');
          const adj = report.adjacentAccuracy === null ? '' : `, same or adjacent position ${(report.adjacentAccuracy * 100).toFixed(1)}%`;
          process.stdout.write(`${report.model} on ${opts.dataset} (${opts.split}): accuracy ${(report.accuracy * 100).toFixed(2)}% over ${report.images} images at ${report.k} ROIs${adj}\nby ROIs ${curve}\n${out ? `report: ${out}` : 'no report written (use --out DIR)'}\n`);
        }
      } finally {
        bar.stop();
        await model.close();
      }
    });

  cmd
    .command('calibrate-confidence')
    .description('Fit the out-of-distribution input check (training-split statistics, validation-split thresholds) and a temperature for the confidence; stores both in model.json')
    .requiredOption('--model <dir>', 'model folder')
    .requiredOption('--dataset <dir>', 'the model\'s dataset (train and val splits are used, test is not)')
    .option('--max-flagged <fraction>', 'share of validation parts the check may call low confidence', parseNumber('--max-flagged'), 0.02)
    .option('--k <n>', 'ROIs per part', wholeNumber('--k'), 16)
    .option('--seed <n>', 'seed of the ROI draws', wholeNumber('--seed'), 1)
    .option('--json', 'print JSON')
    .action(async (opts: { model: string; dataset: string; maxFlagged: number; k: number; seed: number; json?: boolean }) => {
      if (!(opts.maxFlagged >= 0 && opts.maxFlagged < 1)) throw new PartprintError(`--max-flagged ${opts.maxFlagged}: use a fraction in [0, 1)`, { code: 'CONFIG' });
      const model = await source.loadSourceModel(opts.model);
      const bar = createProgressBar();
      try {
        const cal = await source.calibrateConfidence(model, opts.dataset, { k: opts.k, seed: opts.seed, maxFlagged: opts.maxFlagged, onProgress: bar });
        bar.stop();
        await source.writeModelCard(opts.model, { ...model.card, ...cal });
        if (opts.json) printJson(cal);
        else {
          process.stdout.write(
            `input check: z > ${cal.inputCheck.threshold.toFixed(2)}${cal.inputCheck.texture ? `, texture distance > ${cal.inputCheck.texture.threshold.toFixed(1)}` : ''} or open-set score < ${cal.inputCheck.openSetThreshold?.toFixed(4)} is low confidence (${((cal.inputCheck.valFlaggedShare ?? 0) * 100).toFixed(1)}% of validation parts); temperature ${cal.calibration.temperature.toFixed(3)} (val NLL ${cal.calibration.valNllBefore.toFixed(4)} -> ${cal.calibration.valNllAfter.toFixed(4)}); written to ${path.join(opts.model, 'model.json')}\n`,
          );
        }
      } finally {
        bar.stop();
        await model.close();
      }
    });

  cmd
    .command('calibrate')
    .description('Calibrate open-set rejection: known parts from the validation split, unknown parts from classes the model never saw; stores it in model.json')
    .requiredOption('--model <dir>', 'model folder')
    .requiredOption('--dataset <dir>', 'the model\'s dataset (its val split is used)')
    .requiredOption('--unknown <dir>', 'a dataset of classes the model was not trained on (every split is used)')
    .option('--method <m>', `open-set score: ${source.OPEN_SET_METHODS.join(', ')} (max-logit and energy use the raw logits)`, source.DEFAULT_OPEN_SET_METHOD)
    .option('--max-loss <fraction>', 'largest accepted loss of known-class accuracy', parseNumber('--max-loss'), 0.02)
    .option('--k <n>', 'ROIs per part', wholeNumber('--k'), 16)
    .option('--seed <n>', 'seed of the ROI draws', wholeNumber('--seed'), 1)
    .option('--json', 'print JSON')
    .action(async (opts: { model: string; dataset: string; unknown: string; method: string; maxLoss: number; k: number; seed: number; json?: boolean }) => {
      const method = opts.method;
      if (!source.isOpenSetMethod(method)) throw new PartprintError(`--method "${method}": use one of ${source.OPEN_SET_METHODS.join(', ')}`, { code: 'CONFIG' });
      const model = await source.loadSourceModel(opts.model);
      try {
        const evalOpts = { k: opts.k, seed: deriveSeed(opts.seed, 'calibrate'), roiCounts: [opts.k] };
        const known = await source.evaluateSource(model, opts.dataset, { ...evalOpts, split: 'val' });
        const unknown = await source.evaluateSource(model, opts.unknown, { ...evalOpts, split: 'all' });
        const unknownItems = unknown.items.filter((r) => !model.card.classes.includes(r.trueClass));
        if (unknownItems.length === 0) throw new PartprintError(`${opts.unknown}: every class in it is one the model knows; unknown parts are needed`, { code: 'BAD_INPUT' });
        const knownItems = known.items.filter((r) => model.card.classes.includes(r.trueClass));
        // Every score is in each item, so the other methods cost nothing: report them beside the chosen one.
        const calibrations = source.OPEN_SET_METHODS.map((m) =>
          source.calibrateOpenSet(knownItems.map((r) => ({ score: source.openSetScore(r, m), correct: r.correct })), unknownItems.map((r) => source.openSetScore(r, m)), { method: m, maxKnownAccuracyLoss: opts.maxLoss }),
        );
        const cal = calibrations.find((c) => c.method === method)!;
        await source.writeModelCard(opts.model, { ...model.card, openSet: cal });
        const compared = calibrations.map((c) => ({ method: c.method, threshold: c.threshold, unknownRecall: c.unknownRecall, knownAccuracyLoss: c.knownAccuracyLoss, auroc: c.auroc }));
        if (opts.json) printJson({ ...cal, compared });
        else {
          process.stdout.write(`open set (${method}): threshold ${cal.threshold.toFixed(4)} catches ${(cal.unknownRecall * 100).toFixed(1)}% of ${cal.unknownCount} unknown images at a known-accuracy loss of ${(cal.knownAccuracyLoss * 100).toFixed(1)} points (val ${(cal.knownAccuracy * 100).toFixed(1)}% -> ${(cal.knownAccuracyWithRejection * 100).toFixed(1)}%, AUROC ${cal.auroc.toFixed(3)}); written to ${path.join(opts.model, 'model.json')}\n`);
          const others = compared.filter((c) => c.method !== method).map((c) => `${c.method} ${(c.unknownRecall * 100).toFixed(1)}% (AUROC ${c.auroc.toFixed(3)})`);
          process.stdout.write(`same budget, other scores (--method): ${others.join(', ')}\n`);
        }
      } finally {
        await model.close();
      }
    });

  addRegistryOptions(cmd.command('train'))
    .description('Train on this machine with the Python trainer (small CPU runs; see ARCHITECTURE.md for GPU hosts). Extra trainer flags go after --')
    .requiredOption('--dataset <dir>', 'dataset folder')
    .requiredOption('--out <dir>', 'model folder to write')
    .option('--epochs <n>', 'epochs', wholeNumber('--epochs'))
    .option('--roi-side <r>', 'ROI side at the dataset resolution', wholeNumber('--roi-side'))
    .option('--input-size <s>', 'network input side', wholeNumber('--input-size'))
    .option('--arch <name>', 'architecture (trainer: efficientnet_v2_s, efficientnet_v2_m, ...)')
    .option('--register', 'record the model in the registry (source_models)')
    .option('--activate', 'with --register: make it the active model of its attribute')
    .argument('[trainer-args...]', 'passed to python3 -m partprint_trainer.train')
    .action(async (extra: string[], opts: RegistryCliOptions & { dataset: string; out: string; epochs?: number; roiSide?: number; inputSize?: number; arch?: string; register?: boolean; activate?: boolean }) => {
      const args = ['--dataset', opts.dataset, '--out', opts.out];
      if (opts.epochs !== undefined) args.push('--epochs', String(opts.epochs));
      if (opts.roiSide !== undefined) args.push('--roi-side', String(opts.roiSide));
      if (opts.inputSize !== undefined) args.push('--input-size', String(opts.inputSize));
      if (opts.arch) args.push('--arch', opts.arch);
      await source.runTrainer('train', [...args, ...extra], { onLine: (l) => process.stderr.write(`${l}\n`) });
      const card = await source.readModelCard(opts.out);
      if (opts.register) await withRegistry(opts, (reg) => source.registerModel(reg, opts.out, { activate: opts.activate }));
      process.stdout.write(`${opts.out}: model "${card.name}" for ${card.attribute} (${card.classes.length} classes)${opts.register ? ', registered' : ''}\n`);
    });

  addSplitOptions(cmd.command('sweep'))
    .description('Train and evaluate over downscale factors and ROI sides; draws accuracy vs physical sample size (sweep.svg)')
    .requiredOption('--out <dir>', 'sweep folder')
    .option('--downscales <list>', 'downscale factors', numberList('--downscales'), [1, 2])
    .option('--sides <list>', 'ROI sides (pixels at each downscale)', numberList('--sides'), [32, 64])
    .option('--input-size <s>', 'network input side (default: the ROI side)', wholeNumber('--input-size'))
    .option('--k <n>', 'ROIs per part', wholeNumber('--k'), 16)
    .argument('[trainer-args...]', 'passed to every python3 -m partprint_trainer.train run (e.g. -- --epochs 3 --arch tiny)')
    .action(async (extra: string[], opts: SplitCliOptions & { out: string; downscales: number[]; sides: number[]; inputSize?: number; k: number }) => {
      const plan = await planFromOptions(opts);
      const points = await source.runSweep({ plan, attribute: opts.attribute, seed: opts.seed, downscales: opts.downscales, sides: opts.sides, inputSize: opts.inputSize, trainArgs: extra, out: opts.out, k: opts.k, onLine: (l) => process.stderr.write(`${l}\n`) });
      for (const p of points) process.stdout.write(`d=${p.downscale} r=${p.side} sample ${p.sampleSizeMm === null ? '?' : `${p.sampleSizeMm.toFixed(3)} mm`}: accuracy ${(p.accuracy * 100).toFixed(1)}% (1 ROI ${(p.accuracyOneRoi * 100).toFixed(1)}%)\n`);
      process.stdout.write(`${path.join(opts.out, 'sweep.svg')}\n`);
    });

  const models = cmd.command('models').description('Source models recorded in the registry');
  addRegistryOptions(models.command('list'))
    .description('List registered source models')
    .option('--attribute <name>', 'only this attribute')
    .option('--json', 'print JSON')
    .action(async (opts: RegistryCliOptions & { attribute?: string; json?: boolean }) => {
      const list = await withRegistry(opts, (reg) => source.listModels(reg, opts.attribute));
      if (opts.json) printJson(list.map(({ card, ...m }) => ({ ...m, classes: card.classes.length, sampleSizeMm: card.sampleSizeMm ?? null, metrics: card.metrics ?? null })));
      else for (const m of list) process.stdout.write(`${m.active ? '*' : ' '} ${m.name}  ${m.attribute}  ${m.card.classes.length} classes  ${m.dir}\n`);
    });
  addRegistryOptions(models.command('register'))
    .description('Record a model folder (model.onnx + model.json) in the registry')
    .argument('<dir>', 'model folder')
    .option('--activate', 'make it the active model of its attribute')
    .action(async (dir: string, opts: RegistryCliOptions & { activate?: boolean }) => {
      const m = await withRegistry(opts, (reg) => source.registerModel(reg, dir, { activate: opts.activate }));
      process.stdout.write(`registered ${m.name} (${m.attribute})${m.active ? ', active' : ''}\n`);
    });
  addRegistryOptions(models.command('activate'))
    .description('Make a registered model the active one for its attribute')
    .argument('<name>', 'model name')
    .action(async (name: string, opts: RegistryCliOptions) => {
      const m = await withRegistry(opts, (reg) => source.activateModel(reg, name));
      process.stdout.write(`${m.name} is now the active ${m.attribute} model\n`);
    });
}
