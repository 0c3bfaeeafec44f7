/**
 * Identity checks as history: every verify (1:1) or identify (1:N) answer about a registered part
 * becomes an `inspected` event of that part: result pass (the photo is this part) or fail (it is
 * not), the score S, the threshold and the inlier count as measurements, the key that asked as
 * actor, and a small preview of the photo kept as a blob (GET /api/check-photos/:hash).
 * Recorded through the trace layer, so checks travel in EPCIS exports like any inspection.
 */
import { readFile } from 'node:fs/promises';
import { renderPreviewPng } from '../imaging/index.js';
import type { Registry } from '../registry/index.js';
import { nowWithOffset, type TraceEvent } from '../trace/index.js';
import type { EventsRepository } from './events.repository.js';

/** Every check event's notes start with this, so the part page can tell checks from other inspections. */
export const CHECK_NOTE_PREFIX = 'identity check';
const PHOTO_SIDE = 480;

export interface CheckOutcome {
  kind: 'verify' | 'identify';
  serial: string;
  same: boolean;
  score: number;
  threshold: number;
  inliers: number | null;
}

export class CheckRecorder {
  constructor(
    private readonly registry: Registry,
    private readonly events: EventsRepository,
  ) {}

  /** Stores the photo's preview and appends the check event; returns the event. */
  async record(outcome: CheckOutcome, photo: { path: string; filename: string }, actor: string): Promise<TraceEvent> {
    const preview = await renderPreviewPng(await readFile(photo.path), PHOTO_SIDE, photo.filename);
    const hash = await this.registry.blobs.put(preview);
    const how = outcome.kind === 'verify' ? 'verify 1:1' : 'identify 1:N';
    const verdict = outcome.same ? 'the photo is this part' : 'the photo is NOT this part';
    const measurements: Record<string, { value: number; unit: string }> = {
      score: { value: Number(outcome.score.toFixed(6)), unit: 'S (inliers/total)' },
      threshold: { value: Number(outcome.threshold.toFixed(6)), unit: 'S (inliers/total)' },
    };
    if (outcome.inliers !== null) measurements.inliers = { value: outcome.inliers, unit: 'pairs' };
    return this.events.append(
      outcome.serial,
      {
        type: 'inspected',
        occurredAt: nowWithOffset(),
        actor,
        notes: `${CHECK_NOTE_PREFIX} (${how}): ${verdict}; photo sha256:${hash} (${photo.filename.slice(0, 200)})`,
        fields: { result: outcome.same ? 'pass' : 'fail', measurements },
      },
      actor,
    );
  }

  /** A check photo's PNG, only for hashes that a check event names (other blobs are not served here). */
  async photo(hash: string): Promise<Buffer | null> {
    const named = await this.registry.db
      .selectFrom('events')
      .select('id')
      .where('type', '=', 'inspected')
      .where('notes', 'like', `${CHECK_NOTE_PREFIX} %sha256:${hash}%`)
      .limit(1)
      .executeTakeFirst();
    if (!named || !this.registry.blobs.has(hash)) return null;
    return this.registry.blobs.read(hash);
  }
}
