/**
 * The classical baseline (src/source/baseline.ts) as a stand-alone entry point for hosts without
 * the registry (bundled with esbuild like synth-dataset.ts, run by a carried node binary):
 *
 *   node baseline.mjs --dataset DIR --side 224 [--train-rois 16] [--splits val,test] [--extra DIR,DIR] --out FILE.json
 *
 * Fits on the training split, votes 16 ROIs per image on each split (and on the test split of
 * each --extra export, e.g. a brightness-shifted copy), and writes the reports as JSON.
 */
import { writeFileSync } from 'node:fs';
import { evaluateBaseline, fitBaseline, type BaselineOptions } from '../../src/source/baseline-run.js';

const argv = process.argv.slice(2);
const o: Record<string, string> = {};
for (let i = 0; i < argv.length; i += 2) o[argv[i].replace(/^--/, '')] = argv[i + 1];
if (!o.dataset || !o.side || !o.out) throw new Error('--dataset, --side and --out are required');
const options: BaselineOptions = { roi: { side: Number(o.side), minMeanFraction: 0.5, rejectHalvingEvery: 20, maxAttempts: 200 }, trainRois: Number(o['train-rois'] ?? 16), roiCounts: [1, 4, 16] };
const fitted = await fitBaseline(o.dataset, options);
const reports: Record<string, unknown> = { fitSeconds: fitted.fitSeconds, trainRois: fitted.trainRois, pcaDims: fitted.model.pcaDims };
for (const split of (o.splits ?? 'test').split(',')) reports[split] = await evaluateBaseline(fitted, o.dataset, split as 'val' | 'test', options);
for (const extra of o.extra ? o.extra.split(',') : []) reports[`extra:${extra}`] = await evaluateBaseline(fitted, extra, 'test', options);
writeFileSync(o.out, JSON.stringify(reports, null, 1));
const short = (r: unknown) => (r as { accuracyByRois: Array<{ rois: number; accuracy: number }> }).accuracyByRois.map((a) => `${a.rois}:${(a.accuracy * 100).toFixed(2)}`).join(' ');
for (const [k, v] of Object.entries(reports)) if (typeof v === 'object') process.stdout.write(`baseline ${o.dataset} ${k}: ${short(v)}\n`);
