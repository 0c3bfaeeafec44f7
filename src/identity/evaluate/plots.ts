/** Hand-written SVG pictures of a calibration: DET curve and score histograms. */
import type { Calibration } from './calibrate.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/**
 * DET curve: FNMR against FMR on log axes (1e-5 .. 1), with the EER point and the chosen threshold.
 */
export function renderDetSvg(c: Calibration, title = 'DET curve'): string {
  const W = 520, H = 440, L = 70, R = 20, T = 40, B = 60;
  const lo = -5;
  const lx = (v: number) => L + ((Math.log10(Math.max(v, 1e-5)) - lo) / -lo) * (W - L - R);
  const ly = (v: number) => H - B - ((Math.log10(Math.max(v, 1e-5)) - lo) / -lo) * (H - T - B);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>`);
  for (let e = lo; e <= 0; e++) {
    const v = 10 ** e;
    parts.push(`<line x1="${lx(v)}" y1="${T}" x2="${lx(v)}" y2="${H - B}" stroke="#ddd"/><line x1="${L}" y1="${ly(v)}" x2="${W - R}" y2="${ly(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${lx(v)}" y="${H - B + 16}" text-anchor="middle">1e${e}</text><text x="${L - 6}" y="${ly(v) + 4}" text-anchor="end">1e${e}</text>`);
  }
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 18}" text-anchor="middle">false match rate (FMR)</text>`);
  parts.push(`<text transform="translate(18 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">false non-match rate (FNMR)</text>`);
  // At most ~2000 points: large score sets would make a huge SVG.
  const step = Math.max(1, Math.floor(c.curve.length / 2000));
  const pts = c.curve.filter((_, i) => i % step === 0 || i === c.curve.length - 1).map((p) => `${lx(p.fmr).toFixed(1)},${ly(p.fnmr).toFixed(1)}`);
  parts.push(`<polyline fill="none" stroke="#1f5fbf" stroke-width="2" points="${pts.join(' ')}"/>`);
  parts.push(`<line x1="${lx(1e-5)}" y1="${ly(1e-5)}" x2="${lx(1)}" y2="${ly(1)}" stroke="#aaa" stroke-dasharray="4 3"/>`);
  parts.push(`<circle cx="${lx(c.eer)}" cy="${ly(c.eer)}" r="4" fill="#c0392b"/><text x="${lx(c.eer) + 8}" y="${ly(c.eer) - 6}">EER ${(c.eer * 100).toFixed(2)}%</text>`);
  parts.push(`<text x="${L + 6}" y="${T + 14}">genuine ${c.genuineCount}, impostor ${c.impostorCount}</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

/** Overlaid histograms of genuine (green) and impostor (red) scores, with the threshold line. */
export function renderHistogramSvg(genuine: number[], impostor: number[], threshold: number | null, title = 'Score distributions', bins = 50): string {
  const W = 560, H = 360, L = 60, R = 20, T = 40, B = 50;
  let max = Math.max(1e-9, threshold ?? 0);
  for (const v of genuine) if (v > max) max = v;
  for (const v of impostor) if (v > max) max = v;
  const hist = (v: number[]) => {
    const h = new Array(bins).fill(0);
    for (const x of v) h[Math.min(bins - 1, Math.floor((x / max) * bins))]++;
    return h.map((c) => (v.length ? c / v.length : 0));
  };
  const hg = hist(genuine), hi = hist(impostor);
  const top = Math.max(1e-9, ...hg, ...hi); // bins values: at most 2 x bins numbers
  const bw = (W - L - R) / bins;
  const sx = (v: number) => L + (v / max) * (W - L - R);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/><text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>`);
  const bars = (h: number[], colour: string) =>
    h.map((f, i) => `<rect x="${(L + i * bw).toFixed(1)}" y="${(H - B - (f / top) * (H - T - B)).toFixed(1)}" width="${bw.toFixed(1)}" height="${((f / top) * (H - T - B)).toFixed(1)}" fill="${colour}" fill-opacity="0.5"/>`).join('');
  parts.push(bars(hi, '#c0392b'), bars(hg, '#27ae60'));
  parts.push(`<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`);
  for (let k = 0; k <= 4; k++) parts.push(`<text x="${sx((max * k) / 4)}" y="${H - B + 16}" text-anchor="middle">${((max * k) / 4).toPrecision(2)}</text>`);
  if (threshold !== null) parts.push(`<line x1="${sx(threshold)}" y1="${T}" x2="${sx(threshold)}" y2="${H - B}" stroke="black" stroke-dasharray="5 3"/><text x="${sx(threshold) + 4}" y="${T + 12}">threshold ${threshold.toPrecision(3)}</text>`);
  parts.push(`<text x="${W - R}" y="${T + 12}" text-anchor="end" fill="#27ae60">genuine (${genuine.length})</text><text x="${W - R}" y="${T + 28}" text-anchor="end" fill="#c0392b">impostor (${impostor.length})</text>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">score</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
