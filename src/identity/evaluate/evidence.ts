/**
 * Evidence picture of a verification: the two normalised captures side by side, inlier pairs
 * joined by lines (green), other putative pairs as small red marks; written as PNG through sharp.
 */
import sharp from 'sharp';
import type { GreyImage } from '../../imaging/index.js';
import type { VerifyResult } from '../verify/verify.js';
import type { FeatureSet } from '../types.js';

export interface EvidenceOptions {
  /** Draw at most this many inlier lines (evenly sampled). */
  maxLines: number;
  /** Gap between the two images, pixels. */
  gap: number;
}

export const DEFAULT_EVIDENCE_OPTIONS: EvidenceOptions = { maxLines: 200, gap: 16 };

/**
 * Draws the evidence of `result` (from `verifyPair(a, b)`) over the normalised images of A and B.
 *
 * @example
 *   await writeFile('evidence.png', await renderEvidencePng(probe.normalised.image, gal.normalised.image, a, b, r));
 */
export async function renderEvidencePng(
  imageA: GreyImage,
  imageB: GreyImage,
  a: FeatureSet,
  b: FeatureSet,
  result: VerifyResult,
  options: Partial<EvidenceOptions> = {},
): Promise<Buffer> {
  const o = { ...DEFAULT_EVIDENCE_OPTIONS, ...options };
  const W = imageA.width + o.gap + imageB.width;
  const H = Math.max(imageA.height, imageB.height) + 28;
  const dx = imageA.width + o.gap;
  const raw = (img: GreyImage) => sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 1 } }).png().toBuffer();
  const svg: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">`];
  const { pairs, count } = result.matches;
  const inlierIdx: number[] = [];
  for (let k = 0; k < count; k++) {
    if (result.geometry.inlierMask[k]) inlierIdx.push(k);
    else {
      const i = pairs[2 * k];
      svg.push(`<circle cx="${a.keypoints[2 * i].toFixed(1)}" cy="${a.keypoints[2 * i + 1].toFixed(1)}" r="1.5" fill="#e74c3c"/>`);
    }
  }
  const step = Math.max(1, inlierIdx.length / o.maxLines);
  for (let t = 0; t < inlierIdx.length; t += step) {
    const k = inlierIdx[Math.floor(t)];
    const i = pairs[2 * k];
    const j = pairs[2 * k + 1];
    const x1 = a.keypoints[2 * i], y1 = a.keypoints[2 * i + 1];
    const x2 = b.keypoints[2 * j] + dx, y2 = b.keypoints[2 * j + 1];
    svg.push(`<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" stroke="#2ecc71" stroke-width="1" stroke-opacity="0.8"/>`);
    svg.push(`<circle cx="${x1.toFixed(1)}" cy="${y1.toFixed(1)}" r="2.5" fill="none" stroke="#2ecc71"/><circle cx="${x2.toFixed(1)}" cy="${y2.toFixed(1)}" r="2.5" fill="none" stroke="#2ecc71"/>`);
  }
  const verdict = result.same ? 'SAME ITEM' : 'NOT THE SAME ITEM';
  const label = `${verdict}: ${result.geometry.inliers} inliers of ${count} pairs; S = ${result.score.inlierRatio.toFixed(4)}; decision score ${result.score.value.toFixed(4)} (${result.score.kind}) vs threshold ${result.threshold.toPrecision(3)}`;
  svg.push(`<rect x="0" y="${H - 28}" width="${W}" height="28" fill="white"/><text x="6" y="${H - 9}" font-family="sans-serif" font-size="13" fill="${result.same ? '#1e8449' : '#c0392b'}">${label}</text>`);
  svg.push('</svg>');
  return sharp({ create: { width: W, height: H, channels: 3, background: '#ffffff' } })
    .composite([
      { input: await raw(imageA), left: 0, top: 0 },
      { input: await raw(imageB), left: dx, top: 0 },
      { input: Buffer.from(svg.join('')), left: 0, top: 0 },
    ])
    .png()
    .toBuffer();
}
