/** The check report as a self-contained, printable HTML page (A4, no scripts, no external files). */
import type { CheckReport, PointResult } from './types.js';

const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function identified(pt: PointResult): string {
  const id = pt.identification;
  if (!id) return '<span class="muted">no photo</span>';
  if (id.status === 'identified') return `${esc(id.serial)} <span class="muted">(${esc(id.partNumber ?? 'no part number')}, score ${id.score.toFixed(3)} / ${id.threshold.toFixed(3)})</span>`;
  if (id.status === 'not-registered') return `<strong>NOT REGISTERED</strong> <span class="muted">${id.bestSerial ? `(nearest ${esc(id.bestSerial)}, score ${(id.bestScore ?? 0).toFixed(3)} / ${id.threshold.toFixed(3)})` : ''}</span>`;
  return `<strong>capture rejected</strong> <span class="muted">${esc(id.reason)}</span>`;
}

function torque(pt: PointResult): string {
  const r = pt.torqueRange ? `${pt.torqueRange.min}-${pt.torqueRange.max}` : 'any';
  return `${pt.torqueNm === null ? '—' : esc(pt.torqueNm)} <span class="muted">(${r})</span>`;
}

/**
 * @param imageUrl where a position's photo can be fetched (omitted: only the file name is shown)
 */
export function renderReportHtml(r: CheckReport, imageUrl?: (position: string) => string): string {
  const rows = r.points.map((pt) => `<tr class="${pt.ok ? 'ok' : 'fail'}">
  <td><strong>${esc(pt.position)}</strong>${pt.description ? `<br><span class="muted">${esc(pt.description)}</span>` : ''}</td>
  <td>${esc(pt.expectedPartNumber)}</td>
  <td>${identified(pt)}</td>
  <td>${torque(pt)}</td>
  <td>${pt.inspection === null ? '—' : esc(pt.inspection)}</td>
  <td>${pt.imageName ? (imageUrl && pt.imageHash ? `<img src="${esc(imageUrl(pt.position))}" alt="${esc(pt.imageName)}">` : esc(pt.imageName)) : '—'}</td>
  <td class="verdict">${pt.ok ? 'OK' : `<ul>${pt.failures.map((f) => `<li><code>${esc(f.code)}</code> ${esc(f.message)}</li>`).join('')}</ul>`}</td>
</tr>`).join('\n');
  const failed = r.points.filter((p) => !p.ok);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Inspection ${esc(r.assembly)}: ${r.ok ? 'all points OK' : `${failed.length} failing`}</title>
<style>
  @page { size: A4 landscape; margin: 12mm; }
  body { font: 13px/1.4 system-ui, sans-serif; color: #111; margin: 1.5rem; }
  h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
  .verdict-box { font-size: 1.4rem; font-weight: 700; padding: .5rem .8rem; border-radius: 4px; margin: .8rem 0; }
  .verdict-box.ok { background: #e3f5e1; color: #14521a; border: 2px solid #2e8b3a; }
  .verdict-box.fail { background: #fde8e8; color: #7a1010; border: 2px solid #c62828; }
  table { border-collapse: collapse; width: 100%; }
  th, td { border: 1px solid #bbb; padding: .35rem .5rem; text-align: left; vertical-align: top; }
  th { background: #eee; }
  tr.fail td.verdict { color: #7a1010; }
  tr.ok td.verdict { color: #14521a; font-weight: 700; }
  td ul { margin: 0; padding-left: 1.1rem; }
  img { max-width: 96px; max-height: 96px; }
  .muted { color: #666; font-size: .9em; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: 0; }
  dt { color: #555; }
  @media print { body { margin: 0; } .verdict-box { -webkit-print-color-adjust: exact; print-color-adjust: exact; } tr { break-inside: avoid; } }
</style></head>
<body>
<h1>Inspection of ${esc(r.assemblyType)} ${esc(r.assembly)}</h1>
<dl>
  <dt>plan</dt><dd>${esc(r.planName ?? r.assemblyType)}${r.planRevision !== null ? ` rev ${esc(r.planRevision)}` : ''}</dd>
  <dt>checked</dt><dd>${esc(r.checkedAt)}</dd>
  ${r.actor ? `<dt>by</dt><dd>${esc(r.actor)}</dd>` : ''}
  ${r.place ? `<dt>where</dt><dd>${esc(r.place)}</dd>` : ''}
  ${r.checkId !== null ? `<dt>check</dt><dd>#${r.checkId}</dd>` : ''}
</dl>
<div class="verdict-box ${r.ok ? 'ok' : 'fail'}" id="verdict">${r.ok ? 'All points OK' : `${failed.length} of ${r.points.length} points failed`}</div>
<table>
<thead><tr><th>position</th><th>expected part number</th><th>part identified</th><th>torque N·m (allowed)</th><th>inspection</th><th>photo</th><th>result</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}
