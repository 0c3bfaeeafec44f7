/** The failure-rate chart as an SVG string: one bar per group with its 95% interval, the overall rate as a line, significant groups marked. */
import type { FailureRateReport } from './failure-rates.js';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function failureRateSvg(r: FailureRateReport, width = 680): string {
  const left = 130, right = 210, barH = 18, gap = 8;
  const w = width - left - right;
  const max = Math.max(0.05, ...r.rows.map((x) => x.ci[1]));
  const x = (v: number) => left + (w * v) / max;
  const hgt = r.rows.length * (barH + gap) + 40;
  const bars = r.rows.map((row, i) => {
    const y = 24 + i * (barH + gap);
    const cls = row.significant && row.direction === 'higher' ? 'bar worse' : row.significant ? 'bar better' : 'bar';
    return `<text x="${left - 8}" y="${y + barH * 0.72}" text-anchor="end" class="lbl">${esc(row.key)}</text>` +
      `<rect class="${cls}" x="${left}" y="${y}" width="${Math.max(1, x(row.rate) - left).toFixed(1)}" height="${barH}" rx="3"><title>${esc(row.key)}: ${row.failed}/${row.total} = ${(row.rate * 100).toFixed(1)}%, p = ${row.pValue.toPrecision(3)}, adjusted ${row.adjustedP.toPrecision(3)}</title></rect>` +
      `<line class="ci" x1="${x(row.ci[0]).toFixed(1)}" x2="${x(row.ci[1]).toFixed(1)}" y1="${y + barH / 2}" y2="${y + barH / 2}"/>` +
      `<text x="${(x(row.ci[1]) + 6).toFixed(1)}" y="${y + barH * 0.72}" class="val">${(row.rate * 100).toFixed(1)}% (${row.failed}/${row.total})${row.significant ? (row.direction === 'higher' ? ' ▲ significant' : ' ▼ significant') : ''}</text>`;
  });
  const ox = x(r.rate).toFixed(1);
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart failure-rates" viewBox="0 0 ${width} ${hgt}" width="${width}" height="${hgt}" role="img" aria-label="failure rate by ${esc(r.groupBy)}">` +
    `<text x="${left}" y="14" class="tick">failure rate by ${esc(r.groupBy)} (bar: rate, line: 95% interval, dashed: all ${(r.rate * 100).toFixed(1)}%)</text>` +
    `${bars.join('')}<line class="overall" x1="${ox}" x2="${ox}" y1="20" y2="${hgt - 10}" stroke-dasharray="4 3"/></svg>`;
}
