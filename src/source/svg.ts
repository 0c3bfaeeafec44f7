/** Hand-written SVG charts for evaluation results: a confusion heat map and a line chart. */

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Confusion matrix heat map: rows true class, columns predicted; each cell shaded by its row share. */
export function confusionSvg(classes: string[], matrix: number[][], title: string): string {
  const n = classes.length;
  const cell = Math.max(14, Math.min(48, Math.floor(640 / Math.max(n, 1))));
  const left = 30 + Math.max(...classes.map((c) => c.length), 4) * 7;
  const top = 40 + Math.max(...classes.map((c) => c.length), 4) * 7;
  const size = n * cell;
  const parts: string[] = [];
  const width = Math.max(left + size + 20, 20 + title.length * 8);
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${top + size + 50}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  parts.push(`<text x="10" y="16" font-size="14">${esc(title)}</text>`);
  for (let i = 0; i < n; i++) {
    const rowTotal = matrix[i].reduce((a, b) => a + b, 0) || 1;
    parts.push(`<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end">${esc(classes[i])}</text>`);
    const cx = left + i * cell + cell / 2;
    parts.push(`<text transform="translate(${cx + 4},${top - 6}) rotate(-90)">${esc(classes[i])}</text>`);
    for (let j = 0; j < n; j++) {
      // Square root so that a few confusions out of many still show.
      const share = Math.sqrt(matrix[i][j] / rowTotal);
      const shade = Math.round(255 - share * 200);
      const fill = i === j ? `rgb(${shade},${Math.round(255 - share * 90)},${shade})` : `rgb(255,${shade},${shade})`;
      parts.push(`<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell}" height="${cell}" fill="${fill}" stroke="#ccc"/>`);
      if (matrix[i][j] > 0 && cell >= 18) {
        parts.push(`<text x="${left + j * cell + cell / 2}" y="${top + i * cell + cell / 2 + 4}" text-anchor="middle">${matrix[i][j]}</text>`);
      }
    }
  }
  parts.push(`<text x="${left + size / 2}" y="${top + size + 30}" text-anchor="middle">predicted class (rows: true class)</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

export interface Series {
  name: string;
  points: Array<[number, number]>;
}

/** A line chart with points; `logX` spaces x logarithmically (ROI counts, sample sizes). */
export function lineChartSvg(series: Series[], options: { title: string; xLabel: string; yLabel: string; logX?: boolean; yMin?: number; yMax?: number }): string {
  const W = 640;
  const H = 400;
  const m = { l: 60, r: 130, t: 36, b: 50 };
  const all = series.flatMap((s) => s.points);
  const fx = (x: number) => (options.logX ? Math.log2(Math.max(x, 1e-9)) : x);
  const xs = all.map(([x]) => fx(x));
  let x0 = Math.min(...xs);
  let x1 = Math.max(...xs);
  if (!(x1 > x0)) [x0, x1] = [x0 - 1, x0 + 1];
  const y0 = options.yMin ?? 0;
  const y1 = options.yMax ?? 1;
  const px = (x: number) => m.l + ((fx(x) - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const colours = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2'];
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`];
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${m.l}" y="20" font-size="14">${esc(options.title)}</text>`);
  out.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#888"/>`);
  for (let k = 0; k <= 5; k++) {
    const y = y0 + ((y1 - y0) * k) / 5;
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${py(y)}" y2="${py(y)}" stroke="#eee"/>`);
    out.push(`<text x="${m.l - 6}" y="${py(y) + 4}" text-anchor="end">${y.toFixed(2)}</text>`);
  }
  const ticks = [...new Set(all.map(([x]) => x))].sort((a, b) => a - b);
  for (const x of ticks) out.push(`<text x="${px(x)}" y="${H - m.b + 16}" text-anchor="middle">${+x.toFixed(3)}</text>`);
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">${esc(options.xLabel)}</text>`);
  out.push(`<text transform="translate(16,${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel)}</text>`);
  series.forEach((s, i) => {
    const c = colours[i % colours.length];
    const pts = s.points.slice().sort((a, b) => a[0] - b[0]);
    out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of pts) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${c}"><title>${esc(s.name)}: ${x}, ${y.toFixed(4)}</title></circle>`);
    out.push(`<text x="${W - m.r + 8}" y="${m.t + 14 + i * 16}" fill="${c}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/**
 * Reliability diagram: per confidence bin, the accuracy (bars) against the diagonal of perfect
 * calibration; a second series for the temperature-scaled confidence when there is one.
 */
export function reliabilitySvg(
  rel: { ece: number; bins: Array<{ lo: number; hi: number; n: number; confidence: number; accuracy: number }>; calibrated: { temperature: number; ece: number; bins: Array<{ lo: number; hi: number; n: number; confidence: number; accuracy: number }> } | null },
  title: string,
): string {
  const W = 480;
  const H = 420;
  const m = { l: 56, r: 20, t: 40, b: 70 };
  const px = (x: number) => m.l + x * (W - m.l - m.r);
  const py = (y: number) => H - m.b - y * (H - m.t - m.b);
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`, `<rect width="100%" height="100%" fill="white"/>`];
  out.push(`<text x="${m.l}" y="20" font-size="13">${esc(title)}</text>`);
  out.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#888"/>`);
  for (let k = 0; k <= 5; k++) {
    const v = k / 5;
    out.push(`<text x="${m.l - 6}" y="${py(v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`, `<text x="${px(v)}" y="${H - m.b + 16}" text-anchor="middle">${v.toFixed(1)}</text>`);
  }
  out.push(`<line x1="${px(0)}" y1="${py(0)}" x2="${px(1)}" y2="${py(1)}" stroke="#999" stroke-dasharray="4 3"/>`);
  const series = [{ name: `as predicted (ECE ${rel.ece.toFixed(3)})`, bins: rel.bins, colour: '#1f77b4', offset: 0 }];
  if (rel.calibrated) series.push({ name: `temperature ${rel.calibrated.temperature.toFixed(2)} (ECE ${rel.calibrated.ece.toFixed(3)})`, bins: rel.calibrated.bins, colour: '#d62728', offset: 0.5 });
  const width = series.length === 1 ? 1 : 0.5;
  for (const s of series) {
    for (const b of s.bins) {
      if (!b.n) continue;
      const x0 = px(b.lo + (b.hi - b.lo) * s.offset);
      const x1 = px(b.lo + (b.hi - b.lo) * (s.offset + width));
      out.push(`<rect x="${x0.toFixed(1)}" y="${py(b.accuracy).toFixed(1)}" width="${(x1 - x0 - 1).toFixed(1)}" height="${(py(0) - py(b.accuracy)).toFixed(1)}" fill="${s.colour}" fill-opacity="0.6"><title>${b.n} parts, confidence ${b.confidence.toFixed(3)}, accuracy ${b.accuracy.toFixed(3)}</title></rect>`);
    }
  }
  series.forEach((s, i) => out.push(`<text x="${m.l}" y="${H - 30 + i * 14}" fill="${s.colour}">${esc(s.name)}</text>`));
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - m.b + 30}" text-anchor="middle">confidence (bars: accuracy of the parts in the bin)</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
