/**
 * The bundled NEU model's input check, end to end: `partprint source predict` and
 * POST /api/source/predict answer real NEU test images (indices 171..200, never used to fit or
 * calibrate) with high confidence, and the same images with a different exposure, or a surface
 * of another kind (an FVC2002 fingerprint), with `confidence: low` and the reason.
 * Needs ../shared/data (skips, saying so, when it is absent).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readGreyImage, writeGreyPng } from '../../src/imaging/index.js';
import { form, startHarness, type Harness } from '../api/helpers.js';
import { runCliCaptured as cli } from '../helpers/cli.js';

const shared = path.resolve('../shared/data');
const neu = path.join(shared, 'neu-det');
const modelDir = path.resolve('models/neu-det-mnv3s');
const present = existsSync(neu) && existsSync(path.join(shared, 'fvc2002-db1b'));
if (!present) console.warn(`source-neu-confidence skipped: ${neu} or fvc2002-db1b is absent`);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'pp-neu-conf-'));

/**
 * The rule of trainer/partprint_trainer/shift_dataset.py with the offset and factor it found for
 * NEU's training split (brightest minus darkest class mean 0.338, contrast ratio 4.80):
 * darker-than-mid-grey images brighter and more contrasted, brighter ones darker and flatter.
 */
async function shifted(file: string): Promise<string> {
  const img = await readGreyImage(file);
  const v = Array.from(img.data, (x) => x / 255);
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  const s = m < 0.5 ? 1 : -1;
  const data = Uint8Array.from(v, (x) => Math.max(0, Math.min(255, Math.floor(((x - m) * 4.8038 ** s + m + s * 0.3384) * 255 + 0.5))));
  const out = path.join(tmp, `${path.basename(file, '.jpg')}-shifted.png`);
  await writeGreyPng({ ...img, data, bitDepth: 8 }, out);
  return out;
}

describe.skipIf(!present)('NEU input check through the CLI and the API', () => {
  let h: Harness | undefined;
  afterAll(async () => h?.close());

  it('source predict: test images high, their shifted copies and a fingerprint low with the reason', async () => {
    const card = JSON.parse(readFileSync(path.join(modelDir, 'model.json'), 'utf8')) as { inputCheck?: { texture?: { threshold: number } } };
    expect(card.inputCheck?.texture?.threshold).toBeGreaterThan(0);
    for (const name of ['scratches/scratches_185', 'inclusion/inclusion_180']) {
      const file = path.join(neu, `${name}.jpg`);
      const plain = await cli('source', 'predict', file, '--model', modelDir, '--json');
      expect(plain.code, plain.err).toBe(0);
      const p = JSON.parse(plain.out) as { label: string; confidenceLevel: string; lowConfidenceReasons: string[]; inputStats: { texture: number[] } };
      expect(p.label).toBe(name.split('/')[0]);
      expect(p.confidenceLevel, p.lowConfidenceReasons.join('; ')).toBe('high');
      expect(p.inputStats.texture).toHaveLength(11);
      const moved = await cli('source', 'predict', await shifted(file), '--model', modelDir);
      expect(moved.out).toMatch(/confidence: low, reason: .*surface texture unlike the training images of/);
    }
    const finger = await cli('source', 'predict', path.join(shared, 'fvc2002-db1b', '101_1.tif'), '--model', modelDir);
    expect(finger.out).toMatch(/confidence: low, reason: /);
  });

  it('POST /api/source/predict: the same answer and reasons for a client', async () => {
    h = await startHarness();
    const app = h.server.app;
    const reg = await app.inject({ method: 'POST', url: '/api/models', headers: h.auth('admin'), payload: { dir: modelDir, activate: true } });
    expect(reg.statusCode, reg.body).toBe(201);
    const predict = async (file: string) => app.inject({ method: 'POST', url: '/api/source/predict', headers: h!.auth('inspector'), payload: form({}, { name: path.basename(file), bytes: readFileSync(file) }) });
    const file = path.join(neu, 'scratches', 'scratches_185.jpg');
    const ok = await predict(file);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ label: 'scratches', confidenceLevel: 'high', lowConfidenceReasons: [] });
    const low = await predict(await shifted(file));
    expect(low.statusCode, low.body).toBe(200);
    expect(low.json().confidenceLevel).toBe('low');
    expect(low.json().lowConfidenceReasons.join(' ')).toMatch(/surface texture unlike the training images of scratches/);
  });
});
