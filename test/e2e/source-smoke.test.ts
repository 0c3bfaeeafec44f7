/**
 * CI smoke test of the whole source pipeline on this machine's CPU: manifest -> `source dataset`
 * -> `source train` (Debian's python3-torch, a few steps of a small network at a small ROI size,
 * ONNX export) -> onnxruntime-node loads it -> `source predict` / `eval` / `calibrate` /
 * `models register|list` with a throw-away registry.
 */
import { existsSync, readdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../helpers/cli.js';
import { createRng } from '../../src/core/index.js';
import { readGreyImage, writeGreyPng } from '../../src/imaging/index.js';
import { openRegistry } from '../../src/registry/index.js';
import { PYTHON, loadSourceModel, missingPythonModules, predictSource, readDataset, validateModelCard, type SourceModel } from '../../src/source/index.js';

const missing = missingPythonModules(['numpy', 'PIL', 'torch', 'torchvision', 'onnx']);
if (missing.length > 0 && process.env.PARTPRINT_REQUIRE_ALL === '1') {
  throw new Error(`source-smoke: ${PYTHON} lacks ${missing.join(', ')} (PARTPRINT_REQUIRE_ALL=1)`);
}
if (missing.length > 0) console.warn(`source-smoke skipped: ${PYTHON} lacks ${missing.join(', ')} (scripts/install-system-deps.sh installs python3-torch)`);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pp-source-smoke-'));
const data = path.join(tmp, 'registry');

/** Textures per class: horizontal stripes, vertical stripes, blobs; M04/M05 are unseen classes. */
async function writeParts(dir: string, classes: string[], perClass: number, seed: number): Promise<string> {
  const rng = createRng(seed);
  const rows = ['serial,image,machine,pixel_size_um'];
  for (const cls of classes) {
    for (let p = 0; p < perClass; p++) {
      const size = 96;
      const period = 4 + rng.int(3);
      const px = new Uint8Array(size * size);
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const t = cls === 'M01' ? y : cls === 'M02' ? x : cls === 'M03' ? x + y : cls === 'M04' ? (x >> 3) ^ (y >> 3) : x * y;
          const v = 90 + (t % period < period / 2 ? 80 : 0) + rng.normal() * 20;
          px[y * size + x] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
      const serial = `${cls}-${String(p).padStart(3, '0')}`;
      await writeGreyPng({ width: size, height: size, data: px, bitDepth: 8 }, path.join(dir, 'images', `${serial}.png`));
      rows.push(`${serial},images/${serial}.png,${cls},5.3`);
    }
  }
  const manifest = path.join(dir, 'manifest.csv');
  writeFileSync(manifest, `${rows.join('\n')}\n`);
  return manifest;
}

const cli = runCliCaptured;

describe.skipIf(missing.length > 0)('source pipeline smoke test (CPU)', () => {
  const ds = path.join(tmp, 'ds');
  const unknownDs = path.join(tmp, 'unknown');
  const modelDir = path.join(tmp, 'model');
  let model: SourceModel;

  beforeAll(async () => {
    const manifest = await writeParts(path.join(tmp, 'parts'), ['M01', 'M02', 'M03'], 8, 1);
    expect((await cli('source', 'dataset', '--from-manifest', manifest, '--attribute', 'machine', '--train-per-class', '4', '--val-per-class', '2', '--test-per-class', '2', '--out', ds)).code).toBe(0);
    const unknown = await writeParts(path.join(tmp, 'unseen'), ['M04', 'M05'], 3, 2);
    expect((await cli('source', 'dataset', '--from-manifest', unknown, '--attribute', 'machine', '--train-per-class', '0', '--val-per-class', '0', '--test-per-class', '3', '--out', unknownDs)).code).toBe(0);
    const train = await cli('source', 'train', '--dataset', ds, '--out', modelDir, '--arch', 'mobilenet_v3_small', '--roi-side', '32', '--input-size', '48', '--epochs', '2',
      '--', '--batch-size', '4', '--workers', '0', '--val-rois', '2', '--eval-rois', '4', '--curve-rois', '8', '--name', 'smoke-machine');
    expect(train.code).toBe(0);
    model = await loadSourceModel(modelDir);
  });

  afterAll(async () => {
    await model?.close();
  });

  it('exports a balanced, leak-free dataset the trainer accepts', async () => {
    const d = await readDataset(ds);
    expect(d.classes).toEqual(['M01', 'M02', 'M03']);
    expect(d.items.filter((i) => i.split === 'test')).toHaveLength(6);
    expect(existsSync(path.join(modelDir, 'model.onnx'))).toBe(true);
    expect(model.card.name).toBe('smoke-machine');
    expect(model.card.roi.side).toBe(32);
  });

  it('predicts with onnxruntime-node: a distribution over the classes, deterministic for a seed', async () => {
    const img = await readGreyImage(path.join(tmp, 'parts', 'images', 'M02-001.png'));
    const a = await predictSource(model, img, { k: 16, seed: 3 });
    const b = await predictSource(model, img, { k: 16, seed: 3 });
    const c = await predictSource(model, img, { k: 16, seed: 4 });
    expect(a.distribution).toEqual(b.distribution);
    expect(c.boxes).not.toEqual(a.boxes);
    const total = Object.values(a.distribution).reduce((s, v) => s + v, 0);
    expect(total).toBeCloseTo(1, 6);
    expect(a.rois).toBe(16);
    expect(model.card.classes).toContain(a.bestClass);
  });

  it('source eval writes the metrics, confusion matrix and accuracy-vs-ROIs chart', async () => {
    const out = path.join(tmp, 'eval');
    expect((await cli('source', 'eval', '--model', modelDir, '--dataset', ds, '--out', out)).code).toBe(0);
    const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as { images: number; confusion: number[][]; accuracyByRois: Array<{ rois: number }> };
    expect(metrics.images).toBe(6);
    expect(metrics.confusion.flat().reduce((s, v) => s + v, 0)).toBe(6);
    expect(metrics.accuracyByRois.map((a) => a.rois)).toEqual([1, 2, 4, 8, 16, 32]);
    expect(readFileSync(path.join(out, 'confusion.svg'), 'utf8')).toMatch(/^<svg/);
    expect(readFileSync(path.join(out, 'confusion.csv'), 'utf8').split('\n')[0]).toContain('M01');
    expect(readFileSync(path.join(out, 'reliability.svg'), 'utf8')).toMatch(/^<svg[\s\S]*ECE/);
  });

  it('source eval on an evaluation-only set writes nothing into the model folder unless --out says where', async () => {
    const d = await readDataset(unknownDs);
    expect(new Set(d.items.map((i) => i.split))).toEqual(new Set(['test']));
    expect(d.items).toHaveLength(6);
    const before = readdirSync(modelDir).sort();
    const r = await cli('source', 'eval', '--model', modelDir, '--dataset', ds, '--split', 'val');
    expect(r.code).toBe(0);
    expect(r.out).toContain('no report written');
    expect(readdirSync(modelDir).sort()).toEqual(before);
  });

  it('calibrates the open-set threshold into the card, which stays valid', async () => {
    const r = await cli('source', 'calibrate', '--model', modelDir, '--dataset', ds, '--unknown', unknownDs, '--max-loss', '0.5', '--json');
    expect(r.code).toBe(0);
    const card = validateModelCard(JSON.parse(readFileSync(path.join(modelDir, 'model.json'), 'utf8')));
    expect(card.openSet?.method).toBe('logit-cosine'); // the default score
    const compared = (JSON.parse(r.out) as { compared: Array<{ method: string; auroc: number }> }).compared;
    expect(compared.map((c) => c.method)).toEqual(['max-vote-share', 'max-softmax', 'max-logit', 'energy', 'logit-cosine']);
    for (const c of compared) expect(c.auroc).toBeGreaterThanOrEqual(0);
    expect(card.openSet?.knownAccuracyLoss).toBeLessThanOrEqual(0.5);
  });

  it('calibrates the input check and temperature into the card; a brightened part is called low confidence', async () => {
    const r = await cli('source', 'calibrate-confidence', '--model', modelDir, '--dataset', ds, '--max-flagged', '0.2', '--json');
    expect(r.code).toBe(0);
    const card = validateModelCard(JSON.parse(readFileSync(path.join(modelDir, 'model.json'), 'utf8')));
    expect(Object.keys(card.inputCheck?.perClass ?? {}).sort()).toEqual(['M01', 'M02', 'M03']);
    expect(card.inputCheck?.valFlaggedShare).toBeLessThanOrEqual(0.2);
    expect(card.calibration?.temperature).toBeGreaterThan(0);
    const file = path.join(tmp, 'parts', 'images', 'M01-000.png');
    const normal = JSON.parse((await cli('source', 'predict', file, '--model', modelDir, '--json')).out) as { confidenceLevel: string; calibratedConfidence: number | null; inputStats: { mean: number } };
    expect(['high', 'low']).toContain(normal.confidenceLevel);
    expect(normal.calibratedConfidence).toBeGreaterThan(0);
    // The same part with its brightness raised far beyond every training part: low, with the reason.
    const img = await readGreyImage(file);
    const bright = path.join(tmp, 'bright.png');
    await writeGreyPng({ ...img, data: Uint8Array.from(img.data, (v) => Math.min(255, v + 90)), bitDepth: 8 }, bright);
    const shifted = await cli('source', 'predict', bright, '--model', modelDir);
    expect(shifted.out).toMatch(/confidence: low, reason: input statistics outside the training images/);
  });

  it('registers, activates and predicts with the active model from the registry', async () => {
    expect((await cli('source', 'models', 'register', modelDir, '--activate', '--data', data)).code).toBe(0);
    const list = JSON.parse((await cli('source', 'models', 'list', '--json', '--data', data)).out) as Array<{ name: string; active: boolean }>;
    expect(list).toEqual([expect.objectContaining({ name: 'smoke-machine', active: true })]);
    const again = await cli('source', 'models', 'register', modelDir, '--data', data);
    expect(again.code).toBe(5); // name taken: conflict
    const p = await cli('source', 'predict', path.join(tmp, 'parts', 'images', 'M01-000.png'), '--json', '--data', data);
    expect([0, 10]).toContain(p.code); // 10 = flagged unknown by the calibrated rule
    const json = JSON.parse(p.out) as { model: string; rois: number };
    expect(json.model).toBe('smoke-machine');
    expect(json.rois).toBe(16);
    // By serial: the part's latest capture in the registry, same answer as the file itself.
    const reg = await openRegistry({ dataDir: data });
    try {
      await reg.parts.create({ serial: 'P-1', attributes: { machine: 'M01' } });
      await reg.captures.add('P-1', path.join(tmp, 'parts', 'images', 'M01-000.png'));
    } finally {
      await reg.close();
    }
    const bySerial = JSON.parse((await cli('source', 'predict', 'P-1', '--json', '--data', data)).out) as { distribution: Record<string, number> };
    expect(bySerial.distribution).toEqual((JSON.parse(p.out) as { distribution: Record<string, number> }).distribution);
    expect((await cli('source', 'predict', 'NO-SUCH-PART', '--data', data)).code).toBe(4);
  });
  it('sweeps ROI sides: trains and evaluates each, draws accuracy vs physical sample size', async () => {
    const out = path.join(tmp, 'sweep');
    const manifest = path.join(tmp, 'parts', 'manifest.csv');
    const r = await cli('source', 'sweep', '--from-manifest', manifest, '--attribute', 'machine', '--train-per-class', '4', '--val-per-class', '2', '--test-per-class', '2',
      '--downscales', '1,2', '--sides', '24', '--input-size', '32', '--out', out, '--', '--arch', 'mobilenet_v3_small', '--epochs', '1', '--batch-size', '4', '--workers', '0', '--val-rois', '1', '--eval-rois', '2', '--curve-rois', '2');
    expect(r.code).toBe(0);
    const points = JSON.parse(readFileSync(path.join(out, 'sweep.json'), 'utf8')) as Array<{ downscale: number; side: number; sampleSizeMm: number; accuracy: number }>;
    expect(points.map((p) => [p.downscale, p.side])).toEqual([[1, 24], [2, 24]]);
    expect(points[1].sampleSizeMm).toBeCloseTo((24 * 2 * 5.3) / 1000, 9);
    expect(readFileSync(path.join(out, 'sweep.svg'), 'utf8')).toMatch(/physical ROI side, mm/);
  });
});
