/**
 * 1:N through the registry and IdentityService at growing numbers of registered parts, end to end
 * (decode, fingerprint, shortlist, verification, decision), for the "identify at N = 100k" goal.
 *
 * For each gallery size G: a fresh registry gets G - N distractor parts, each a part with one
 * capture and its fingerprint, inserted in batches of 1000 (the fingerprints are the real synthetic
 * distractors of bench/identity-distractors.ts; their capture images are one shared placeholder,
 * since identify never reads a gallery image), then the shortlist is rebuilt from the database,
 * then the N real parts are registered through the service (register latency at that size), then
 * genuine recaptures and unregistered look-alikes are identified through the service. Last, a cold
 * start: the registry is reopened and the index loaded from disk.
 *
 * Env: IDENTITY_SERVICE_SCALES (default "1000,10000,100000"), IDENTITY_SERVICE_PROBES (genuine
 * probes per scale, as many look-alikes; one number or one per scale, default "300,300,1000"),
 * IDENTITY_SYNTH_PARTS / IDENTITY_SYNTH_SIZE (the registered parts, as identity-synth).
 */
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decodeFeatureSet, FINGERPRINT_KIND, IdentityService } from '../src/identity/index.js';
import { encodeGreyPng } from '../src/imaging/index.js';
import { inspectImage, openRegistry } from '../src/registry/index.js';
import { generateParts, generateRecaptures, parseCsv } from '../src/synth/index.js';
import { CHUNK, defaultDistractorDir, generateDistractors, loadEncodedChunk } from './identity-distractors.js';
import type { BenchResult, BenchTable } from './run.js';
import { ms, percentOf, quantile, spread } from './stats.js';

const N = Number(process.env.IDENTITY_SYNTH_PARTS ?? 1000);
const SIZE = Number(process.env.IDENTITY_SYNTH_SIZE ?? 512);
const SCALES = (process.env.IDENTITY_SERVICE_SCALES ?? '1000,10000,100000').split(',').filter((x) => x.trim() !== '').map(Number);
const PROBES = (process.env.IDENTITY_SERVICE_PROBES ?? '300,300,1000').split(',').map(Number);
const BREAKDOWN_PROBES = 30;

const log = (m: string) => process.stderr.write(`[identity-service-scale ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

function dirBytes(dir: string, names: string[]): number {
  return names.map((n) => path.join(dir, n)).filter((f) => existsSync(f)).reduce((a, f) => a + statSync(f).size, 0);
}

interface Probe {
  serial: string;
  file: string;
  pixelSizeUm: number | null;
  registered: boolean;
}

export async function run(): Promise<BenchResult> {
  const dataDir = path.join(os.tmpdir(), `partprint-bench-synth-${N}-${SIZE}`);
  const partsDir = path.join(dataDir, 'parts');
  const recapDir = path.join(dataDir, 'recaptures');
  if (!existsSync(path.join(partsDir, 'manifest.csv'))) await generateParts({ out: partsDir, machines: 1, partsPerMachine: N, size: SIZE, seed: 1 });
  if (!existsSync(path.join(recapDir, 'manifest.csv'))) await generateRecaptures({ from: partsDir, out: recapDir, captures: 3, lookalikes: N, lookalikeCaptures: 1 });
  const parts = parseCsv(await readFile(path.join(partsDir, 'manifest.csv'), 'utf8'));
  const all: Probe[] = parseCsv(await readFile(path.join(recapDir, 'manifest.csv'), 'utf8')).map((p) => ({ serial: p.serial, file: path.join(recapDir, p.file), pixelSizeUm: Number(p.pixel_size_um) || null, registered: p.registered === 'true' }));
  const genuineAll = all.filter((p) => p.registered);
  const lookalikeAll = all.filter((p) => !p.registered);
  const maxScale = Math.max(...SCALES);
  if (maxScale > N) await generateDistractors(maxScale - N, defaultDistractorDir(), 2, (m) => log(`distractors: ${m}`));
  // Every distractor capture points at this one image: identify reads only fingerprints.
  const placeholder = await inspectImage(await encodeGreyPng({ width: 256, height: 256, data: new Uint8Array(256 * 256).fill(128), bitDepth: 8 }), { name: 'placeholder.png' });

  const rows: Array<Array<string | number>> = [];
  const breakdownRows: Array<Array<string | number>> = [];
  const metrics: Record<string, unknown> = { parts: N, imageSize: SIZE };
  for (const [si, scale] of SCALES.entries()) {
    if (scale < N) continue;
    const nProbes = PROBES[Math.min(si, PROBES.length - 1)];
    const regDir = await mkdtemp(path.join(os.tmpdir(), 'partprint-bench-scale-'));
    try {
      const reg = await openRegistry({ dataDir: regDir });
      const svc = new IdentityService(reg);
      const settings = await svc.settings();
      // Distractors straight into the database, 1000 per transaction.
      const td = performance.now();
      let inserted = 0;
      for (let c = 0; c * CHUNK < scale - N; c++) {
        const chunk = await loadEncodedChunk(c);
        await reg.transaction(async (_trx, scope) => {
          for (const [j, data] of chunk.entries()) {
            const i = c * CHUNK + j;
            if (i >= scale - N || !data) continue;
            const serial = `D${String(i).padStart(6, '0')}`;
            await scope.parts.create({ serial });
            const cap = await scope.captures.addInspected(serial, placeholder, { pixelSizeUm: 10.6 });
            await scope.features.put({ captureId: cap.id, kind: FINGERPRINT_KIND, version: svc.version, data, meta: { keypoints: decodeFeatureSet(data).sizes.length } });
            inserted++;
          }
        });
        if (c % 10 === 9) log(`${scale}: ${inserted} distractors inserted`);
      }
      const insertS = (performance.now() - td) / 1000;
      global.gc?.();
      const rss0 = process.memoryUsage().rss;
      const tb = performance.now();
      await svc.rebuildShortlist();
      const buildS = (performance.now() - tb) / 1000;
      log(`${scale}: ${inserted} distractors in ${insertS.toFixed(0)} s, index built in ${buildS.toFixed(1)} s`);

      // The real parts, registered through the service on top of the distractors.
      const regMs: number[] = [];
      for (const p of parts) {
        const t = performance.now();
        const r = await svc.register(p.serial, path.join(partsDir, p.image), { pixelSizeUm: Number(p.pixel_size_um) || null }, { createPart: true });
        regMs.push(performance.now() - t);
        if (r.status !== 'registered') throw new Error(`${p.serial} rejected: ${r.quality.message}`);
      }
      const index = (await svc.shortlistIndex())!;
      const rssMiB = (process.memoryUsage().rss - rss0) / 2 ** 20;
      log(`${scale}: ${parts.length} parts registered (median ${ms(quantile(regMs, 0.5))} ms), gallery ${index.size}`);

      // Identify through the service.
      const probes = [...spread(genuineAll, nProbes), ...lookalikeAll.slice(0, nProbes)];
      const idMs: number[] = [];
      let genuine = 0, rank1 = 0, identified = 0, wrong = 0, shortlisted = 0, lookalikes = 0, accepted = 0, rejected = 0;
      for (const [n, p] of probes.entries()) {
        if (n % 250 === 0) log(`${scale}: identify ${n}/${probes.length}`);
        const t = performance.now();
        const r = await svc.identify(p.file, { pixelSizeUm: p.pixelSizeUm });
        idMs.push(performance.now() - t);
        if (r.status === 'rejected') {
          rejected++;
          continue;
        }
        if (p.registered) {
          genuine++;
          if (r.candidates.some((c) => c.serial === p.serial)) shortlisted++;
          if (r.candidates[0]?.serial === p.serial) rank1++;
          if (r.status === 'identified' && r.candidates[0].serial === p.serial) identified++;
          else if (r.status === 'identified') wrong++;
        } else {
          lookalikes++;
          if (r.status === 'identified') accepted++;
        }
      }
      // Where the time goes, on a few genuine probes.
      const fpMs: number[] = [], denseMs: number[] = [], searchMs: number[] = [], restMs: number[] = [], freshMs: number[] = [], verifyMs: number[] = [];
      for (const p of spread(genuineAll, BREAKDOWN_PROBES)) {
        const meta = { pixelSizeUm: p.pixelSizeUm };
        let t = performance.now();
        await svc.fingerprint(p.file, meta);
        const fp = performance.now() - t;
        t = performance.now();
        const dense = (await svc.shortlistProbe(p.file, meta))!;
        const dn = performance.now() - t;
        t = performance.now();
        await svc.shortlistIndex();
        const fr = performance.now() - t;
        t = performance.now();
        index.search(dense, settings.shortlistSize);
        const se = performance.now() - t;
        t = performance.now();
        await svc.identify(p.file, meta);
        const id = performance.now() - t;
        t = performance.now();
        await svc.verify(p.serial, p.file, meta);
        verifyMs.push(performance.now() - t);
        fpMs.push(fp);
        denseMs.push(dn);
        freshMs.push(fr);
        searchMs.push(se);
        restMs.push(Math.max(0, id - fp - dn - fr - se));
      }
      const shortlistBytes = dirBytes(svc.dir, ['shortlist.bin', 'shortlist-delta.bin', 'shortlist.json']);
      const dbBytes = dirBytes(regDir, ['registry.sqlite', 'registry.sqlite-wal']);
      await reg.close();

      // Cold start: reopen, load the index from disk, identify once.
      const tc = performance.now();
      const reg2 = await openRegistry({ dataDir: regDir });
      const svc2 = new IdentityService(reg2);
      await svc2.shortlistIndex();
      const loadS = (performance.now() - tc) / 1000;
      const tf = performance.now();
      await svc2.identify(genuineAll[0].file, { pixelSizeUm: genuineAll[0].pixelSizeUm });
      const firstMs = performance.now() - tf;
      await reg2.close();

      const m = {
        gallery: index.size, distractors: inserted, insertSeconds: insertS, buildSeconds: buildS, indexMiB: index.bytes / 2 ** 20, rssGrowthMiB: rssMiB, shortlistFilesMiB: shortlistBytes / 2 ** 20, databaseMiB: dbBytes / 2 ** 20,
        registerMsMedian: quantile(regMs, 0.5), registerMsP95: quantile(regMs, 0.95), registerMsMax: Math.max(...regMs),
        genuine, rank1, identified, wrong, shortlisted, lookalikes, accepted, rejected,
        identifyMsMedian: quantile(idMs, 0.5), identifyMsP95: quantile(idMs, 0.95), identifyMsMax: Math.max(...idMs),
        coldLoadSeconds: loadS, coldFirstIdentifyMs: firstMs,
        breakdownMs: { fingerprint: quantile(fpMs, 0.5), denseProbe: quantile(denseMs, 0.5), freshnessCheck: quantile(freshMs, 0.5), search: quantile(searchMs, 0.5), fetchAndVerifyCandidates: quantile(restMs, 0.5), verifyEndToEnd: quantile(verifyMs, 0.5) },
      };
      metrics[`n${scale}`] = m;
      rows.push([index.size, inserted, insertS.toFixed(0), buildS.toFixed(1), (index.bytes / 2 ** 20).toFixed(0), rssMiB.toFixed(0), (shortlistBytes / 2 ** 20).toFixed(0), (dbBytes / 2 ** 20).toFixed(0), ms(quantile(regMs, 0.5)), ms(quantile(regMs, 0.95)), ms(Math.max(...regMs)), percentOf(shortlisted, genuine), percentOf(rank1, genuine), percentOf(identified, genuine), percentOf(wrong, genuine), percentOf(accepted, lookalikes), ms(quantile(idMs, 0.5)), ms(quantile(idMs, 0.95)), ms(Math.max(...idMs)), loadS.toFixed(1), ms(firstMs)]);
      breakdownRows.push([index.size, ms(quantile(fpMs, 0.5)), ms(quantile(denseMs, 0.5)), ms(quantile(freshMs, 0.5)), ms(quantile(searchMs, 0.5)), ms(quantile(restMs, 0.5)), ms(quantile(verifyMs, 0.5))]);
      log(`${scale}: identify median ${ms(quantile(idMs, 0.5))} ms, shortlisted ${shortlisted}/${genuine}, look-alikes accepted ${accepted}/${lookalikes}`);
    } finally {
      await rm(regDir, { recursive: true, force: true });
    }
  }
  const growth: string[] = [];
  const done = SCALES.filter((s) => metrics[`n${s}`]);
  for (let i = 1; i < done.length; i++) {
    const a = metrics[`n${done[i - 1]}`] as { identifyMsMedian: number; gallery: number };
    const b = metrics[`n${done[i]}`] as { identifyMsMedian: number; gallery: number };
    const e = Math.log(b.identifyMsMedian / a.identifyMsMedian) / Math.log(b.gallery / a.gallery);
    growth.push(`${a.gallery} -> ${b.gallery}: identify x${(b.identifyMsMedian / a.identifyMsMedian).toFixed(2)} (time ~ N^${e.toFixed(2)})`);
  }
  metrics.growth = growth;
  const tables: BenchTable[] = [
    {
      title: `Identify through the registry and IdentityService: ${N} registered parts plus distractor parts, genuine recaptures and as many unregistered look-alikes per size (${SIZE} px probes; shortlist of 100 verified)`,
      columns: ['registered parts', 'distractors', 'insert s', 'index build s', 'index MiB', 'RSS growth MiB', 'index files MiB', 'database MiB', 'register ms', 'register p95', 'register max', 'true part among candidates', 'rank-1', 'identified correctly', 'identified as a wrong part', 'look-alikes accepted', 'identify ms', 'identify p95', 'identify max', 'cold index load s', 'first identify after load ms'],
      rows,
    },
    {
      title: `Where identify's time goes (medians over ${BREAKDOWN_PROBES} genuine probes, ms)`,
      columns: ['registered parts', 'decode + fingerprint', 'dense probe extraction (shortlist)', 'index freshness check (database)', 'shortlist search', 'fetch + verify 100 candidates (identify minus the rest)', 'verify SERIAL IMAGE end to end'],
      rows: breakdownRows,
    },
  ];
  const notes = [
    'Distractors: real synthetic part surfaces of four machines, 40% from the registered parts\' own machine (bench/identity-distractors.ts), fingerprinted at registry resolution and inserted as parts with one capture each and that fingerprint. Their capture rows all point at one placeholder image: identify reads only fingerprints (the image of a capture is read for evidence pictures and re-extraction).',
    'Registered parts: registered through IdentityService.register after the distractors, so "register" is measured at the full gallery size; it includes decode, fingerprint, the transaction, the shortlist update and its append to disk (and, every 512 additions, the merge that rewrites the main segment).',
    'Identify: IdentityService.identify on the probe file: decode, fingerprint, dense probe extraction, index freshness check, shortlist search, fetching and verifying the 100 candidates, decision against the stored (uncalibrated default) threshold.',
    'Cold index load: a reopened registry loading shortlist.bin and replaying shortlist-delta.bin (a server does this once; each `partprint identify` CLI call does it again).',
    `Growth of identify latency: ${growth.join('; ') || 'n/a'}.`,
  ];
  return { name: 'identity-service-scale', metrics, tables, notes };
}
