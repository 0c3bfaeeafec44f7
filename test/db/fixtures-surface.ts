/** A textured grey PNG that passes the identity quality gate (blurred seeded noise), made with sharp only. */
import sharp from 'sharp';
import { createRng } from '../../src/core/index.js';

export async function surfacePng(seed: number, size = 256): Promise<Buffer> {
  const rng = createRng(seed);
  const data = new Uint8Array(size * size);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(256);
  return sharp(data, { raw: { width: size, height: size, channels: 1 } }).blur(1.6).normalise().png().toBuffer();
}
