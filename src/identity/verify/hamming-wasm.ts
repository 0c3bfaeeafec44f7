/**
 * Brute-force Hamming nearest neighbours in WebAssembly (i64.popcnt), about 5x faster than the
 * TypeScript SWAR loop in match.ts. Source: hamming.wat beside this file, compiled with wabt's
 * wat2wasm (`parseWat(...).toBinary({})`) and embedded as base64 so nothing is built at install.
 */
const WASM_BASE64 =
  'AGFzbQEAAAABDgFgCn9/f39/f39/f38AAwIBAAUDAQABBwwCA21lbQIAAm5uAAAK9gIB8wIBCn9BACELAkADQCALIANPDQEgCSALQQJ0akH//wM2AgAgCCALQQJ0akF/NgIAIAtBAWohCwwACwtBACEKAkADQCAKIAFPDQFB//8DIRBB//8DIRFBfyESIAAgCiAEbGohDSACIQ5BACELAkADQCALIANPDQFBACEPQQAhDAJAA0AgDCAETw0BIA8gDSAMaikDACAOIAxqKQMAhXsgDSAMaikDCCAOIAxqKQMIhXt8IA0gDGopAxAgDiAMaikDEIV7IA0gDGopAxggDiAMaikDGIV7fHynaiEPIAxBIGohDAwACwsgDyAQSQRAIBAhESAPIRAgCyESBSAPIBFJBEAgDyERCwsgCSALQQJ0aiETIA8gEygCAEkEQCATIA82AgAgCCALQQJ0aiAKNgIACyAOIARqIQ4gC0EBaiELDAALCyAFIApBAnRqIBI2AgAgBiAKQQJ0aiAQNgIAIAcgCkECdGogETYCACAKQQFqIQoMAAsLCw==';

/** The few WebAssembly members used here (the project's TypeScript lib has no DOM types). */
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface HammingExports {
  mem: WasmMemory;
  nn(a: number, na: number, b: number, nb: number, row: number, oB: number, oD1: number, oD2: number, oA: number, oAD: number): void;
}

let instance: HammingExports | undefined;

function getInstance(): HammingExports {
  instance ??= new wasm.Instance(new wasm.Module(Buffer.from(WASM_BASE64, 'base64'))).exports as unknown as HammingExports;
  return instance;
}

/** Rows of `bytes` bytes, zero-padded to a multiple of 32 bytes (the WebAssembly loop reads four 64-bit words per step). */
export function padRows(data: Uint8Array, rows: number, bytes: number): { data: Uint8Array; row: number } {
  const row = Math.ceil(bytes / 32) * 32;
  if (row === bytes) return { data, row };
  const out = new Uint8Array(rows * row);
  for (let i = 0; i < rows; i++) out.set(data.subarray(i * bytes, (i + 1) * bytes), i * row);
  return { data: out, row };
}

export interface NearestResult {
  /** Per row of A: nearest row of B, its distance, the second-nearest distance. */
  bestB: Int32Array;
  bestDist: Int32Array;
  secondDist: Int32Array;
  /** Per row of B: nearest row of A and its distance. */
  bestA: Int32Array;
  bestADist: Int32Array;
}

/**
 * Nearest and second-nearest neighbours by Hamming distance between two sets of binary rows
 * (A: na x row bytes, B: nb x row bytes, row a multiple of 32).
 */
export function nearestNeighboursWasm(a: Uint8Array, na: number, b: Uint8Array, nb: number, row: number): NearestResult {
  const w = getInstance();
  const need = a.length + b.length + 4 * (3 * na + 2 * nb) + 64;
  const have = w.mem.buffer.byteLength;
  if (need > have) w.mem.grow(Math.ceil((need - have) / 65536));
  const pa = 0;
  const pb = a.length;
  const oB = pb + b.length;
  const oD1 = oB + 4 * na;
  const oD2 = oD1 + 4 * na;
  const oA = oD2 + 4 * na;
  const oAD = oA + 4 * nb;
  const heap = new Uint8Array(w.mem.buffer);
  heap.set(a, pa);
  heap.set(b, pb);
  w.nn(pa, na, pb, nb, row, oB, oD1, oD2, oA, oAD);
  const buf = w.mem.buffer;
  return {
    bestB: new Int32Array(buf.slice(oB, oB + 4 * na)),
    bestDist: new Int32Array(buf.slice(oD1, oD1 + 4 * na)),
    secondDist: new Int32Array(buf.slice(oD2, oD2 + 4 * na)),
    bestA: new Int32Array(buf.slice(oA, oA + 4 * nb)),
    bestADist: new Int32Array(buf.slice(oAD, oAD + 4 * nb)),
  };
}
