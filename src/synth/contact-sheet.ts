/**
 * A contact sheet for people: every process at three zoom levels (whole part, a centimetre of its
 * face, the native 5.3 um/px close-up), from registered captures of one part per process.
 */
import sharp, { type OverlayOptions } from 'sharp';
import { encodeCapture, renderCapture, sampleCaptureParams } from './capture.js';
import { DEFAULT_CONFIG, makeMachines, makePart } from './catalogue.js';
import { PROCESSES, type SynthConfig } from './types.js';

export const CONTACT_ZOOMS: Array<{ pixelUm: number; label: string }> = [
  { pixelUm: 80, label: 'whole part' },
  { pixelUm: 15.9, label: 'face' },
  { pixelUm: 5.3, label: 'native' },
];

function label(text: string, width: number, height: number, size: number): Buffer {
  const esc = text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><text x="6" y="${height - 8}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${size}" fill="#222">${esc}</text></svg>`);
}

/** Renders the contact sheet as PNG bytes: one row per process, one column per zoom level. */
export async function renderContactSheet(options: { tile?: number; seed?: number } = {}): Promise<Buffer> {
  const tile = options.tile ?? 400;
  const config: SynthConfig = { ...DEFAULT_CONFIG, seed: options.seed ?? 1, machines: PROCESSES.length, partsPerMachine: 1 };
  const machines = makeMachines(config);
  const gap = 8;
  const head = 28;
  const rowLabel = 30;
  const width = gap + CONTACT_ZOOMS.length * (tile + gap);
  const height = head + PROCESSES.length * (tile + rowLabel + gap);
  const layers: OverlayOptions[] = [{ input: label('partprint synth: one part per process at three zoom levels (registered captures)', width, head, 16), left: 0, top: 0 }];
  for (let r = 0; r < PROCESSES.length; r++) {
    const part = makePart(config, machines, r);
    for (let c = 0; c < CONTACT_ZOOMS.length; c++) {
      const z = CONTACT_ZOOMS[c];
      const cap = renderCapture(part, sampleCaptureParams(part, 0), { size: tile, pixelUm: z.pixelUm });
      const top = head + r * (tile + rowLabel + gap);
      const left = gap + c * (tile + gap);
      layers.push({ input: await encodeCapture(cap.pixels, tile, tile, 'png', 0), left, top: top + rowLabel });
      const text = `${part.machine.process} (${part.machine.material}), ${z.label}, ${z.pixelUm} um/px, field ${((tile * z.pixelUm) / 1000).toFixed(1)} mm`;
      layers.push({ input: label(text, tile, rowLabel, 13), left, top });
    }
  }
  return sharp({ create: { width, height, channels: 3, background: '#f4f4f4' } }).composite(layers).png().toBuffer();
}
