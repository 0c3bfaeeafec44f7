/**
 * Writes a tiny but real ONNX classifier for API tests and the load benchmark (no Python needed):
 * logits = Gemm(Flatten(GlobalAveragePool(input)), W, B), i.e. a linear function of each ROI's
 * mean normalised brightness. With W = [-k, +k] dark surfaces vote class 0, bright ones class 1.
 * The protobuf is encoded by hand (field numbers from onnx.proto).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}
const tag = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, n: number) => [...tag(field, 0), ...varint(n)];
const bytes = (field: number, b: number[] | Uint8Array) => [...tag(field, 2), ...varint(b.length), ...b];
const str = (field: number, s: string) => bytes(field, [...Buffer.from(s, 'utf8')]);

function floatTensor(name: string, dims: number[], values: number[]): number[] {
  const raw = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => raw.writeFloatLE(v, i * 4));
  return [...dims.flatMap((d) => int(1, d)), ...int(2, 1), ...str(8, name), ...bytes(9, raw)];
}

function valueInfo(name: string, dims: Array<number | string>): number[] {
  const shape = dims.flatMap((d) => bytes(1, typeof d === 'number' ? int(1, d) : str(2, d)));
  const tensorType = [...int(1, 1), ...bytes(2, shape)];
  return [...str(1, name), ...bytes(2, bytes(1, tensorType))];
}

function node(op: string, inputs: string[], outputs: string[], name: string): number[] {
  return [...inputs.flatMap((i) => str(1, i)), ...outputs.flatMap((o) => str(2, o)), ...str(3, name), ...str(4, op)];
}

export function tinyOnnx(size: number, weights: [number, number], bias: [number, number]): Buffer {
  const graph = [
    ...bytes(1, node('GlobalAveragePool', ['input'], ['gap'], 'gap')),
    ...bytes(1, node('Flatten', ['gap'], ['flat'], 'flat')),
    ...bytes(1, node('Gemm', ['flat', 'W', 'B'], ['logits'], 'fc')),
    ...str(2, 'tiny'),
    ...bytes(5, floatTensor('W', [1, 2], weights)),
    ...bytes(5, floatTensor('B', [2], bias)),
    ...bytes(11, valueInfo('input', ['N', 1, size, size])),
    ...bytes(12, valueInfo('logits', ['N', 2])),
  ];
  const model = [...int(1, 8), ...str(2, 'partprint-test'), ...bytes(7, graph), ...bytes(8, [...str(1, ''), ...int(2, 17)])];
  return Buffer.from(model);
}

/** Writes DIR/model.onnx + model.json (a valid card) for a two-class brightness model. */
export function writeTinyModel(dir: string, name: string, attribute: string, classes: [string, string]): string {
  mkdirSync(dir, { recursive: true });
  const size = 32;
  writeFileSync(path.join(dir, 'model.onnx'), tinyOnnx(size, [-4, 4], [0, 0]));
  const card = {
    schemaVersion: 1,
    name,
    attribute,
    classes,
    input: { size, channels: 1, layout: 'NCHW', dtype: 'float32' },
    roi: { downscale: 1, side: 16, outputSize: size, minMeanFraction: 0.5, rejectHalvingEvery: 20, maxAttempts: 200 },
    normalization: { mode: 'dataset', mean: 0.5, std: 0.25 },
    architecture: 'tiny-brightness',
    onnx: { file: 'model.onnx', opset: 17, inputName: 'input', outputName: 'logits' },
    training: { epochs: 0, batchSize: 1, optimizer: 'adamw' },
  };
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(card, null, 2));
  return dir;
}
