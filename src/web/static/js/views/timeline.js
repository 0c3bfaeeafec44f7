// A part's history as a timeline: typed fields, corrections shown as such.
import { get } from '../api.js';
import { fmtTime, h } from '../ui.js';

function fieldChips(type, fields) {
  const chips = [];
  if (typeof fields.torqueNm === 'number') chips.push(h('span.chip.torque', `torque ${fields.torqueNm} N·m`));
  if (fields.position) chips.push(h('span.chip', `position ${fields.position}`));
  if (fields.result) chips.push(h(`span.chip.result.${fields.result}`, fields.result === 'pass' ? 'PASS' : 'FAIL'));
  for (const [name, m] of Object.entries(fields.measurements || {})) chips.push(h('span.chip', `${name} ${m.value} ${m.unit}`));
  if (fields.parent) chips.push(h('a.chip', { href: `#/trace?of=${encodeURIComponent(fields.parent)}` }, `${type === 'unpacked' ? 'out of' : 'into'} ${fields.parent}`));
  for (const [k, v] of Object.entries(fields)) {
    if (!['torqueNm', 'position', 'result', 'measurements', 'parent'].includes(k)) chips.push(h('span.chip', `${k} ${typeof v === 'object' ? JSON.stringify(v) : v}`));
  }
  return chips;
}

export async function timeline(serial) {
  const { items } = await get(`/api/parts/${encodeURIComponent(serial)}/events`);
  if (!items.length) return h('p.muted', 'No events recorded yet.');
  return h(
    'ol.timeline',
    items.map((e) => {
      const corrected = e.correctedBy !== null && e.correctedBy !== undefined;
      const cls = ['event', `type-${e.type}`, corrected ? 'corrected' : '', e.correctsEventId ? 'correction' : ''].filter(Boolean).join(' ');
      return h(
        'li',
        { class: cls, id: `event-${e.id}` },
        h(
          'div.ev-head',
          h('span.ev-type', e.type),
          h('time', { datetime: e.occurredAt }, fmtTime(e.occurredAt)),
          e.correctsEventId ? h('span.badge.corr', `correction of #${e.correctsEventId}`) : null,
          corrected ? h('span.badge.old', `corrected by #${e.correctedBy}`) : null,
          h('span.ev-id', `#${e.id}`),
        ),
        h('div.ev-fields', fieldChips(e.type, e.fields || {})),
        e.place || e.actor ? h('div.ev-meta', e.place ? `at ${e.place}` : '', e.place && e.actor ? ' · ' : '', e.actor ? `by ${e.actor}` : '') : null,
        e.notes ? h('div.ev-notes', e.notes) : null,
        h('div.ev-rec', `recorded ${fmtTime(e.recordedAt)}${e.recordedBy ? ` by ${e.recordedBy}` : ''}`),
      );
    }),
  );
}
