/** The plan's Identifier over the registry's 1:N identify. */
import type { IdentifyOutcome } from '../identity/index.js';
import type { Registry } from '../registry/index.js';
import type { Identifier, PositionIdentification } from './types.js';

/** Turns an identify outcome into what a plan check needs (the identified part's part number included). */
export async function toPositionIdentification(registry: Registry, r: IdentifyOutcome): Promise<PositionIdentification> {
  if (r.status === 'rejected') return { status: 'rejected', reason: `${r.quality.reason}: ${r.quality.message}` };
  const best = r.candidates[0] ?? null;
  if (r.status === 'not-registered') return { status: 'not-registered', reason: r.reason, bestSerial: best?.serial ?? null, bestScore: best?.score ?? null, threshold: r.threshold };
  const part = await registry.parts.get(best.serial);
  return { status: 'identified', serial: best.serial, partNumber: part?.partNumber ?? null, score: best.score, threshold: r.threshold };
}

/** An Identifier from anything with identity's `identify(image, meta)` (IdentityService, the server's repository). */
export function identifierFor(registry: Registry, identify: (image: Uint8Array, name: string) => Promise<IdentifyOutcome>): Identifier {
  return async (bytes, name) => toPositionIdentification(registry, await identify(bytes, name));
}
