/**
 * `partprint demo`: the main job end to end on synthetic parts, as a readable sequence of steps.
 * Parts: 21 machines of 4 processes (DLS, MJF, SLA, FDM), 512 px at 5.3 um/px.
 * The last step predicts the machine of parts that the bundled source model (models/, trained on
 * the GPU) never saw: its own test parts, rebuilt from the generator settings its card records.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { IdentityService, renderEvidencePng } from '../../identity/index.js';
import { importPartsCsv, type Registry } from '../../registry/index.js';
import { readGreyImage } from '../../imaging/index.js';
import { confusionSvg, listModels, loadSourceModel, parseCsv, predictSource, registerModel, activateModel, syntheticGenerator, syntheticSplitCounts } from '../../source/index.js';
import { datasetSplit, encodeCapture, generateParts, generateRecaptures, makeMachines, makePart, renderCapture, sampleCaptureParams, type ProcessName, type SynthConfig } from '../../synth/index.js';
import { appendEvent, exportEpcis } from '../../trace/index.js';
import { createProgressBar } from '../progress-bar.js';
import { addRegistryOptions, type RegistryCliOptions, withRegistry } from '../registry-options.js';

interface DemoOptions extends RegistryCliOptions {
  seed: number;
  sourceParts: number;
  partsPerMachine: number;
  lookalikes: number;
}

const PROCESSES: ProcessName[] = ['DLS', 'MJF', 'SLA', 'FDM'];
const VIEW = { machines: 21, size: 512, strength: 1 };

interface RecaptureRow {
  file: string;
  serial: string;
  registered: string;
  machine: string;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function pct(n: number, d: number): string {
  return d === 0 ? 'n/a' : `${n}/${d} (${((100 * n) / d).toFixed(1)}%)`;
}

/** Step 1: synthetic parts with a Parts CSV manifest. */
async function makeParts(dir: string, o: DemoOptions): Promise<string> {
  const bar = createProgressBar();
  const s = await generateParts({ out: dir, seed: o.seed, processes: PROCESSES, partsPerMachine: o.partsPerMachine, ...VIEW, onProgress: bar }).finally(() => bar.stop());
  say(`1. generated ${s.images} synthetic parts (${PROCESSES.join(', ')}; ${VIEW.machines} machines; ${VIEW.size} px at 5.3 um/px) in ${dir}`);
  return s.manifest;
}

/** Step 2: register them (parts, attributes, captures) unless this registry already has them. */
async function importParts(reg: Registry, manifest: string): Promise<void> {
  if (await reg.parts.get('P000001')) {
    say('2. the registry already holds the demo parts; not imported again');
    return;
  }
  const bar = createProgressBar();
  const result = await importPartsCsv(reg, manifest, { onProgress: bar }).finally(() => bar.stop());
  if (!result.ok) throw new Error(`demo import rejected ${result.rejected.length} row(s): ${result.rejected.map((r) => `row ${r.row}: ${r.reason}`).join('; ')}`);
  say(`2. imported ${result.parts} parts with ${result.captures} captures and their attributes`);
}

/** Step 3: a fingerprint for every stored capture (keypoints + descriptors), and the 1:N index. */
async function fingerprintAll(identity: IdentityService): Promise<void> {
  const r = await identity.refreshFingerprints();
  await identity.rebuildShortlist();
  say(`3. fingerprinted ${r.extracted} captures (${r.rejected} rejected by the quality gate; ${r.checked} in the registry) and built the 1:N index`);
}

/** Step 4: new photos of the registered parts and of unregistered look-alikes. */
async function makeRecaptures(from: string, dir: string, lookalikes: number): Promise<RecaptureRow[]> {
  const bar = createProgressBar();
  await generateRecaptures({ from, out: dir, captures: 1, lookalikes, onProgress: bar }).finally(() => bar.stop());
  const rows = parseCsv(await readFile(path.join(dir, 'manifest.csv'), 'utf8')) as unknown as RecaptureRow[];
  say(`4. took ${rows.length} new photos (rotated, rescaled, relit): one of each registered part and ${lookalikes} of unregistered look-alikes`);
  return rows;
}

/** Step 5: 1:N identification of every new photo; look-alikes must come back "not registered". */
async function identifyAll(identity: IdentityService, dir: string, rows: RecaptureRow[], evidenceFile: string): Promise<void> {
  let right = 0, registered = 0, rejectedLookalikes = 0, lookalikes = 0, unusable = 0;
  let evidenceWritten = false;
  const bar = createProgressBar();
  for (const [i, row] of rows.entries()) {
    bar({ phase: 'identify', done: i, total: rows.length, detail: row.serial });
    const outcome = await identity.identify(path.join(dir, row.file));
    if (outcome.status === 'rejected') {
      unusable++;
      continue;
    }
    const top = outcome.status === 'identified' ? outcome.candidates[0]?.serial : null;
    if (row.registered === 'true') {
      registered++;
      if (top === row.serial) right++;
      if (!evidenceWritten && top === row.serial && outcome.bestResult && outcome.bestGallery && outcome.probe.features) {
        const png = await renderEvidencePng(outcome.probe.normalised.image, await identity.normalisedImage(outcome.bestGallery.captureId), outcome.probe.features, outcome.bestGallery.features, outcome.bestResult);
        await writeFile(evidenceFile, png);
        evidenceWritten = true;
      }
    } else {
      lookalikes++;
      if (outcome.status === 'not-registered') rejectedLookalikes++;
    }
  }
  bar.stop();
  say(`5. identified ${pct(right, registered)} registered parts correctly; ${pct(rejectedLookalikes, lookalikes)} look-alikes flagged NOT REGISTERED${unusable ? `; ${unusable} photos rejected by the quality gate` : ''}`);
  if (evidenceWritten) say(`   matched keypoints of one identification: ${evidenceFile}`);
}

/** Step 6: a short history for a few parts, exported as GS1 EPCIS 2.0. */
async function recordHistory(reg: Registry, epcisFile: string): Promise<void> {
  const existing = await reg.db.selectFrom('events').select(reg.db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  if (Number(existing.n) === 0) {
    const serials = ['P000001', 'P000002', 'P000003'];
    for (const [i, serial] of serials.entries()) {
      const day = `2026-03-0${i + 1}`;
      await appendEvent(reg, serial, { type: 'commissioned', occurredAt: `${day}T08:00:00+01:00`, place: 'plant 1, line 3', actor: 'line-3-camera' }, { recordedBy: 'demo' });
      await appendEvent(reg, serial, { type: 'inspected', occurredAt: `${day}T09:00:00+01:00`, actor: 'QA', fields: { result: i === 2 ? 'fail' : 'pass' } }, { recordedBy: 'demo' });
    }
    await appendEvent(reg, 'P000001', { type: 'installed', occurredAt: '2026-04-10T14:30:00+02:00', place: 'customer site', actor: 'fitter 7', fields: { torqueNm: 25, position: 'flange bolt 3' } }, { recordedBy: 'demo' });
  }
  const doc = await exportEpcis(reg);
  await writeFile(epcisFile, `${JSON.stringify(doc, null, 2)}\n`);
  const n = Array.isArray((doc as { epcisBody?: { eventList?: unknown[] } }).epcisBody?.eventList) ? (doc as { epcisBody: { eventList: unknown[] } }).epcisBody.eventList.length : 0;
  say(`6. recorded history (commissioned, inspected, installed at 25 N·m) and exported ${n} events as GS1 EPCIS 2.0: ${epcisFile}`);
}

/** The bundled source model the demo uses (models/ at the package root). */
const DEMO_SOURCE_MODEL = fileURLToPath(new URL('../../../models/synth21-s0.85-mnv3s', import.meta.url));

/** Step 7: the machine that made each of `perMachine` unseen test parts per machine, by the bundled model. */
async function predictSources(reg: Registry, dir: string, perMachine: number): Promise<void> {
  if (!existsSync(path.join(DEMO_SOURCE_MODEL, 'model.onnx'))) {
    say(`7. source identification skipped: no bundled model at ${DEMO_SOURCE_MODEL}`);
    return;
  }
  const model = await loadSourceModel(DEMO_SOURCE_MODEL);
  try {
    const g = syntheticGenerator(model.card);
    const config: SynthConfig = { seed: g.seed, strength: g.strength, processes: g.processes as ProcessName[], machines: g.machines, partsPerMachine: g.partsPerMachine };
    const counts = syntheticSplitCounts(g);
    const machines = makeMachines(config);
    await mkdir(dir, { recursive: true });
    const classes = model.card.classes;
    const confusion = classes.map(() => classes.map(() => 0));
    const lines = ['serial,machine,predicted,confidence'];
    const bar = createProgressBar();
    let right = 0, total = 0;
    for (const m of machines) {
      const ks = Array.from({ length: g.partsPerMachine }, (_, k) => k).filter((k) => datasetSplit(g.seed, m.index, k, counts) === 'test').slice(0, perMachine);
      for (const k of ks) {
        const part = makePart(config, machines, m.index * g.partsPerMachine + k);
        bar({ phase: 'source', done: total, total: machines.length * perMachine, detail: part.serial });
        const params = sampleCaptureParams(part, 0);
        const cap = renderCapture(part, params, { size: g.size, pixelUm: 5.3 });
        const file = path.join(dir, `${part.serial}.${params.format === 'jpeg' ? 'jpg' : 'png'}`);
        await writeFile(file, await encodeCapture(cap.pixels, cap.width, cap.height, params.format, params.jpegQuality));
        const p = await predictSource(model, await readGreyImage(file), { k: 16, seed: 1, name: file });
        total++;
        if (p.bestClass === m.name) right++;
        confusion[classes.indexOf(m.name)][classes.indexOf(p.bestClass)]++;
        lines.push(`${part.serial},${m.name},${p.bestClass},${p.confidence.toFixed(4)}`);
      }
    }
    bar.stop();
    await writeFile(path.join(dir, 'predictions.csv'), `${lines.join('\n')}\n`);
    await writeFile(path.join(dir, 'confusion.svg'), confusionSvg(classes, confusion, `${model.card.name}: ${right}/${total} unseen parts`));
    if (!(await listModels(reg)).some((r) => r.name === model.card.name)) await registerModel(reg, DEMO_SOURCE_MODEL);
    await activateModel(reg, model.card.name);
    say(`7. predicted the machine of ${total} parts the model never saw (${classes.length} machines, 16 ROIs of ${model.card.sampleSizeMm?.toFixed(2) ?? '?'} mm each): ${pct(right, total)} right; ${path.join(dir, 'confusion.svg')}`);
    say(`   model ${model.card.name} is the registry's active model for "${model.card.attribute}": npx partprint source predict IMAGE`);
  } finally {
    await model.close();
  }
}

export function register(program: Command): void {
  addRegistryOptions(program.command('demo'))
    .description('Build a registry end to end from synthetic parts: import, fingerprint, identify, history')
    .option('--seed <n>', 'seed of the synthetic parts', (v: string) => Number.parseInt(v, 10), 1)
    .option('--parts-per-machine <n>', 'parts per machine (21 machines)', (v: string) => Number.parseInt(v, 10), 2)
    .option('--lookalikes <n>', 'unregistered look-alike parts to check', (v: string) => Number.parseInt(v, 10), 21)
    .option('--source-parts <n>', 'unseen test parts per machine for the source-identification step (0 skips it)', (v: string) => Number.parseInt(v, 10), 1)
    .action(async (opts: DemoOptions) => {
      const dataDir = path.resolve(opts.data ?? process.env.PARTPRINT_DATA ?? 'partprint-data');
      const demoDir = path.join(dataDir, 'demo');
      await mkdir(demoDir, { recursive: true });
      const partsDir = path.join(demoDir, 'parts');
      const recapDir = path.join(demoDir, 'recaptures');
      const manifest = await makeParts(partsDir, opts);
      await withRegistry({ ...opts, data: dataDir }, async (reg) => {
        const identity = new IdentityService(reg);
        await importParts(reg, manifest);
        await fingerprintAll(identity);
        const rows = await makeRecaptures(partsDir, recapDir, opts.lookalikes);
        await identifyAll(identity, recapDir, rows, path.join(demoDir, 'evidence.png'));
        await recordHistory(reg, path.join(demoDir, 'history.epcis.jsonld'));
        if (opts.sourceParts > 0) await predictSources(reg, path.join(demoDir, 'source'), opts.sourceParts);
        say(`Done. Browse it: npx partprint serve --data ${path.relative(process.cwd(), dataDir) || '.'}  (prints an admin key on first start)`);
      });
    });
}
