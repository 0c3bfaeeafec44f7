// #/analytics: events counted per group (e.g. failed inspections by tray position or supplier).
import { get, query } from '../api.js';
import { barChart } from '../svg.js';
import { errorNotice, field, h, render } from '../ui.js';

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
  render(h('h1', 'Analytics'), h('p.muted', 'For quality engineers: e.g. failed inspections per tray position or per supplier.'), form, out);
}
