/**
 * Synthetic parts of one machine through the registry: register N parts (one capture each),
 * identify 3 recaptures of each and N unregistered look-alikes; rank-1, false accepts, FNMR at
 * FMR = 1e-4; registration, 1:1 and 1:N latency; then 1:N at 1k / 10k / 100k gallery entries
 * with synthetic distractor fingerprints (see notes) for latency and shortlist recall.
 *
 * Env: IDENTITY_SYNTH_PARTS (default 200), IDENTITY_SYNTH_SIZE (image side, default 512),
 * IDENTITY_SYNTH_SCALES (default "1000,10000,100000").
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRng, deriveSeed } from '../src/core/index.js';
import { calibrateScores, IdentityService, REGISTRY_MATCH_OPTIONS, renderDetSvg, renderHistogramSvg, ShortlistIndex, verifyPair, type FeatureSet } from '../src/identity/index.js';
import { openRegistry } from '../src/registry/index.js';
import { generateParts, generateRecaptures, parseCsv } from '../src/synth/index.js';
import type { BenchResult } from './run.js';

const N = Number(process.env.IDENTITY_SYNTH_PARTS ?? 200);
const SIZE = Number(process.env.IDENTITY_SYNTH_SIZE ?? 512);
const SCALES = (process.env.IDENTITY_SYNTH_SCALES ?? '1000,10000,100000').split(',').map(Number);

function quantile(v: number[], q: number): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
const ms = (v: number) => v.toFixed(1);

async function readManifest(file: string): Promise<Array<Record<string, string>>> {
  return parseCsv(await readFile(file, 'utf8'));
}

export async function run(): Promise<BenchResult> {
  const dataDir = path.join(os.tmpdir(), `partprint-bench-synth-${N}-${SIZE}`);
  const partsDir = path.join(dataDir, 'parts');
  const recapDir = path.join(dataDir, 'recaptures');
  const t0 = performance.now();
  if (!existsSync(path.join(partsDir, 'manifest.csv'))) await generateParts({ out: partsDir, machines: 1, partsPerMachine: N, size: SIZE, seed: 1 });
  if (!existsSync(path.join(recapDir, 'manifest.csv'))) await generateRecaptures({ from: partsDir, out: recapDir, captures: 3, lookalikes: N, lookalikeCaptures: 1 });
  const genSeconds = (performance.now() - t0) / 1000;
  const parts = await readManifest(path.join(partsDir, 'manifest.csv'));
  const probes = await readManifest(path.join(recapDir, 'manifest.csv'));

  const log = (m: string) => process.stderr.write(`[identity-synth ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
  log(`data ready (${parts.length} parts, ${probes.length} probes)`);
  const regDir = await mkdtemp(path.join(os.tmpdir(), 'partprint-bench-reg-'));
  const reg = await openRegistry({ dataDir: regDir });
  const svc = new IdentityService(reg);
  const regMs: number[] = [];
  const gallery: Array<{ serial: string; features: FeatureSet }> = [];
  for (const p of parts) {
    const t = performance.now();
    const r = await svc.register(p.serial, path.join(partsDir, p.image), { pixelSizeUm: Number(p.pixel_size_um) || null }, { createPart: true });
    regMs.push(performance.now() - t);
    if (r.status !== 'registered') throw new Error(`${p.serial} rejected: ${r.quality.message}`);
  }
  await svc.shortlistIndex();
  log('registered');
  const settings = await svc.settings();
  // Gallery fingerprints in memory (for the scaling part).
  for (const p of parts) {
    const fp = await svc.fingerprint(path.join(partsDir, p.image), { pixelSizeUm: Number(p.pixel_size_um) || null });
    gallery.push({ serial: p.serial, features: fp.features! });
  }

  // 1:N through the service: every recapture and look-alike.
  let rank1 = 0, identifiedCorrect = 0, genuineProbes = 0, inShortlist = 0, lookalikeAccepted = 0, lookalikes = 0, rejected = 0, wrongAccept = 0;
  const identifyMs: number[] = [];
  const genuineScores: number[] = [], impostorScores: number[] = [];
  const probeFeatures: Array<{ serial: string; features: FeatureSet }> = [];
  for (const p of probes) {
    const file = path.join(recapDir, p.file);
    const t = performance.now();
    const r = await svc.identify(file, { pixelSizeUm: Number(p.pixel_size_um) || null });
    identifyMs.push(performance.now() - t);
    if (r.status === 'rejected') { rejected++; continue; }
    const registered = p.registered === 'true';
    if (registered) probeFeatures.push({ serial: p.serial, features: r.probe.features! });
    for (const c of r.candidates) (registered && c.serial === p.serial ? genuineScores : impostorScores).push(c.score);
    if (registered) {
      genuineProbes++;
      if (r.candidates.some((c) => c.serial === p.serial)) inShortlist++;
      else {
        // Not shortlisted: its genuine score still counts for FNMR.
        const g = gallery.find((x) => x.serial === p.serial)!;
        genuineScores.push((await verifyPair(r.probe.features!, g.features, { threshold: settings.threshold, minInliers: settings.minInliers, match: REGISTRY_MATCH_OPTIONS })).score.value);
      }
      if (r.candidates[0]?.serial === p.serial) rank1++;
      if (r.status === 'identified' && r.candidates[0].serial === p.serial) identifiedCorrect++;
      if (r.status === 'identified' && r.candidates[0].serial !== p.serial) wrongAccept++;
    } else {
      lookalikes++;
      if (r.status === 'identified') lookalikeAccepted++;
    }
  }
  log('identified');
  const cal = calibrateScores(genuineScores, impostorScores, 1e-4);
  await writeFile(path.resolve('bench/results/identity-synth-det.svg'), renderDetSvg(cal, `Synthetic parts, one machine, N = ${N}`));
  await writeFile(path.resolve('bench/results/identity-synth-scores.svg'), renderHistogramSvg(genuineScores, impostorScores, settings.threshold, `Synthetic parts (threshold: stored default)`));

  // 1:1 verify latency end to end (decode + fingerprint + compare with the part's capture), and compare only.
  const verifyMs: number[] = [], pairMs: number[] = [];
  for (const p of probes.filter((x) => x.registered === 'true').slice(0, 30)) {
    const t = performance.now();
    await svc.verify(p.serial, path.join(recapDir, p.file));
    verifyMs.push(performance.now() - t);
  }
  for (const pf of probeFeatures.slice(0, 100)) {
    const g = gallery.find((x) => x.serial === pf.serial)!;
    const t = performance.now();
    await verifyPair(pf.features, g.features, { match: REGISTRY_MATCH_OPTIONS });
    pairMs.push(performance.now() - t);
  }
  await reg.close();
  await rm(regDir, { recursive: true, force: true });

  // Scaling: gallery = N real parts + synthetic distractors. A distractor is a
  // fingerprint of as many descriptors as a real one, each drawn at random from the pool of all real
  // gallery descriptors (same machine statistics, no physical part), at random positions/angles.
  const pool = gallery.map((g) => g.features);
  const poolSizes = pool.map((f) => f.sizes.length);
  const meanKp = Math.round(poolSizes.reduce((a, b) => a + b, 0) / pool.length);
  const bytes = pool[0].descriptorBytes;
  const distractor = (id: number): FeatureSet => {
    const rng = createRng(deriveSeed(99, id));
    const n = meanKp;
    const f: FeatureSet = { keypoints: new Float32Array(2 * n), sizes: new Float32Array(n), angles: new Float32Array(n), responses: new Float32Array(n), descriptors: new Uint8Array(n * bytes), descriptorBytes: bytes, imageSize: pool[0].imageSize, scale: 1, extractor: pool[0].extractor };
    for (let i = 0; i < n; i++) {
      const src = pool[rng.int(pool.length)];
      const j = rng.int(src.sizes.length);
      f.descriptors.set(src.descriptors.subarray(j * bytes, (j + 1) * bytes), i * bytes);
      f.keypoints[2 * i] = rng.uniform(0, f.imageSize.width);
      f.keypoints[2 * i + 1] = rng.uniform(0, f.imageSize.height);
      f.sizes[i] = src.sizes[j];
      f.angles[i] = rng.uniform(0, 360);
    }
    return f;
  };
  const scaleRows: Array<Array<string | number>> = [];
  const scaleMetrics: Record<string, unknown> = {};
  const K = settings.shortlistSize; // the ANN path (galleries above exhaustiveUpTo)
  const sample = probeFeatures.filter((_, i) => i % Math.max(1, Math.floor(probeFeatures.length / 100)) === 0).slice(0, 100);
  for (const total of SCALES) {
    if (total < N) continue;
    const tb = performance.now();
    const idx = ShortlistIndex.build(gallery.map((g, i) => ({ captureId: i + 1, features: g.features })), 'bench', {});
    for (let id = N + 1; id <= total; id++) idx.add(id, distractor(id));
    const buildS = (performance.now() - tb) / 1000;
    log(`gallery ${total} built in ${buildS.toFixed(0)} s`);
    let hit = 0, correct = 0;
    const recallAt: Record<number, number> = { 10: 0, 20: 0, 50: 0, 100: 0, 200: 0 };
    const lat: number[] = [], searchLat: number[] = [];
    for (const pf of sample) {
      const trueId = gallery.findIndex((g) => g.serial === pf.serial) + 1;
      const t = performance.now();
      const hits = idx.search(pf.features, K);
      searchLat.push(performance.now() - t);
      let best = -1, bestScore = -1;
      for (const h of hits) {
        const f = h.captureId <= N ? gallery[h.captureId - 1].features : distractor(h.captureId);
        const r = await verifyPair(pf.features, f, { threshold: settings.threshold, minInliers: settings.minInliers, match: REGISTRY_MATCH_OPTIONS });
        if (r.same && r.score.value > bestScore) { bestScore = r.score.value; best = h.captureId; }
      }
      lat.push(performance.now() - t);
      if (hits.some((h) => h.captureId === trueId)) hit++;
      const wide = idx.search(pf.features, 200);
      const pos = wide.findIndex((h) => h.captureId === trueId);
      for (const k of Object.keys(recallAt)) if (pos >= 0 && pos < Number(k)) recallAt[Number(k)]++;
      if (best === trueId) correct++;
    }
    scaleRows.push([total, N, total - N, buildS.toFixed(1), K, `${((hit / sample.length) * 100).toFixed(1)}% (${hit}/${sample.length})`, `${((correct / sample.length) * 100).toFixed(1)}%`, ms(quantile(searchLat, 0.5)), ms(quantile(lat, 0.5)), ms(quantile(lat, 0.95)), Object.entries(recallAt).map(([k, v]) => `@${k} ${((v / sample.length) * 100).toFixed(0)}%`).join(' ')]);
    scaleMetrics[total] = { recallAt, shortlistRecall: hit / sample.length, identified: correct / sample.length, searchMsMedian: quantile(searchLat, 0.5), identifyMsMedian: quantile(lat, 0.5), identifyMsP95: quantile(lat, 0.95), buildSeconds: buildS };
  }

  const pctS = (a: number, b: number) => `${((a / Math.max(1, b)) * 100).toFixed(2)}% (${a}/${b})`;
  const at = (f: number) => cal.operatingPoints.find((p) => p.targetFmr === f)!;
  return {
    name: 'identity-synth',
    metrics: {
      parts: N, imageSize: SIZE, generateSeconds: genSeconds, rank1: rank1 / genuineProbes, identifiedCorrect: identifiedCorrect / genuineProbes, shortlistRecall: inShortlist / genuineProbes,
      lookalikeAccepted, lookalikes, wrongAccept, rejected, threshold: settings.threshold, eer: cal.eer, fnmrAt1e4: at(1e-4).fnmr, fmr1e4Measurable: at(1e-4).measurable,
      registerMsMedian: quantile(regMs, 0.5), identifyMsMedian: quantile(identifyMs, 0.5), verifyMsMedian: quantile(verifyMs, 0.5), pairMsMedian: quantile(pairMs, 0.5), scaling: scaleMetrics,
    },
    tables: [
      {
        title: `Synthetic parts of one machine: ${N} registered, 3 recaptures each, ${N} unregistered look-alikes (${SIZE} px images)`,
        columns: ['measure', 'value'],
        rows: [
          ['rank-1 (true part ranked first)', pctS(rank1, genuineProbes)],
          ['identified as the true part (score >= stored threshold)', pctS(identifiedCorrect, genuineProbes)],
          ['identified as a wrong registered part', pctS(wrongAccept, genuineProbes)],
          [`true part among the verified candidates (exhaustive up to ${settings.exhaustiveUpTo} captures)`, pctS(inShortlist, genuineProbes)],
          ['look-alikes accepted (false accepts)', pctS(lookalikeAccepted, lookalikes)],
          ['probes rejected by the quality gate', rejected],
          ['stored threshold (uncalibrated default)', settings.threshold],
          ['genuine / impostor scores', `${cal.genuineCount} / ${cal.impostorCount}`],
          ['EER', `${(cal.eer * 100).toFixed(3)}%`],
          ['FNMR at FMR = 1e-2 / 1e-3 / 1e-4', `${(at(1e-2).fnmr * 100).toFixed(2)}% / ${(at(1e-3).fnmr * 100).toFixed(2)}% / ${(at(1e-4).fnmr * 100).toFixed(2)}%${at(1e-4).measurable ? '' : ' (1e-4 below the resolution of the impostor set)'}`],
        ],
      },
      {
        title: 'Latency on this machine (ms, median)',
        columns: ['operation', 'median', 'p95'],
        rows: [
          ['register one capture (decode, fingerprint, transaction, index update)', ms(quantile(regMs, 0.5)), ms(quantile(regMs, 0.95))],
          ['verify SERIAL IMAGE end to end (decode + fingerprint + compare)', ms(quantile(verifyMs, 0.5)), ms(quantile(verifyMs, 0.95))],
          ['compare two stored fingerprints (match + RANSAC + score)', ms(quantile(pairMs, 0.5)), ms(quantile(pairMs, 0.95))],
          [`identify IMAGE end to end, N = ${N} (decode + fingerprint + ${N <= settings.exhaustiveUpTo ? `all ${N}` : K} verifications)`, ms(quantile(identifyMs, 0.5)), ms(quantile(identifyMs, 0.95))],
        ],
      },
      { title: '1:N scaling (probe fingerprint given; shortlist search + geometric verification of the top K)', columns: ['gallery', 'real parts', 'distractors', 'build s', 'K', 'true part in shortlist', 'identified correctly', 'search ms', 'identify ms (median)', 'identify ms (p95)', 'shortlist recall at K'], rows: scaleRows },
    ],
    notes: [
      `Data: synth parts --machines 1 --parts-per-machine ${N} --size ${SIZE} --seed 1; synth recaptures --captures 3 --lookalikes ${N} (pose up to 180 deg, light, blur, noise, JPEG, dust, occlusion). Generated in ${genSeconds.toFixed(0)} s (cached in ${dataDir}).`,
      'Impostor scores: every non-mate candidate the shortlist put forward for a recapture, and every candidate of a look-alike (the hardest impostors, not random pairs).',
      'Scaling distractors: fingerprints assembled from descriptors drawn at random from the real gallery (same machine statistics) at random positions; they have no physical part and match nothing geometrically, so they test the shortlist and the latency, not the verifier.',
      'DET and score histogram: bench/results/identity-synth-*.svg.',
    ],
  };
}
