/**
 * The line watcher: a folder a camera writes into. A file is taken once it is complete on disk
 * (its size and modification time unchanged for `settleMs`; names that start with "." or end in
 * .tmp/.part/.partial/.crdownload/.filepart are being written under the rename-in convention and
 * are skipped), registered or rejected through the journal (register.ts), then moved to done/ or
 * rejected/ with a `NAME.result.json` beside it saying what happened and why.
 */
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PartprintError } from '../core/index.js';
import { sha256Hex } from '../registry/index.js';
import { compilePattern, MesFeed, resolveItem, type ItemData } from './fields.js';
import { crashPoint } from './faults.js';
import { journalEntry, registerLineItem, type LineOutcome, type RegisterLineOptions } from './register.js';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.pgm', '.ppm', '.webp'];
const IN_PROGRESS = /^\.|\.(tmp|part|partial|crdownload|filepart)$|~$/i;

export interface LineWatchOptions extends RegisterLineOptions {
  /** The folder the camera writes into. */
  inbox: string;
  /** Where registered images go (default INBOX/done). */
  doneDir?: string;
  /** Where rejected images go (default INBOX/rejected). */
  rejectedDir?: string;
  /** File-name pattern, e.g. `{serial}_{face}.*` (default `{serial}.*`); null: no fields from the name. */
  pattern?: string | null;
  /** Sidecar NAME.json / NAME.csv: used when present ("auto", default), waited for ("required"), or ignored ("none"). */
  sidecar?: 'auto' | 'required' | 'none';
  /** MES feed (CSV with a serial column): the serials the line may register, with their data. */
  mesFeed?: string;
  /** A file is complete when unchanged for this long (default 1000 ms). */
  settleMs?: number;
  /** Folder scan interval (default 250 ms). */
  pollMs?: number;
  /** Part number, attributes and capture metadata for every part (sources override them). */
  defaults?: Partial<ItemData>;
  onItem?: (item: LineItemResult) => void;
}

export type LineItemResult = LineOutcome & { file: string; movedTo: string; recovered: boolean; ms: number };

export interface LineStats {
  registered: number;
  rejected: Record<string, number>;
  /** Files found again after a restart, already journalled, only moved on. */
  recovered: number;
  startedAt: number;
  /** Registrations per second over the last 10 s and since the start. */
  ratePerS: { recent: number; overall: number };
  /** Files waiting in the inbox at the last scan. */
  waiting: number;
}

interface Seen {
  size: number;
  mtimeMs: number;
  since: number;
}

function sidecarNames(file: string): Array<{ path: string; kind: 'json' | 'csv' }> {
  const base = file.slice(0, file.length - path.extname(file).length);
  return [{ path: `${base}.json`, kind: 'json' }, { path: `${base}.csv`, kind: 'csv' }];
}

async function statOrNull(p: string) {
  return stat(p).catch(() => null);
}

export class LineWatcher {
  readonly inbox: string;
  readonly doneDir: string;
  readonly rejectedDir: string;
  private readonly pattern: RegExp | null;
  private readonly mes: MesFeed | null;
  private readonly seen = new Map<string, Seen>();
  private readonly seenSidecars = new Map<string, Seen>();
  /** Files seen at the last scan that were not complete yet. */
  pending = 0;
  private readonly recent: number[] = [];
  private stopping = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  readonly stats: LineStats;

  constructor(private readonly o: LineWatchOptions) {
    this.inbox = path.resolve(o.inbox);
    this.doneDir = path.resolve(o.doneDir ?? path.join(o.inbox, 'done'));
    this.rejectedDir = path.resolve(o.rejectedDir ?? path.join(o.inbox, 'rejected'));
    this.pattern = o.pattern === null ? null : compilePattern(o.pattern ?? '{serial}.*');
    this.mes = o.mesFeed ? new MesFeed(o.mesFeed) : null;
    this.stats = { registered: 0, rejected: {}, recovered: 0, startedAt: Date.now(), ratePerS: { recent: 0, overall: 0 }, waiting: 0 };
  }

  /** Starts watching (returns at once); `stop()` ends the loop after the file in hand. */
  async start(): Promise<void> {
    await this.prepare();
    this.loop = this.run();
  }

  /** Checks the inbox and makes done/ and rejected/ (what `start` does before its loop; enough for `scanOnce`/`processFile`). */
  async prepare(): Promise<void> {
    const st = await statOrNull(this.inbox);
    if (!st?.isDirectory()) throw new PartprintError(`line inbox ${this.inbox} is not a folder`, { code: 'NOT_FOUND' });
    await mkdir(this.doneDir, { recursive: true });
    await mkdir(this.rejectedDir, { recursive: true });
    if (this.mes) await this.mes.refresh();
  }

  /** Resolves when the loop has stopped (after `stop()`, or with the error that ended it). */
  done(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop?.catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const n = await this.scanOnce();
      if (n === 0 && !this.stopping) await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.o.pollMs ?? 250);
        this.wake = () => { clearTimeout(t); resolve(); };
      });
    }
  }

  /** One pass over the inbox: processes every file that is complete. Returns how many it processed. */
  async scanOnce(): Promise<number> {
    if (this.mes) await this.mes.refresh();
    const names = (await readdir(this.inbox, { withFileTypes: true })).filter((d) => d.isFile() && !IN_PROGRESS.test(d.name) && IMAGE_EXTENSIONS.includes(path.extname(d.name).toLowerCase())).map((d) => d.name);
    const now = Date.now();
    const ready: Array<{ name: string; mtimeMs: number }> = [];
    const present = new Set(names);
    for (const k of this.seen.keys()) if (!present.has(k)) this.seen.delete(k);
    let pending = 0;
    for (const name of names) {
      const st = await statOrNull(path.join(this.inbox, name));
      if (!st) continue;
      const prev = this.seen.get(name);
      if (!prev || prev.size !== st.size || prev.mtimeMs !== st.mtimeMs) {
        this.seen.set(name, { size: st.size, mtimeMs: st.mtimeMs, since: now });
        pending++;
        continue;
      }
      if (st.size === 0 || now - prev.since < (this.o.settleMs ?? 1000) || !(await this.sidecarReady(path.join(this.inbox, name), now))) {
        pending++;
        continue;
      }
      ready.push({ name, mtimeMs: st.mtimeMs });
    }
    this.stats.waiting = names.length;
    this.pending = pending;
    ready.sort((a, b) => a.mtimeMs - b.mtimeMs || a.name.localeCompare(b.name));
    let n = 0;
    for (const r of ready) {
      if (this.stopping) break;
      await this.processFile(path.join(this.inbox, r.name));
      this.seen.delete(r.name);
      for (const sc of sidecarNames(path.join(this.inbox, r.name))) this.seenSidecars.delete(sc.path);
      n++;
    }
    return n;
  }

  private async sidecarReady(file: string, now: number): Promise<boolean> {
    const mode = this.o.sidecar ?? 'auto';
    if (mode === 'none') return true;
    for (const s of sidecarNames(file)) {
      const st = await statOrNull(s.path);
      if (!st) continue;
      const prev = this.seenSidecars.get(s.path);
      if (!prev || prev.size !== st.size || prev.mtimeMs !== st.mtimeMs) {
        this.seenSidecars.set(s.path, { size: st.size, mtimeMs: st.mtimeMs, since: now });
        return false;
      }
      return now - prev.since >= (this.o.settleMs ?? 1000);
    }
    return mode === 'auto';
  }

  private async readSidecar(file: string): Promise<{ text: string; kind: 'json' | 'csv'; name: string; path: string } | null> {
    if ((this.o.sidecar ?? 'auto') === 'none') return null;
    for (const s of sidecarNames(file)) {
      const text = await readFile(s.path, 'utf8').catch(() => null);
      if (text !== null) return { text, kind: s.kind, name: path.basename(s.path), path: s.path };
    }
    return null;
  }

  /**
   * Registers or rejects one complete file and moves it (and its sidecar) on. Also the entry
   * for files named on stdin or delivered over HTTP.
   */
  async processFile(file: string): Promise<LineItemResult> {
    const t0 = performance.now();
    const name = path.basename(file);
    const bytes = new Uint8Array(await readFile(file));
    const sha256 = sha256Hex(bytes);
    const sidecar = await this.readSidecar(file);
    const before = await journalEntry(this.o.registry, name, sha256);
    let outcome: LineOutcome;
    let recovered = false;
    if (before) {
      // Processed before a restart (the journal row committed, the move did not happen): only move it.
      recovered = true;
      outcome = before.status === 'registered'
        ? { status: 'registered', serial: before.serial!, captureId: before.captureId!, keypoints: 0, newPart: false }
        : { status: 'rejected', serial: before.serial, reason: before.reason as never, detail: before.detail ?? '' };
    } else {
      const resolved = resolveItem({ name, pattern: this.pattern, sidecar, mes: this.mes, defaults: this.o.defaults });
      outcome = await registerLineItem(this.o, name, bytes, resolved);
    }
    if (outcome.status === 'registered' && !recovered) crashPoint('BEFORE_MOVE');
    const dir = outcome.status === 'registered' ? this.doneDir : this.rejectedDir;
    const dest = path.join(dir, name);
    const result = { file: name, sha256, ...outcome, recovered, processedAt: new Date().toISOString() };
    const resultPath = `${dest}.result.json`;
    await writeFile(`${resultPath}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
    await rename(`${resultPath}.tmp`, resultPath);
    if (sidecar) await rename(sidecar.path, path.join(dir, path.basename(sidecar.path))).catch(() => undefined);
    await rename(file, dest);
    if (recovered) this.stats.recovered++;
    else if (outcome.status === 'registered') {
      this.stats.registered++;
      this.recent.push(Date.now());
    } else this.stats.rejected[outcome.reason] = (this.stats.rejected[outcome.reason] ?? 0) + 1;
    this.updateRates();
    const item: LineItemResult = { ...outcome, file: name, movedTo: dest, recovered, ms: performance.now() - t0 };
    this.o.onItem?.(item);
    return item;
  }

  private updateRates(): void {
    const now = Date.now();
    while (this.recent.length > 0 && now - this.recent[0] > 10_000) this.recent.shift();
    const window = Math.min(10, (now - this.stats.startedAt) / 1000);
    this.stats.ratePerS = { recent: window > 0 ? this.recent.length / window : 0, overall: this.stats.registered / Math.max(1e-3, (now - this.stats.startedAt) / 1000) };
  }

  /** Current counters (rates refreshed). */
  snapshot(): LineStats {
    this.updateRates();
    return { ...this.stats, rejected: { ...this.stats.rejected }, ratePerS: { ...this.stats.ratePerS } };
  }
}
