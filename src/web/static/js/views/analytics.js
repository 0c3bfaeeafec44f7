// #/analytics: failure rates per group with significance (which positions, machines, builds fail
// more often than the rest) and events counted per group (e.g. failed inspections by supplier).
import { get, query } from '../api.js';
import { barChart } from '../svg.js';
import { errorNotice, field, h, notice, render } from '../ui.js';

const TYPES = ['', 'inspected', 'installed', 'removed', 'packed', 'unpacked', 'shipped', 'received', 'observed', 'commissioned', 'decommissioned'];

export function showAnalytics(params = new URLSearchParams()) {
  const out = h('div');
  const form = h(
    'form.card.grid',
    {
      onsubmit: async (ev) => {
        ev.preventDefault();
        const where = field(form, 'where').split(',').map((s) => s.trim()).filter(Boolean);
        const q = { groupBy: field(form, 'groupBy'), type: field(form, 'type'), where, since: field(form, 'since'), until: field(form, 'until') };
        out.replaceChildren(h('p.muted.busy', 'Counting…'));
        try {
          const res = await get(`/api/analytics/events${query(q)}`);
          if (!res.rows.length) return out.replaceChildren(h('p.muted', 'No events match.'));
          out.replaceChildren(
            h('section.card', h('h2', `Events by ${res.groupBy}`), h('div.chart-wrap', { html: barChart(res.rows.map((r) => [r.key ?? '(none)', r.events]), { counts: true }) })),
            h('table.list', h('thead', h('tr', h('th', res.groupBy), h('th', 'events'), h('th', 'parts'))), h('tbody', res.rows.map((r) => h('tr', h('td', r.key ?? '(none)'), h('td', r.events), h('td', r.parts))))),
          );
        } catch (e) {
          out.replaceChildren(errorNotice(e));
        }
      },
    },
    h('label', 'Group by', h('input', { name: 'groupBy', required: true, list: 'groupings', value: params.get('groupBy') || 'attribute:tray_position' })),
    h('datalist#groupings', ['attribute:tray_position', 'attribute:machine', 'attribute:supplier', 'attribute:material', 'field:position', 'field:result', 'partNumber', 'type'].map((v) => h('option', { value: v }))),
    h('label', 'Event type', h('select', { name: 'type' }, TYPES.map((t) => h('option', { value: t, selected: t === (params.get('type') || 'inspected') }, t || 'any')))),
    h('label', 'Where (field:value, …)', h('input', { name: 'where', value: params.get('where') || 'result:fail' })),
    h('label', 'Since', h('input', { name: 'since', type: 'date' })),
    h('label', 'Until', h('input', { name: 'until', type: 'date' })),
    h('div.wide', h('button', { type: 'submit' }, 'Count')),
  );
  render(
    h('h1', 'Analytics'),
    h('p.muted', 'For quality engineers: e.g. failed inspections per tray position or per supplier.'),
    form,
    out,
    failureSection(params),
  );
}

const pct = (x) => `${(x * 100).toFixed(1)}%`;

/** Which groups fail more often than the rest: Fisher's exact test per group, corrected for testing many. */
function failureSection(params) {
  const out = h('div#failure-rates');
  const form = h(
    'form.card.grid#failure-form',
    {
      onsubmit: async (ev) => {
        ev.preventDefault();
        const q = { groupBy: field(form, 'groupBy'), type: field(form, 'type') || 'inspected', fail: field(form, 'fail').split(',').map((s) => s.trim()).filter(Boolean), correction: field(form, 'correction') };
        out.replaceChildren(h('p.muted.busy', 'Testing…'));
        try {
          const [r, svg] = await Promise.all([get(`/api/analytics/failure-rates${query(q)}`), get(`/api/analytics/failure-rates${query({ ...q, format: 'svg' })}`)]);
          if (!r.rows.length) return out.replaceChildren(h('p.muted', 'No events match.'));
          const worse = r.rows.filter((x) => x.significant && x.direction === 'higher');
          out.replaceChildren(
            worse.length
              ? notice('warn', h('strong', `${worse.map((x) => x.key).join(', ')} fail${worse.length === 1 ? 's' : ''} more often than the rest`), ` (${r.correction === 'holm' ? 'Holm' : 'Benjamini-Hochberg'}-corrected p < ${r.alpha}).`)
              : notice('ok', `No ${r.groupBy} fails significantly more often than the rest (corrected p < ${r.alpha}).`),
            h('section.card', h('h2', `Failure rate by ${r.groupBy}: ${r.failed} of ${r.total} ${r.type} events failed (${pct(r.rate)})`),
              h('div.chart-wrap', { html: svg }),
              h('p.muted', `All groups alike? chi-square ${r.chiSquare.statistic.toFixed(2)}, ${r.chiSquare.df} df, p = ${r.chiSquare.pValue.toPrecision(3)}. Each group against all others: Fisher's exact test, two-sided.`)),
            h('table.list#failure-table',
              h('thead', h('tr', h('th', r.groupBy), h('th', 'failed'), h('th', 'rate'), h('th', '95% interval'), h('th', 'rest'), h('th', 'p'), h('th', 'corrected p'), h('th', ''))),
              h('tbody', r.rows.map((x) => h(`tr${x.significant && x.direction === 'higher' ? '.worse' : ''}`, { 'data-key': x.key },
                h('td', x.key), h('td', `${x.failed}/${x.total}`), h('td', pct(x.rate)), h('td', `${pct(x.ci[0])}–${pct(x.ci[1])}`), h('td', pct(x.restRate)),
                h('td', x.pValue.toPrecision(3)), h('td', x.adjustedP.toPrecision(3)), h('td', x.significant ? (x.direction === 'higher' ? 'fails more often' : 'fails less often') : ''))))),
          );
        } catch (e) {
          out.replaceChildren(errorNotice(e));
        }
      },
    },
    h('label', 'Group by', h('input', { name: 'groupBy', required: true, list: 'failure-groupings', value: params.get('failBy') || 'field:position' })),
    h('datalist#failure-groupings', ['field:position', 'attribute:machine', 'attribute:build', 'attribute:tray_position', 'attribute:supplier', 'partNumber'].map((v) => h('option', { value: v }))),
    h('label', 'Events', h('select', { name: 'type' }, TYPES.filter(Boolean).map((t) => h('option', { value: t, selected: t === 'inspected' }, t)))),
    h('label', 'Failure is (field:value, …)', h('input', { name: 'fail', value: 'result:fail' })),
    h('label', 'Correction', h('select', { name: 'correction' }, h('option', { value: 'holm' }, 'Holm (family-wise)'), h('option', { value: 'bh' }, 'Benjamini-Hochberg (FDR)'))),
    h('div.wide', h('button', { type: 'submit' }, 'Test')),
  );
  return h('section', h('h2', 'Who fails more often?'), h('p.muted', 'Positions, machines or builds whose parts fail inspection (or loosen: record re-torque checks as failed inspections at the position) more often than the others.'), form, out);
}
