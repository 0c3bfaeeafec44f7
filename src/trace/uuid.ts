import { createHash, randomUUID } from 'node:crypto';

/** partprint's namespace for name-based (version 5) UUIDs. */
export const PARTPRINT_UUID_NAMESPACE = '6f1d3b52-8c1e-4a57-9b8e-2f4c1d7a9e30';

/** RFC 4122 version 5 UUID (SHA-1 of namespace + name). Same name, same UUID. */
export function uuidV5(name: string, namespace: string = PARTPRINT_UUID_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A new EPCIS eventID for an event recorded here. */
export function mintEventId(): string {
  return `urn:uuid:${randomUUID()}`;
}

/** The eventID of a stored event that has none (rows written by other tools): stable per row. */
export function derivedEventId(serial: string, id: number, recordedAt: string): string {
  return `urn:uuid:${uuidV5(`partprint-event\n${serial}\n${id}\n${recordedAt}`)}`;
}
