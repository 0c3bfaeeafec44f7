/**
 * Compact bytes for a FeatureSet (stored per capture as kind 'fingerprint'):
 *   "PPFS" | format u8 | 3 reserved | header length u32 | header JSON (extractor, size, scale, n, bytes)
 *   | x, y, size as u16 fixed point (1/16 px) | angle u16 (1/100 degree) | response f32
 *   | descriptors n x bytes.
 * About 73 bytes per AKAZE keypoint.
 */
import { IdentityError } from '../../core/index.js';
import type { FeatureSet } from '../types.js';

const MAGIC = [0x50, 0x50, 0x46, 0x53]; // PPFS
const FORMAT = 1;
const FIX = 16;
const MAX_COORD = 65535 / FIX;

interface Header {
  extractor: string;
  width: number;
  height: number;
  scale: number;
  n: number;
  descriptorBytes: number;
  /** Texture map size (its int8 bytes follow the descriptors); absent when there is none. */
  texture?: { width: number; height: number; scale: number };
}

/**
 * @example
 *   const bytes = encodeFeatureSet(fs); const back = decodeFeatureSet(bytes);
 */
export function encodeFeatureSet(set: FeatureSet): Uint8Array {
  const n = set.sizes.length;
  const { width, height } = set.imageSize;
  if (width > MAX_COORD || height > MAX_COORD) {
    throw new IdentityError(`cannot store keypoints of a ${width}x${height} image (limit ${Math.floor(MAX_COORD)} px a side)`, { code: 'BAD_INPUT' });
  }
  const tex = set.texture ?? null;
  const header: Header = { extractor: set.extractor, width, height, scale: set.scale, n, descriptorBytes: set.descriptorBytes, ...(tex ? { texture: { width: tex.width, height: tex.height, scale: tex.scale } } : {}) };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const headerEnd = 12 + headerBytes.length;
  const start = Math.ceil(headerEnd / 4) * 4;
  const total = start + n * (4 * 2 + 4) + n * set.descriptorBytes + (tex ? tex.data.length : 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = FORMAT;
  view.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, 12);
  let p = start;
  const fix = (v: number) => Math.max(0, Math.min(65535, Math.round(v * FIX)));
  for (let i = 0; i < n; i++) {
    view.setUint16(p, fix(set.keypoints[2 * i]), true);
    view.setUint16(p + 2, fix(set.keypoints[2 * i + 1]), true);
    view.setUint16(p + 4, fix(set.sizes[i]), true);
    view.setUint16(p + 6, Math.round((((set.angles[i] % 360) + 360) % 360) * 100) % 36000, true);
    view.setFloat32(p + 8, set.responses[i], true);
    p += 12;
  }
  out.set(set.descriptors.subarray(0, n * set.descriptorBytes), p);
  if (tex) out.set(new Uint8Array(tex.data.buffer, tex.data.byteOffset, tex.data.length), p + n * set.descriptorBytes);
  return out;
}

export function decodeFeatureSet(bytes: Uint8Array, name = 'fingerprint'): FeatureSet {
  const bad = (why: string) => new IdentityError(`${name}: not a partprint fingerprint (${why})`, { code: 'CORRUPT' });
  if (bytes.length < 12 || MAGIC.some((m, i) => bytes[i] !== m)) throw bad('bad magic bytes');
  if (bytes[4] !== FORMAT) throw bad(`format ${bytes[4]}, this partprint reads ${FORMAT}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hl = view.getUint32(8, true);
  if (12 + hl > bytes.length) throw bad('truncated header');
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hl))) as Header;
  } catch (err) {
    throw new IdentityError(`${name}: fingerprint header is not JSON`, { code: 'CORRUPT', cause: err });
  }
  const { n, descriptorBytes } = header;
  let p = Math.ceil((12 + hl) / 4) * 4;
  const texBytes = header.texture ? header.texture.width * header.texture.height : 0;
  if (p + n * 12 + n * descriptorBytes + texBytes !== bytes.length) throw bad(`length ${bytes.length} does not fit ${n} keypoints`);
  const set: FeatureSet = {
    keypoints: new Float32Array(2 * n),
    sizes: new Float32Array(n),
    angles: new Float32Array(n),
    responses: new Float32Array(n),
    descriptors: bytes.slice(p + n * 12, p + n * 12 + n * descriptorBytes),
    descriptorBytes,
    imageSize: { width: header.width, height: header.height },
    scale: header.scale,
    extractor: header.extractor,
    texture: header.texture ? { ...header.texture, data: new Int8Array(bytes.slice(p + n * 12 + n * descriptorBytes, p + n * 12 + n * descriptorBytes + texBytes).buffer) } : null,
  };
  for (let i = 0; i < n; i++) {
    set.keypoints[2 * i] = view.getUint16(p, true) / FIX;
    set.keypoints[2 * i + 1] = view.getUint16(p + 2, true) / FIX;
    set.sizes[i] = view.getUint16(p + 4, true) / FIX;
    set.angles[i] = view.getUint16(p + 6, true) / 100;
    set.responses[i] = view.getFloat32(p + 8, true);
    p += 12;
  }
  return set;
}
