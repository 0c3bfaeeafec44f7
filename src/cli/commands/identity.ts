/**
 * Individual identity commands: register, verify, identify, identity calibrate|eval|reindex.
 * Negative answers (not the same part, not registered, capture rejected) exit with 10.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { IdentityError } from '../../core/index.js';
import { readGreyImage } from '../../imaging/index.js';
import {
  evaluateLabelled,
  fingerprintImage,
  IdentityService,
  readLabelledFolder,
  IDENTITY_PROFILES,
  PROFILE_NAMES,
  renderDetSvg,
  resolveProfile,
  saveIdentitySettings,
  renderEvidencePng,
  renderHistogramSvg,
  type Calibration,
  type Candidate,
  type IdentityProfile,
  type QualityReport,
} from '../../identity/index.js';
import { parseNumber, printJson } from '../cli-args.js';
import { EXIT } from '../exit-codes.js';
import { readInputFile } from '../input-files.js';
import { createProgressBar } from '../progress-bar.js';
import { addCaptureOptions, addRegistryOptions, type CaptureCliOptions, captureMetaFromOptions, type RegistryCliOptions, withRegistry } from '../registry-options.js';

type Common = RegistryCliOptions & CaptureCliOptions & { json?: boolean; evidence?: string };

function rejected(q: QualityReport, json: boolean | undefined): void {
  if (json) printJson({ status: 'rejected', decision: 'rejected', reason: q.reason, message: q.message, metrics: q.metrics });
  else process.stdout.write(`capture rejected (${q.reason}): ${q.message}\n`);
  process.exitCode = EXIT.NO_MATCH;
}

function candidateLine(c: Candidate, rank: number): string {
  return `${String(rank).padStart(3)}  ${c.serial.padEnd(16)} capture #${String(c.captureId).padEnd(6)} score ${c.score.toFixed(4)}  inliers ${String(c.inliers).padStart(4)}  ${c.same ? 'MATCH' : ''}`;
}

function summary(c: Calibration) {
  return {
    eer: c.eer,
    eerThreshold: c.eerThreshold,
    threshold: c.threshold,
    targetFmr: c.targetFmr,
    genuine: c.genuineCount,
    impostor: c.impostorCount,
    operatingPoints: c.operatingPoints,
  };
}

function printCalibration(c: Calibration): void {
  process.stdout.write(`genuine pairs ${c.genuineCount}, impostor pairs ${c.impostorCount}\nEER ${(c.eer * 100).toFixed(2)}% (threshold ${c.eerThreshold.toPrecision(4)})\n`);
  for (const p of c.operatingPoints) {
    process.stdout.write(`FMR target ${p.targetFmr}: threshold ${p.threshold.toPrecision(4)}, FNMR ${(p.fnmr * 100).toFixed(2)}%, measured FMR ${(p.fmr * 100).toFixed(3)}%${p.measurable ? '' : ' (too few impostor pairs to measure this rate)'}\n`);
  }
}

async function writePlots(dir: string, c: Calibration, genuine: number[], impostor: number[], title: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const det = path.join(dir, 'det.svg');
  const hist = path.join(dir, 'scores.svg');
  await writeFile(det, renderDetSvg(c, `DET: ${title}`));
  await writeFile(hist, renderHistogramSvg(genuine, impostor, c.threshold, `Scores: ${title}`));
  return [det, hist];
}

export function register(program: Command): void {
  addCaptureOptions(addRegistryOptions(program.command('register')))
    .description("Register a part's surface: store the capture and its fingerprint in one transaction")
    .argument('<serial>', 'the part')
    .argument('<image>', 'image file (PNG, TIFF, JPEG, PGM/PPM)')
    .option('--create-part', 'create the part if it is not in the registry yet')
    .option('--json', 'print JSON')
    .action(async (serial: string, image: string, opts: Common & { createPart?: boolean }) => {
      const bytes = new Uint8Array(await readInputFile(image));
      const bar = createProgressBar();
      const r = await withRegistry(opts, (reg) => new IdentityService(reg, { onProgress: bar }).register(serial, bytes, captureMetaFromOptions(opts), { createPart: opts.createPart, name: path.basename(image) })).finally(() => bar.stop());
      if (r.status === 'rejected') return rejected(r.quality, opts.json);
      if (opts.json) printJson({ status: r.status, serial, capture: r.capture, keypoints: r.keypoints });
      else process.stdout.write(`registered ${serial}: capture #${r.capture.id}, ${r.keypoints} keypoints\n`);
    });

  addCaptureOptions(addRegistryOptions(program.command('verify')))
    .description('1:1: is this image the registered part SERIAL? (exit 10 when not)')
    .argument('<serial>', 'the claimed part')
    .argument('<image>', 'probe image')
    .option('--evidence <file>', 'write a PNG of the two images with the inlier pairs')
    .option('--json', 'print JSON')
    .action(async (serial: string, image: string, opts: Common) => {
      await withRegistry(opts, async (reg) => {
        const svc = new IdentityService(reg);
        const r = await svc.verify(serial, image, captureMetaFromOptions(opts));
        if (r.status === 'rejected') return rejected(r.quality, opts.json);
        if (opts.evidence && r.probe.features) {
          const png = await renderEvidencePng(r.probe.normalised.image, await svc.normalisedImage(r.gallery.captureId), r.probe.features, r.gallery.features, r.result);
          await writeFile(opts.evidence, png);
        }
        if (opts.json) printJson({ status: r.status, decision: r.status, serial, same: r.status === 'match', score: r.best.score, scoreKind: r.best.scoreKind, rawScore: r.best.rawScore, inliers: r.best.inliers, individualInliers: r.best.individualInliers, cohortSize: r.best.cohortSize, threshold: r.threshold, captureId: r.best.captureId, reason: r.reason, evidence: opts.evidence ?? null });
        else process.stdout.write(`${r.status === 'match' ? 'MATCH' : 'NO MATCH'}: ${serial} (best capture #${r.best.captureId}): ${r.reason}\n`);
        if (r.status !== 'match') process.exitCode = EXIT.NO_MATCH;
      });
    });

  addCaptureOptions(addRegistryOptions(program.command('identify')))
    .description('1:N: which registered part is this? (exit 10 when none)')
    .argument('<image>', 'probe image')
    .option('--top <n>', 'candidates to verify from the shortlist', parseNumber('--top'))
    .option('--evidence <file>', 'write a PNG of the probe and the best candidate with the inlier pairs')
    .option('--json', 'print JSON')
    .action(async (image: string, opts: Common & { top?: number }) => {
      const bar = createProgressBar();
      await withRegistry(opts, async (reg) => {
        const svc = new IdentityService(reg, { onProgress: bar });
        const r = await svc.identify(image, captureMetaFromOptions(opts), { shortlistSize: opts.top });
        bar.stop();
        if (r.status === 'rejected') return rejected(r.quality, opts.json);
        if (opts.evidence && r.bestResult && r.bestGallery && r.probe.features) {
          await writeFile(opts.evidence, await renderEvidencePng(r.probe.normalised.image, await svc.normalisedImage(r.bestGallery.captureId), r.probe.features, r.bestGallery.features, r.bestResult));
        }
        if (opts.json) {
          printJson({ status: r.status, decision: r.status, serial: r.status === 'identified' ? r.candidates[0].serial : null, threshold: r.threshold, galleryCaptures: r.galleryCaptures, reason: r.reason, candidates: r.candidates });
        } else {
          process.stdout.write(`${r.status === 'identified' ? `IDENTIFIED: ${r.candidates[0].serial}` : 'NOT REGISTERED'} (${r.reason}; gallery ${r.galleryCaptures} captures, threshold ${r.threshold.toPrecision(3)})\n`);
          r.candidates.slice(0, 10).forEach((c, i) => process.stdout.write(`${candidateLine(c, i + 1)}\n`));
        }
        if (r.status !== 'identified') process.exitCode = EXIT.NO_MATCH;
      }).finally(() => bar.stop());
    });

  const identity = program.command('identity').description('Identity calibration, evaluation and index maintenance');

  addRegistryOptions(identity.command('calibrate'))
    .description('Pick the decision threshold for a target false-match rate and store it: from the registry itself (works with one capture per part: each sampled part is identified with and without itself in the gallery, probed by a second capture or a synthetic recapture), or --from a labelled folder')
    .option('--from <dir>', 'labelled folder instead of the registry (one subfolder per item, or files <label>_<n>.<ext>)')
    .option('--target-fmr <rate>', 'target false-match (false-positive identification) rate', parseNumber('--target-fmr'), 1e-3)
    .option('--max-probes <n>', 'registered parts to probe at most (registry source)', parseNumber('--max-probes'), 300)
    .option('--lookalikes <dir>', 'folder of images of unregistered parts of the same kind (more impostor scores)')
    .option('--out <dir>', 'write det.svg and scores.svg here')
    .option('--dry-run', 'report only, do not store the threshold')
    .option('--json', 'print JSON')
    .action(async (opts: RegistryCliOptions & { from?: string; targetFmr: number; maxProbes: number; lookalikes?: string; out?: string; dryRun?: boolean; json?: boolean }) => {
      if (!(opts.targetFmr > 0 && opts.targetFmr < 1)) throw new IdentityError(`--target-fmr ${opts.targetFmr}: must be between 0 and 1`, { code: 'CONFIG' });
      const bar = createProgressBar();
      await withRegistry(opts, async (reg) => {
        const svc = new IdentityService(reg, { onProgress: bar });
        let c: Calibration, genuine: number[], impostor: number[];
        let probes: { real: number; synthetic: number; lookalikes: number } | null = null;
        if (opts.from) {
          const ev = await evaluateFolder(opts.from, opts.targetFmr, bar, svc.profile);
          ({ calibration: c, genuine, impostor } = ev);
          if (!opts.dryRun) await svc.applyCalibration(c, `folder ${path.resolve(opts.from)}`);
        } else {
          const lookalikes = opts.lookalikes ? (await readLabelledFolder(opts.lookalikes).catch(() => [])).map((f) => f.file) : [];
          if (opts.lookalikes && lookalikes.length === 0) throw new IdentityError(`--lookalikes ${opts.lookalikes}: no images found`, { code: 'BAD_INPUT' });
          ({ calibration: c, genuine, impostor, probes } = await svc.calibrateFromRegistry(opts.targetFmr, { maxProbes: opts.maxProbes, lookalikes, apply: !opts.dryRun }));
        }
        bar.stop();
        if (c.genuineCount === 0 || c.impostorCount === 0) throw new IdentityError('calibration needs both genuine and impostor scores (at least two items, and for a folder at least one item with two or more captures)', { code: 'BAD_INPUT' });
        const plots = opts.out ? await writePlots(opts.out, c, genuine, impostor, opts.from ?? 'registry') : [];
        if (opts.json) printJson({ ...summary(c), probes, stored: !opts.dryRun, plots });
        else {
          if (probes) process.stdout.write(`probes: ${probes.real} second captures, ${probes.synthetic} synthetic recaptures of registered images, ${probes.lookalikes} look-alikes; each identified with and without its own part in the gallery\n`);
          printCalibration(c);
          process.stdout.write(opts.dryRun ? 'threshold not stored (--dry-run)\n' : `stored threshold ${c.threshold.toPrecision(4)} for FMR ${opts.targetFmr}\n`);
          for (const p of plots) process.stdout.write(`wrote ${p}\n`);
        }
      }).finally(() => bar.stop());
    });

  identity
    .command('eval')
    .description('Evaluate on a labelled folder: EER, FNMR at FMR 1e-2/1e-3/1e-4, rank-1, open-set FPIR/FNIR')
    .argument('<dir>', 'one subfolder per item, or files <label>_<n>.<ext>')
    .option('--target-fmr <rate>', 'FMR for the open-set threshold', parseNumber('--target-fmr'), 1e-2)
    .option('--profile <name>', `fingerprint and matching profile (${PROFILE_NAMES.join(', ')})`, 'parts')
    .option('--out <dir>', 'write det.svg and scores.svg here')
    .option('--json', 'print JSON')
    .action(async (dir: string, opts: { targetFmr: number; profile: string; out?: string; json?: boolean }) => {
      const profile = resolveProfile(opts.profile);
      const bar = createProgressBar();
      const ev = await evaluateFolder(dir, opts.targetFmr, bar, profile).finally(() => bar.stop());
      const plots = opts.out ? await writePlots(opts.out, ev.calibration, ev.genuine, ev.impostor, dir) : [];
      if (opts.json) printJson({ ...summary(ev.calibration), rank1: ev.rank1, openSet: ev.openSet, rejected: ev.rejected, scoreKind: ev.scoreKind, profile: profile.name, plots });
      else {
        process.stdout.write(`profile ${profile.name}, score ${ev.scoreKind}\n`);
        printCalibration(ev.calibration);
        process.stdout.write(`rank-1 ${(ev.rank1.rate * 100).toFixed(2)}% (${ev.rank1.correct}/${ev.rank1.probes}, gallery ${ev.rank1.gallerySize})\n`);
        process.stdout.write(`open set (gallery ${ev.openSet.gallerySize}, held out ${ev.openSet.heldOutLabels.join(', ')}): FPIR ${(ev.openSet.fpir * 100).toFixed(2)}%, FNIR ${(ev.openSet.fnir * 100).toFixed(2)}%\n`);
        for (const r of ev.rejected) process.stdout.write(`rejected ${r.file}: ${r.message}\n`);
        for (const p of plots) process.stdout.write(`wrote ${p}\n`);
      }
    });

  addRegistryOptions(identity.command('profile'))
    .description("Show the fingerprint profiles and the registry's, or set the registry's (re-extracts fingerprints, resets the threshold)")
    .argument('[name]', `profile to use (${PROFILE_NAMES.join(', ')})`)
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, opts: RegistryCliOptions & { json?: boolean }) => {
      const bar = createProgressBar();
      await withRegistry(opts, async (reg) => {
        let svc = new IdentityService(reg, { onProgress: bar });
        let changed = false;
        if (name !== undefined && resolveProfile(name).name !== svc.profile.name) {
          const p = resolveProfile(name);
          const s = await svc.settings();
          // The old threshold was calibrated for other scores: start from the profile's, uncalibrated.
          await saveIdentitySettings(svc.dir, { ...s, profile: p.name, threshold: p.threshold, minInliers: p.minInliers, scoreKind: p.scoreKind, calibration: null });
          svc = new IdentityService(reg, { onProgress: bar });
          await svc.rebuildShortlist();
          changed = true;
        }
        bar.stop();
        const current = svc.profile.name;
        if (opts.json) printJson({ profile: current, changed, version: svc.version, profiles: Object.values(IDENTITY_PROFILES).map((p) => ({ name: p.name, description: p.description, current: p.name === current })) });
        else {
          for (const p of Object.values(IDENTITY_PROFILES)) process.stdout.write(`${p.name === current ? '*' : ' '} ${p.name.padEnd(12)} ${p.description}\n`);
          if (changed) process.stdout.write(`profile set to ${current}; fingerprints re-extracted (${svc.version}); threshold reset to ${svc.profile.threshold}: run identity calibrate\n`);
        }
      }).finally(() => bar.stop());
    });

  addRegistryOptions(identity.command('reindex'))
    .description('Re-extract stale fingerprints and rebuild the 1:N shortlist index; lists the captures that cannot be fingerprinted and why (exit 3 when any)')
    .option('--json', 'print JSON')
    .action(async (opts: RegistryCliOptions & { json?: boolean }) => {
      const bar = createProgressBar();
      await withRegistry(opts, async (reg) => {
        const svc = new IdentityService(reg, { onProgress: bar });
        const refreshed = await svc.refreshFingerprints();
        const idx = await svc.rebuildShortlist();
        bar.stop();
        if (opts.json) printJson({ captures: refreshed.checked, extracted: refreshed.extracted, indexed: idx?.size ?? 0, version: svc.version, failures: refreshed.failures });
        else {
          process.stdout.write(`index: ${idx?.size ?? 0} of ${refreshed.checked} captures (fingerprint ${svc.version}); ${refreshed.extracted} fingerprinted now\n`);
          for (const f of refreshed.failures) process.stdout.write(`not fingerprinted: capture #${f.captureId} of ${f.serial} (${f.reason}): ${f.message}\n`);
        }
        if (refreshed.failures.length > 0) process.exitCode = EXIT.BAD_INPUT;
      }).finally(() => bar.stop());
    });
}

async function evaluateFolder(dir: string, targetFmr: number, bar: ReturnType<typeof createProgressBar>, profile: IdentityProfile) {
  const files = await readLabelledFolder(dir);
  const items = [];
  const rejectedFiles: Array<{ file: string; message: string }> = [];
  for (const [i, f] of files.entries()) {
    bar({ phase: 'fingerprint', done: i, total: files.length, detail: path.basename(f.file) });
    const fp = await fingerprintImage(await readGreyImage(f.file), profile.fingerprint);
    if (!fp.quality.ok || !fp.features) rejectedFiles.push({ file: f.file, message: fp.quality.message });
    else items.push({ label: f.label, features: fp.features });
  }
  const ev = await evaluateLabelled(items, { targetFmr, onProgress: bar, verify: { match: profile.match, threshold: profile.threshold, minInliers: profile.minInliers } });
  return { ...ev, rejected: rejectedFiles };
}
