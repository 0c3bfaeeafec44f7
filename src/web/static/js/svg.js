// Charts as SVG strings (no library): vote distribution, confusion heat map, DET curve.

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const fix = (x) => Number(x.toFixed(1));

/**
 * Horizontal bars, largest first: entries [[label, value]]; values are shares 0..1 (shown as %)
 * unless `counts` (bars scaled to the largest, shown as numbers).
 */
export function barChart(entries, { highlight = null, width = 520, counts = false } = {}) {
  const rows = [...entries].sort((a, b) => b[1] - a[1]);
  const max = counts ? Math.max(1, ...rows.map((r) => r[1])) : 1;
  const show = (v) => (counts ? String(v) : `${(v * 100).toFixed(1)}%`);
  const barH = 22;
  const gap = 6;
  const left = 150;
  const right = 60;
  const h = rows.length * (barH + gap) + 10;
  const w = width - left - right;
  const parts = rows.map(([label, v], i) => {
    const y = 5 + i * (barH + gap);
    const bw = Math.max(1, w * Math.max(0, Math.min(1, v / max)));
    const cls = label === highlight ? 'bar best' : 'bar';
    return `<text x="${left - 8}" y="${y + barH * 0.7}" text-anchor="end" class="lbl">${esc(label)}</text>` +
      `<rect class="${cls}" x="${left}" y="${y}" width="${fix(bw)}" height="${barH}" rx="3"><title>${esc(label)}: ${show(v)}</title></rect>` +
      `<text x="${fix(left + bw + 6)}" y="${y + barH * 0.7}" class="val">${show(v)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart bars" viewBox="0 0 ${width} ${h}" width="${width}" height="${h}" role="img" aria-label="bar chart">${parts.join('')}</svg>`;
}

/** Confusion matrix heat map: rows = true class, columns = predicted; row-normalised colour. */
export function heatmap(classes, matrix) {
  const n = classes.length;
  const cell = Math.max(18, Math.min(48, Math.floor(480 / Math.max(1, n))));
  const longest = Math.max(1, ...classes.map((c) => String(c).length));
  const left = Math.min(160, 30 + longest * 7);
  const top = 26 + Math.min(90, Math.round(longest * 5.5));
  const size = left + n * cell + 20;
  const out = [];
  for (let i = 0; i < n; i++) {
    const row = matrix[i] || [];
    const sum = row.reduce((a, b) => a + b, 0) || 1;
    out.push(`<text x="${left - 6}" y="${top + i * cell + cell * 0.65}" text-anchor="end" class="lbl">${esc(classes[i])}</text>`);
    for (let j = 0; j < n; j++) {
      const v = row[j] || 0;
      const f = v / sum;
      const light = fix(97 - f * 62);
      const hue = i === j ? 210 : 10;
      out.push(`<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell - 1}" height="${cell - 1}" fill="hsl(${hue},70%,${light}%)"><title>true ${esc(classes[i])}, predicted ${esc(classes[j])}: ${v}</title></rect>`);
      if (cell >= 24 && v > 0) out.push(`<text x="${left + j * cell + cell / 2}" y="${top + i * cell + cell * 0.62}" text-anchor="middle" class="${f > 0.5 ? 'cellv dark' : 'cellv'}">${v}</text>`);
    }
  }
  for (let j = 0; j < n; j++) {
    const x = left + j * cell + cell / 2;
    out.push(`<text transform="translate(${x},${top - 6}) rotate(-50)" class="lbl">${esc(classes[j])}</text>`);
  }
  out.push(`<text x="${left + (n * cell) / 2}" y="14" text-anchor="middle" class="axis">predicted</text>`);
  out.push(`<text transform="translate(12,${top + (n * cell) / 2}) rotate(-90)" text-anchor="middle" class="axis">true</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart heat" viewBox="0 0 ${size} ${top + n * cell + 10}" width="${size}" height="${top + n * cell + 10}" role="img" aria-label="confusion matrix">${out.join('')}</svg>`;
}

/** DET points from genuine/impostor score lists (higher score = same part). */
export function detFromScores(genuine, impostor) {
  const thresholds = [...new Set([...genuine, ...impostor])].sort((a, b) => a - b);
  return thresholds.map((t) => ({
    threshold: t,
    fmr: impostor.filter((s) => s >= t).length / Math.max(1, impostor.length),
    fnmr: genuine.filter((s) => s < t).length / Math.max(1, genuine.length),
  }));
}

/** DET curve on log-log axes (FMR x, FNMR y), 1e-4..1; `mark` = operating point. */
export function detCurve(points, { mark = null, width = 420 } = {}) {
  const lo = 1e-4;
  const pad = 48;
  const w = width - pad - 16;
  const hgt = w;
  const lx = (v) => pad + ((Math.log10(Math.max(lo, v)) + 4) / 4) * w;
  const ly = (v) => 12 + hgt - ((Math.log10(Math.max(lo, v)) + 4) / 4) * hgt;
  const grid = [];
  for (const d of [1e-4, 1e-3, 1e-2, 1e-1, 1]) {
    grid.push(`<line class="grid" x1="${fix(lx(d))}" x2="${fix(lx(d))}" y1="12" y2="${12 + hgt}"/><line class="grid" x1="${pad}" x2="${pad + w}" y1="${fix(ly(d))}" y2="${fix(ly(d))}"/>`);
    grid.push(`<text class="tick" x="${fix(lx(d))}" y="${hgt + 28}" text-anchor="middle">${d}</text><text class="tick" x="${pad - 4}" y="${fix(ly(d)) + 4}" text-anchor="end">${d}</text>`);
  }
  const sorted = [...points].sort((a, b) => a.fmr - b.fmr || b.fnmr - a.fnmr);
  const path = sorted.map((p, i) => `${i ? 'L' : 'M'}${fix(lx(p.fmr))},${fix(ly(p.fnmr))}`).join('');
  const m = mark ? `<circle class="mark" cx="${fix(lx(mark.fmr))}" cy="${fix(ly(mark.fnmr))}" r="5"><title>threshold ${mark.threshold ?? ''}: FMR ${mark.fmr}, FNMR ${mark.fnmr}</title></circle>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart det" viewBox="0 0 ${width} ${hgt + 50}" width="${width}" height="${hgt + 50}" role="img" aria-label="DET curve">` +
    `${grid.join('')}<path class="curve" d="${path}"/>${m}` +
    `<text class="axis" x="${pad + w / 2}" y="${hgt + 46}" text-anchor="middle">false match rate (FMR)</text>` +
    `<text class="axis" transform="translate(12,${12 + hgt / 2}) rotate(-90)" text-anchor="middle">false non-match rate (FNMR)</text></svg>`;
}
