/**
 * Synthetic parts of one machine through the registry: register N parts (one capture each),
 * identify 3 recaptures of each and N unregistered look-alikes; rank-1, false accepts, FNMR at
 * FMR = 1e-4; registration, 1:1 and 1:N latency. Then 1:N at 1k / 10k / 100k gallery captures: the
 * N real parts plus distractors that are real synthetic parts of four machines (bench/identity-
 * distractors.ts, cached under /tmp), for build time, memory, shortlist recall and latency, with the
 * previous usearch shortlist beside the LSH one; and a check that the 256 px distractors look like
 * 512 px captures reduced to 256 px.
 *
 * Env: IDENTITY_SYNTH_PARTS (default 1000), IDENTITY_SYNTH_SIZE (image side, default 512),
 * IDENTITY_SYNTH_SCALES (default "1000,10000,100000"), IDENTITY_SYNTH_RECALL_PROBES (genuine probes
 * for recall per scale, default 300), IDENTITY_SYNTH_SERVICE_SHORTLIST=0 (identify exhaustively up to
 * the default exhaustiveUpTo instead of through the shortlist), IDENTITY_SYNTH_USEARCH_UPTO (largest gallery for the usearch
 * rows, default 10000), IDENTITY_SYNTH_GENUINE_LIMIT (recaptures identified through the service,
 * default all), IDENTITY_SYNTH_SKIP_SERVICE=1 (scaling only), IDENTITY_SYNTH_SKIP_CHECK=1 (no
 * distractor check).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { calibrateScores, IdentityService, saveIdentitySettings, REGISTRY_MATCH_OPTIONS, renderDetSvg, renderHistogramSvg, ShortlistIndex, verifyPair, type FeatureSet, type ShortlistOptions } from '../src/identity/index.js';
import { UsearchShortlist } from './usearch-shortlist.js';
import { openRegistry } from '../src/registry/index.js';
import { generateParts, generateRecaptures, parseCsv } from '../src/synth/index.js';
import { checkDistractors } from './identity-distractor-check.js';
import { defaultDistractorDir, generateDistractors, loadDistractors } from './identity-distractors.js';
import type { BenchResult, BenchTable } from './run.js';
import { ms, percentOf, quantile, spread } from './stats.js';

const N = Number(process.env.IDENTITY_SYNTH_PARTS ?? 1000);
const SIZE = Number(process.env.IDENTITY_SYNTH_SIZE ?? 512);
const SCALES = (process.env.IDENTITY_SYNTH_SCALES ?? '1000,10000,100000').split(',').filter((x) => x.trim() !== '').map(Number);
const RECALL_PROBES = Number(process.env.IDENTITY_SYNTH_RECALL_PROBES ?? 300);
const USEARCH_UPTO = Number(process.env.IDENTITY_SYNTH_USEARCH_UPTO ?? 10000);
const SKIP_SERVICE = process.env.IDENTITY_SYNTH_SKIP_SERVICE === '1';
const KS = [1, 10, 50, 100, 200];
const LATENCY_PROBES = 30;
/** At most this many genuine recaptures identified through the service (evenly spaced; all look-alikes always). */
const GENUINE_LIMIT = Number(process.env.IDENTITY_SYNTH_GENUINE_LIMIT ?? Infinity);
/** Identify through the service with the shortlist (K = shortlistSize) instead of the exhaustive comparison the default settings use up to exhaustiveUpTo. */
const SERVICE_SHORTLIST = process.env.IDENTITY_SYNTH_SERVICE_SHORTLIST !== '0';
/** LSH options to try instead of the defaults in the scaling table, as JSON (e.g. '{"multiProbe":false,"tables":24}'). */
const LSH_OVERRIDE = JSON.parse(process.env.IDENTITY_SYNTH_LSH ?? '{}') as Partial<ShortlistOptions>;

const log = (m: string) => process.stderr.write(`[identity-synth ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

interface Probe {
  serial: string;
  file: string;
  pixelSizeUm: number | null;
}

export async function run(): Promise<BenchResult> {
  const dataDir = path.join(os.tmpdir(), `partprint-bench-synth-${N}-${SIZE}`);
  const partsDir = path.join(dataDir, 'parts');
  const recapDir = path.join(dataDir, 'recaptures');
  const t0 = performance.now();
  if (!existsSync(path.join(partsDir, 'manifest.csv'))) await generateParts({ out: partsDir, machines: 1, partsPerMachine: N, size: SIZE, seed: 1 });
  if (!existsSync(path.join(recapDir, 'manifest.csv'))) await generateRecaptures({ from: partsDir, out: recapDir, captures: 3, lookalikes: N, lookalikeCaptures: 1 });
  const genSeconds = (performance.now() - t0) / 1000;
  const parts = parseCsv(await readFile(path.join(partsDir, 'manifest.csv'), 'utf8'));
  const probes = parseCsv(await readFile(path.join(recapDir, 'manifest.csv'), 'utf8'));
  log(`data ready (${parts.length} parts, ${probes.length} probes)`);

  const regDir = await mkdtemp(path.join(os.tmpdir(), 'partprint-bench-reg-'));
  const reg = await openRegistry({ dataDir: regDir });
  const svc = new IdentityService(reg);
  if (SERVICE_SHORTLIST) await saveIdentitySettings(svc.dir, { ...(await svc.settings()), exhaustiveUpTo: 0 });
  const settings = await svc.settings();
  const tables: BenchTable[] = [];
  const metrics: Record<string, unknown> = { parts: N, imageSize: SIZE, generateSeconds: genSeconds, threshold: settings.threshold, exhaustiveUpTo: settings.exhaustiveUpTo, shortlistSize: settings.shortlistSize };
  const notes: string[] = [];

  // Registration through the service (fingerprint, transaction, shortlist update and save).
  const regMs: number[] = [];
  for (const p of SKIP_SERVICE ? [] : parts) {
    const t = performance.now();
    const r = await svc.register(p.serial, path.join(partsDir, p.image), { pixelSizeUm: Number(p.pixel_size_um) || null }, { createPart: true });
    regMs.push(performance.now() - t);
    if (r.status !== 'registered') throw new Error(`${p.serial} rejected: ${r.quality.message}`);
  }
  log('registered');
  const gallery: Array<{ serial: string; features: FeatureSet }> = [];
  for (const p of parts) gallery.push({ serial: p.serial, features: (await svc.fingerprint(path.join(partsDir, p.image), { pixelSizeUm: Number(p.pixel_size_um) || null })).features! });
  const gallerySlot = new Map(gallery.map((g, i) => [g.serial, i]));
  const genuineProbes: Probe[] = probes.filter((p) => p.registered === 'true').map((p) => ({ serial: p.serial, file: path.join(recapDir, p.file), pixelSizeUm: Number(p.pixel_size_um) || null }));

  if (!SKIP_SERVICE) {
    // 1:N through the service: every recapture and look-alike.
    let rank1 = 0, identifiedCorrect = 0, genuine = 0, inCandidates = 0, lookalikeAccepted = 0, lookalikes = 0, rejected = 0, wrongAccept = 0;
    const identifyMs: number[] = [];
    const genuineScores: number[] = [], impostorScores: number[] = [];
    const genuineAll = probes.filter((p) => p.registered === 'true');
    const step = Math.max(1, Math.ceil(genuineAll.length / GENUINE_LIMIT));
    const keep = new Set(spread(genuineAll, Math.ceil(genuineAll.length / step)));
    const serviceProbes = probes.filter((p) => p.registered !== 'true' || keep.has(p));
    for (const [n, p] of serviceProbes.entries()) {
      if (n % 250 === 0) log(`identify ${n}/${serviceProbes.length}`);
      const file = path.join(recapDir, p.file);
      const t = performance.now();
      const r = await svc.identify(file, { pixelSizeUm: Number(p.pixel_size_um) || null });
      identifyMs.push(performance.now() - t);
      if (r.status === 'rejected') {
        rejected++;
        continue;
      }
      const registered = p.registered === 'true';
      for (const c of r.candidates) (registered && c.serial === p.serial ? genuineScores : impostorScores).push(c.score);
      if (registered) {
        genuine++;
        if (r.candidates.some((c) => c.serial === p.serial)) inCandidates++;
        else {
          // Not shortlisted: its genuine score still counts for FNMR.
          const g = gallery[gallerySlot.get(p.serial)!];
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
    const at = (f: number) => cal.operatingPoints.find((p) => p.targetFmr === f)!;

    // 1:1 verify latency end to end, and the comparison alone.
    const verifyMs: number[] = [], pairMs: number[] = [];
    for (const p of genuineProbes.slice(0, 30)) {
      const t = performance.now();
      await svc.verify(p.serial, p.file);
      verifyMs.push(performance.now() - t);
    }
    for (const p of genuineProbes.slice(0, 100)) {
      const f = (await svc.fingerprint(p.file)).features!;
      const t = performance.now();
      await verifyPair(f, gallery[gallerySlot.get(p.serial)!].features, { match: REGISTRY_MATCH_OPTIONS });
      pairMs.push(performance.now() - t);
    }
    Object.assign(metrics, {
      rank1: rank1 / genuine, identifiedCorrect: identifiedCorrect / genuine, inCandidates: inCandidates / genuine, lookalikeAccepted, lookalikes, wrongAccept, rejected,
      eer: cal.eer, fnmrAt1e4: at(1e-4).fnmr, fmr1e4Measurable: at(1e-4).measurable,
      registerMsMedian: quantile(regMs, 0.5), identifyMsMedian: quantile(identifyMs, 0.5), identifyMsP95: quantile(identifyMs, 0.95), verifyMsMedian: quantile(verifyMs, 0.5), pairMsMedian: quantile(pairMs, 0.5),
    });
    const path1n = N <= settings.exhaustiveUpTo ? `all ${N} captures compared` : `shortlist of ${settings.shortlistSize} verified`;
    tables.push(
      {
        title: `Synthetic parts of one machine: ${N} registered, ${genuine} of their ${genuineAll.length} recaptures (spread over parts and capture indices) and ${lookalikes} unregistered look-alikes (${SIZE} px images), identify through the service (${path1n})`,
        columns: ['measure', 'value'],
        rows: [
          ['rank-1 (true part ranked first)', percentOf(rank1, genuine)],
          ['identified as the true part (score >= stored threshold)', percentOf(identifiedCorrect, genuine)],
          ['identified as a wrong registered part', percentOf(wrongAccept, genuine)],
          [`true part among the verified candidates`, percentOf(inCandidates, genuine)],
          ['look-alikes accepted (false accepts)', percentOf(lookalikeAccepted, lookalikes)],
          ['probes rejected by the quality gate', rejected],
          ['stored threshold (uncalibrated default)', settings.threshold],
          ['genuine / impostor scores', `${cal.genuineCount} / ${cal.impostorCount}`],
          ['EER', `${(cal.eer * 100).toFixed(3)}%`],
          ['FNMR at FMR = 1e-2 / 1e-3 / 1e-4', `${(at(1e-2).fnmr * 100).toFixed(2)}% / ${(at(1e-3).fnmr * 100).toFixed(2)}% / ${(at(1e-4).fnmr * 100).toFixed(2)}%${at(1e-4).measurable ? '' : ' (1e-4 below the resolution of the impostor set)'}`],
        ],
      },
      {
        title: 'Latency through the service on this machine (ms)',
        columns: ['operation', 'median', 'p95'],
        rows: [
          ['register one capture (decode, fingerprint, transaction, shortlist update and save)', ms(quantile(regMs, 0.5)), ms(quantile(regMs, 0.95))],
          ['verify SERIAL IMAGE end to end (decode + fingerprint + compare)', ms(quantile(verifyMs, 0.5)), ms(quantile(verifyMs, 0.95))],
          ['compare two stored fingerprints (match + RANSAC + score)', ms(quantile(pairMs, 0.5)), ms(quantile(pairMs, 0.95))],
          [`identify IMAGE end to end, N = ${N} (decode + fingerprint + ${path1n})`, ms(quantile(identifyMs, 0.5)), ms(quantile(identifyMs, 0.95))],
        ],
      },
    );
    notes.push(
      `Data: synth parts --machines 1 --parts-per-machine ${N} --size ${SIZE} --seed 1; synth recaptures --captures 3 --lookalikes ${N} (pose up to 180 deg, light, blur, noise, JPEG, dust, occlusion). Generated in ${genSeconds.toFixed(0)} s (cached in ${dataDir}).`,
      'Impostor scores: every non-mate candidate verified for a recapture, and every candidate of a look-alike (the hardest impostors, not random pairs).',
      'DET and score histogram: bench/results/identity-synth-*.svg.',
    );
  }
  await reg.close();
  await rm(regDir, { recursive: true, force: true });

  if (SCALES.length === 0) return { name: 'identity-synth', metrics, tables, notes: [...notes, 'Scaling: see bench/results/identity-scaling.md.'] };
  // ---- Scaling: the N real parts plus real synthetic distractor parts. ----
  const maxScale = Math.max(...SCALES);
  const need = Math.max(0, maxScale - N);
  if (need > 0) await generateDistractors(need, defaultDistractorDir(), 2, (m) => log(`distractors: ${m}`));
  const distractors = need > 0 ? await loadDistractors(need) : [];
  const rejectedDistractors = distractors.filter((d) => d === null).length;
  log(`${distractors.length} distractors loaded (${rejectedDistractors} failed the quality gate)`);
  const recallSet = spread(genuineProbes, RECALL_PROBES);
  const probeSet: Array<{ slot: number; std: FeatureSet; dense: FeatureSet }> = [];
  for (const p of recallSet) {
    const std = (await svc.fingerprint(p.file, { pixelSizeUm: p.pixelSizeUm })).features!;
    const dense = (await svc.shortlistProbe(p.file, { pixelSizeUm: p.pixelSizeUm }))!;
    probeSet.push({ slot: gallerySlot.get(p.serial)!, std, dense });
  }
  log(`${probeSet.length} recall probes fingerprinted`);
  const K = settings.shortlistSize;
  const scaleRows: Array<Array<string | number>> = [];
  const scaleMetrics: Record<string, unknown> = {};
  const features = (slot: number): FeatureSet | null => (slot < N ? gallery[slot].features : distractors[slot - N]);
  const recallCells = (pos: number[]) => KS.map((k) => `${((pos.filter((p) => p >= 0 && p < k).length / pos.length) * 100).toFixed(2)}%`);
  for (const total of SCALES) {
    if (total < N) continue;
    const entries: Array<{ captureId: number; features: FeatureSet }> = [];
    for (let s = 0; s < total; s++) {
      const f = features(s);
      if (f) entries.push({ captureId: s + 1, features: f });
    }
    for (const method of ['lsh', 'usearch'] as const) {
      if (method === 'usearch' && total > USEARCH_UPTO) continue;
      global.gc?.();
      const rss0 = process.memoryUsage().rss;
      const tb = performance.now();
      const idx = method === 'lsh' ? ShortlistIndex.build(entries, 'bench', LSH_OVERRIDE) : UsearchShortlist.build(entries, 'bench');
      const buildS = (performance.now() - tb) / 1000;
      const rssMiB = (process.memoryUsage().rss - rss0) / 2 ** 20;
      const indexMiB = method === 'lsh' ? (idx as ShortlistIndex).bytes / 2 ** 20 : NaN;
      log(`${method} ${total}: built in ${buildS.toFixed(1)} s`);
      const pos: number[] = [];
      const searchMs: number[] = [];
      for (const p of probeSet) {
        const t = performance.now();
        const hits = idx.search(method === 'lsh' ? p.dense : p.std, Math.max(...KS));
        searchMs.push(performance.now() - t);
        pos.push(hits.findIndex((h) => h.captureId === p.slot + 1));
      }
      // Latency: search + geometric verification of the top K.
      const lat: number[] = [];
      let correct = 0;
      for (const p of probeSet.slice(0, LATENCY_PROBES)) {
        const t = performance.now();
        const hits = idx.search(method === 'lsh' ? p.dense : p.std, K);
        let best = -1, bestScore = -1;
        for (const h of hits) {
          const r = await verifyPair(p.std, features(h.captureId - 1)!, { threshold: settings.threshold, minInliers: settings.minInliers, match: REGISTRY_MATCH_OPTIONS });
          if (r.same && r.score.value > bestScore) {
            bestScore = r.score.value;
            best = h.captureId;
          }
        }
        lat.push(performance.now() - t);
        if (best === p.slot + 1) correct++;
      }
      const missed = pos.filter((p) => p < 0 || p >= K).length;
      scaleRows.push([method === 'lsh' ? 'LSH + pose vote' : 'usearch (previous)', total, entries.length - Math.min(N, total), buildS.toFixed(1), Number.isNaN(indexMiB) ? '' : indexMiB.toFixed(0), rssMiB.toFixed(0), ...recallCells(pos), `${missed}/${pos.length}`, ms(quantile(searchMs, 0.5)), ms(quantile(searchMs, 0.95)), ms(quantile(lat, 0.5)), ms(quantile(lat, 0.95)), `${((correct / Math.max(1, lat.length)) * 100).toFixed(0)}%`]);
      scaleMetrics[`${method}-${total}`] = { buildSeconds: buildS, indexMiB, rssDeltaMiB: rssMiB, recallAt: Object.fromEntries(KS.map((k, i) => [k, recallCells(pos)[i]])), missedAtK: missed, probes: pos.length, searchMsMedian: quantile(searchMs, 0.5), searchMsP95: quantile(searchMs, 0.95), identifyMsMedian: quantile(lat, 0.5), identifyMsP95: quantile(lat, 0.95), identifiedCorrectly: correct / Math.max(1, lat.length) };
      log(`${method} ${total}: recall@${K} ${(((pos.length - missed) / pos.length) * 100).toFixed(2)}%, search ${ms(quantile(searchMs, 0.5))} ms`);
    }
  }
  const growth: string[] = [];
  const lshScales = SCALES.filter((s) => scaleMetrics[`lsh-${s}`]);
  for (let i = 1; i < lshScales.length; i++) {
    const a = scaleMetrics[`lsh-${lshScales[i - 1]}`] as { searchMsMedian: number; identifyMsMedian: number };
    const b = scaleMetrics[`lsh-${lshScales[i]}`] as { searchMsMedian: number; identifyMsMedian: number };
    const e = Math.log(b.searchMsMedian / a.searchMsMedian) / Math.log(lshScales[i] / lshScales[i - 1]);
    growth.push(`${lshScales[i - 1]} -> ${lshScales[i]}: search x${(b.searchMsMedian / a.searchMsMedian).toFixed(2)} (time ~ N^${e.toFixed(2)}), identify x${(b.identifyMsMedian / a.identifyMsMedian).toFixed(2)}`);
  }
  metrics.scaling = scaleMetrics;
  metrics.growth = growth;
  tables.push({
    title: `1:N scaling: ${N} real parts + real synthetic distractor parts; ${probeSet.length} recaptures of real parts as probes (probe fingerprint given; identify = shortlist search + geometric verification of the top K = ${K})`,
    columns: ['shortlist', 'gallery', 'distractors', 'build s', 'index MiB', 'RSS growth MiB', ...KS.map((k) => `recall@${k}`), `missed at K = ${K}`, 'search ms', 'search p95', 'identify ms', 'identify p95', 'identified'],
    rows: scaleRows,
  });
  notes.push(
    `Distractors (bench/identity-distractors.ts): capture 0 of real synthetic parts of config {seed 1, machines 4, parts per machine 41000}: 40% from M01 (DLS), the machine of the registered parts (indices after the registered ones), 20% each from M02 (MJF), M03 (SLA), M04 (FDM); rendered directly at 256 px with 10.6 um pixels (the registry reduces 512 px / 5.3 um captures to 256 px); ${rejectedDistractors} of ${distractors.length} failed the quality gate and are left out. Cached under ${defaultDistractorDir()}.`,
    'Recall: share of the genuine probes whose true capture is among the first K the shortlist returns. The LSH search uses the probe extraction of SHORTLIST_PROBE_EXTRACT (denser than the registry fingerprint); usearch the registry fingerprint, as before. RSS growth: resident memory after the build minus before (the gallery fingerprints were already in memory).',
    `Growth of the LSH search time: ${growth.join('; ') || 'n/a'}.`,
  );

  // ---- Are 256 px distractors like 512 px captures reduced to 256 px? ----
  if (process.env.IDENTITY_SYNTH_SKIP_CHECK === '1') return { name: process.env.IDENTITY_SYNTH_RESULT_NAME ?? 'identity-synth', metrics, tables, notes };
  const check = await checkDistractors(gallery.map((g) => g.features), probeSet.slice(0, 200).map((p) => p.dense), probeSet.slice(0, 20).map((p) => p.std), 100);
  tables.push(check.table);
  metrics.distractorCheck = check.metrics;
  notes.push(...check.notes);
  return { name: process.env.IDENTITY_SYNTH_RESULT_NAME ?? 'identity-synth', metrics, tables, notes };
}
