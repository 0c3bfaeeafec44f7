/**
 * Evidence picture of a verification, for a person: the registration photo, the new photo laid
 * onto it, the new photo as taken, matching points in matching colours, and a caption in words.
 * Written as PNG through sharp.
 */
import sharp from 'sharp';
import { DisposeScope } from '../../core/index.js';
import { loadOpenCv, type GreyImage } from '../../imaging/index.js';
import type { VerifyResult } from '../verify/verify.js';
import type { FeatureSet } from '../types.js';

export interface EvidenceOptions {
  /** Draw at most this many inlier lines (evenly sampled). */
  maxLines: number;
  /** Gap between the pictures, pixels. */
  gap: number;
}

export const DEFAULT_EVIDENCE_OPTIONS: EvidenceOptions = { maxLines: 200, gap: 16 };

/** Splits text into lines of at most `width` characters at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Rotation (degrees) and scale of a 3 x 3 transform near its centre, for the caption. */
function describeTransform(m: number[]): { rotation: number; scale: number } {
  const a = m[0] / m[8], b = m[3] / m[8];
  return { rotation: ((Math.atan2(b, a) * 180) / Math.PI + 360) % 360, scale: Math.hypot(a, b) };
}

/**
 * Draws the evidence of `result` (from `verifyPair(a, b)`, A = the new photo, B = the registered
 * capture), full size: the registration photo, the new photo warped onto it by the verified
 * transform (so a person can compare the surface point by point), and the new photo as taken; the
 * inlier points in matching colours on all three; a caption that says in words what is shown and
 * why the decision was made.
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
  const m = result.geometry.matrix;
  const panelH = Math.max(imageA.height, imageB.height);
  const x1 = 0, x2 = imageB.width + o.gap, x3 = 2 * (imageB.width + o.gap);
  const W = Math.max(720, x3 + imageA.width);
  const raw = (img: GreyImage) => sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 1 } }).png().toBuffer();
  const warped = m ? await warpInto(imageA, imageB, m) : null;
  const { pairs, count } = result.matches;
  const inlierIdx: number[] = [];
  for (let k = 0; k < count; k++) if (result.geometry.inlierMask[k]) inlierIdx.push(k);
  const marks: string[] = [];
  const step = Math.max(1, inlierIdx.length / o.maxLines);
  for (let t = 0, n = 0; t < inlierIdx.length; t += step, n++) {
    const k = inlierIdx[Math.floor(t)];
    const i = pairs[2 * k], j = pairs[2 * k + 1];
    const colour = `hsl(${Math.round((n * 137.5) % 360)},90%,55%)`;
    const ring = (x: number, y: number) => `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4" fill="none" stroke="${colour}" stroke-width="2"/>`;
    marks.push(ring(x1 + b.keypoints[2 * j], b.keypoints[2 * j + 1]));
    if (warped) marks.push(ring(x2 + b.keypoints[2 * j], b.keypoints[2 * j + 1]));
    marks.push(ring(x3 + a.keypoints[2 * i], a.keypoints[2 * i + 1]));
  }
  const verdict = result.same ? 'MATCH: the new photo shows the registered part.' : 'NO MATCH: the new photo does not show this registered part.';
  const how = m ? (() => {
    const d = describeTransform(m);
    return `the new photo turned by ${d.rotation.toFixed(0)} degrees and scaled by ${(1 / d.scale).toFixed(2)} to lie on the registration photo`;
  })() : 'no consistent transform was found, so the new photo cannot be laid on the registration photo';
  const caption = [
    verdict,
    `Left: the registration photo. Middle: ${how}. Right: the new photo as taken. Circles of one colour mark the same surface point in each picture: ${result.geometry.inliers} points agree in position (of ${count} candidate pairs).`,
    `Why: ${result.reason}.`,
  ];
  const chars = Math.floor(W / 7.4);
  const lines = caption.flatMap((c, i) => wrap(c, chars).map((l) => ({ l, bold: i === 0 })));
  const capH = 16 + lines.length * 18;
  const H = 22 + panelH + capH;
  const svg: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">`];
  const titles = ['registration photo', 'new photo, aligned', 'new photo, as taken'];
  [x1, x2, x3].forEach((x, i) => svg.push(`<text x="${x + 4}" y="15" font-size="13" fill="#333">${titles[i]}</text>`));
  svg.push(`<g transform="translate(0,22)">${marks.join('')}</g>`);
  lines.forEach(({ l, bold }, i) => svg.push(`<text x="6" y="${22 + panelH + 20 + i * 18}" font-size="13" ${bold ? `font-weight="bold" fill="${result.same ? '#1e8449' : '#c0392b'}"` : 'fill="#222"'}>${esc(l)}</text>`));
  svg.push('</svg>');
  const layers = [
    { input: await raw(imageB), left: x1, top: 22 },
    ...(warped ? [{ input: await raw(warped), left: x2, top: 22 }] : []),
    { input: await raw(imageA), left: x3, top: 22 },
    { input: Buffer.from(svg.join('')), left: 0, top: 0 },
  ];
  return sharp({ create: { width: W, height: H, channels: 3, background: '#ffffff' } }).composite(layers).png().toBuffer();
}

/** Image A resampled into B's frame by the 3 x 3 transform A -> B (grey where A has no pixel). */
async function warpInto(imageA: GreyImage, imageB: GreyImage, m: number[]): Promise<GreyImage & { data: Uint8Array }> {
  const cv = await loadOpenCv();
  using scope = new DisposeScope();
  const src = scope.track(cv.matFromArray(imageA.height, imageA.width, cv.CV_8UC1, imageA.data as Uint8Array));
  const M = scope.track(cv.matFromArray(3, 3, cv.CV_64FC1, m));
  const dst = scope.track(new cv.Mat());
  cv.warpPerspective(src, dst, M, new cv.Size(imageB.width, imageB.height), cv.INTER_LINEAR, cv.BORDER_CONSTANT, new cv.Scalar(200));
  return { width: imageB.width, height: imageB.height, data: new Uint8Array(dst.data), bitDepth: 8 };
}
