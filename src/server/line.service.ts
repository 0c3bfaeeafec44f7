/**
 * Line registration in the server: watchers of camera folders (the line capability's LineWatcher,
 * sharing the server's shortlist index and its lock), and images delivered over HTTP, written into
 * a watcher's folder with a sidecar under the rename-in convention so they take the same path
 * (journal, quality gate, done/ rejected/) as the camera's.
 */
import { randomBytes } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PartprintError } from '../core/index.js';
import { IMAGE_EXTENSIONS, journalCounts, LineWatcher, type LineItemResult, type LineStats, type LineWatchOptions } from '../line/index.js';
import type { Registry } from '../registry/index.js';
import type { AuditRepository } from './audit.repository.js';
import type { IdentityRepository } from './identity.repository.js';

export type WatcherSettings = Pick<LineWatchOptions, 'inbox' | 'doneDir' | 'rejectedDir' | 'pattern' | 'sidecar' | 'mesFeed' | 'settleMs' | 'pollMs'> & { partNumber?: string | null };

export interface WatcherStatus {
  id: number;
  inbox: string;
  pattern: string | null;
  running: boolean;
  error: string | null;
  stats: LineStats;
  last: Array<Pick<LineItemResult, 'file' | 'status'> & { serial: string | null; reason: string | null; at: string }>;
}

interface Entry {
  id: number;
  settings: WatcherSettings;
  watcher: LineWatcher;
  error: string | null;
  running: boolean;
  last: WatcherStatus['last'];
}

export class LineService {
  private readonly watchers = new Map<number, Entry>();
  private nextId = 1;

  constructor(
    private readonly registry: Registry,
    private readonly identity: IdentityRepository,
    private readonly audit: AuditRepository,
  ) {}

  async start(settings: WatcherSettings, actor: string): Promise<WatcherStatus> {
    const inbox = path.resolve(settings.inbox);
    for (const e of this.watchers.values()) if (e.running && e.watcher.inbox === inbox) throw new PartprintError(`${inbox} is watched already (watcher ${e.id})`, { code: 'CONFLICT' });
    const id = this.nextId++;
    const entry: Entry = { id, settings: { ...settings, inbox }, watcher: null as unknown as LineWatcher, error: null, running: true, last: [] };
    entry.watcher = new LineWatcher({
      ...settings,
      inbox,
      registry: this.registry,
      identity: this.identity.identityService,
      defaults: { partNumber: settings.partNumber ?? null },
      onItem: (r) => {
        entry.last.unshift({ file: r.file, status: r.status, serial: r.serial, reason: r.status === 'rejected' ? r.reason : null, at: new Date().toISOString() });
        entry.last.length = Math.min(entry.last.length, 20);
      },
    });
    await entry.watcher.start();
    entry.watcher.done().then(() => { entry.running = false; }, (err: unknown) => { entry.running = false; entry.error = (err as Error).message; });
    this.watchers.set(id, entry);
    await this.audit.record(actor, 'line.watch', inbox, { id, pattern: settings.pattern ?? null });
    return this.status(id);
  }

  status(id: number): WatcherStatus {
    const e = this.watchers.get(id);
    if (!e) throw new PartprintError(`line watcher ${id} does not exist`, { code: 'NOT_FOUND' });
    return { id, inbox: e.watcher.inbox, pattern: e.settings.pattern ?? '{serial}.*', running: e.running, error: e.error, stats: e.watcher.snapshot(), last: e.last };
  }

  list(): WatcherStatus[] {
    return [...this.watchers.keys()].map((id) => this.status(id));
  }

  async stop(id: number, actor: string): Promise<WatcherStatus> {
    const e = this.watchers.get(id);
    if (!e) throw new PartprintError(`line watcher ${id} does not exist`, { code: 'NOT_FOUND' });
    await e.watcher.stop();
    e.running = false;
    await this.audit.record(actor, 'line.stop', e.watcher.inbox, { id });
    return this.status(id);
  }

  journal() {
    return journalCounts(this.registry);
  }

  /**
   * Puts an uploaded image (and its data as a JSON sidecar) into a running watcher's folder:
   * temp names first, then renamed in, so the watcher takes it only when complete.
   */
  async deliver(watcherId: number | undefined, image: { bytes: Uint8Array; filename: string }, data: Record<string, unknown>): Promise<{ watcher: number; file: string }> {
    const running = [...this.watchers.values()].filter((e) => e.running);
    const e = watcherId !== undefined ? this.watchers.get(watcherId) : running.length === 1 ? running[0] : undefined;
    if (!e || !e.running) throw new PartprintError(watcherId !== undefined ? `line watcher ${watcherId} is not running` : `${running.length} line watchers are running: name one (watcher field)`, { code: watcherId !== undefined ? 'NOT_FOUND' : 'BAD_INPUT' });
    let ext = path.extname(image.filename).toLowerCase();
    if (!IMAGE_EXTENSIONS.includes(ext)) ext = '.png';
    const base = `http-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(4).toString('hex')}`;
    const file = `${base}${ext}`;
    const dir = e.watcher.inbox;
    await writeFile(path.join(dir, `.${base}.json.tmp`), JSON.stringify(data));
    await writeFile(path.join(dir, `.${file}.tmp`), image.bytes);
    await rename(path.join(dir, `.${base}.json.tmp`), path.join(dir, `${base}.json`));
    await rename(path.join(dir, `.${file}.tmp`), path.join(dir, file));
    return { watcher: e.id, file };
  }

  async close(): Promise<void> {
    await Promise.all([...this.watchers.values()].map((e) => e.watcher.stop()));
  }
}
