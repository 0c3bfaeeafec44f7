// The "record an event" form: type, time, place, typed fields (installed: torque, position;
// inspected: result; packed/unpacked: the parent assembly), optional correction of an earlier event.
import { post } from '../api.js';
import { field, guard, h, notice } from '../ui.js';

const TYPES = ['installed', 'inspected', 'packed', 'unpacked', 'removed', 'shipped', 'received', 'observed', 'commissioned', 'decommissioned'];

/** "2026-11-21T10:38" (local) -> "2026-11-21T10:38:00+01:00". */
export function localIso(value) {
  const d = value ? new Date(value) : new Date();
  const off = -d.getTimezoneOffset();
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const local = new Date(d.getTime() + off * 60000).toISOString().slice(0, 19);
  return `${local}${off >= 0 ? '+' : '-'}${pad(off / 60)}:${pad(off % 60)}`;
}

export function eventForm(serial, onRecorded) {
  const out = h('div');
  const typed = h('div.typed');
  const typeSel = h('select', { name: 'type', onchange: () => showTyped() }, TYPES.map((t) => h('option', { value: t }, t)));
  function showTyped() {
    const t = typeSel.value;
    typed.replaceChildren(
      ...(t === 'installed'
        ? [
            h('label', 'Torque (N·m)', h('input', { name: 'torqueNm', type: 'number', step: 'any', min: '0', placeholder: '25' })),
            h('label', 'Position', h('input', { name: 'position', placeholder: 'wheel 3' })),
          ]
        : []),
      ...(t === 'inspected'
        ? [h('label', 'Result', h('select', { name: 'result' }, h('option', { value: '' }, '–'), h('option', { value: 'pass' }, 'pass'), h('option', { value: 'fail' }, 'fail')))]
        : []),
      ...(t === 'packed' || t === 'unpacked' ? [h('label', t === 'packed' ? 'Into (assembly serial or EPC)' : 'Out of (assembly serial or EPC)', h('input', { name: 'parent', required: true, placeholder: 'ASM-1' }))] : []),
    );
  }
  const form = h(
    'form.grid',
    {
      onsubmit: async (ev) => {
        ev.preventDefault();
        const fields = {};
        const torque = field(form, 'torqueNm');
        if (torque) fields.torqueNm = Number(torque);
        if (field(form, 'position')) fields.position = field(form, 'position');
        if (field(form, 'result')) fields.result = field(form, 'result');
        if (field(form, 'parent')) fields.parent = field(form, 'parent');
        const body = { type: typeSel.value, occurredAt: localIso(field(form, 'occurredAt')), fields };
        for (const k of ['place', 'actor', 'notes']) if (field(form, k)) body[k] = field(form, k);
        if (field(form, 'corrects')) body.correctsEventId = Number(field(form, 'corrects'));
        await guard(out, async () => {
          const e = await post(`/api/parts/${encodeURIComponent(serial)}/events`, body);
          out.replaceChildren(notice('ok', `Recorded event #${e.id} (${e.type}).`));
          form.reset();
          showTyped();
          await onRecorded(e);
        });
      },
    },
    h('label', 'Type', typeSel),
    h('label', 'When', h('input', { name: 'occurredAt', type: 'datetime-local', title: 'empty = now' })),
    h('label', 'Place', h('input', { name: 'place', placeholder: 'hangar 2' })),
    h('label', 'Done by', h('input', { name: 'actor', placeholder: 'technician' })),
    typed,
    h('label.wide', 'Notes', h('input', { name: 'notes', placeholder: 'for a correction: why the corrected event is wrong (required)' })),
    h('label', 'Corrects event #', h('input', { name: 'corrects', type: 'number', min: '1', placeholder: 'optional' })),
    h('div.wide', h('button', { type: 'submit' }, 'Record event')),
  );
  showTyped();
  return h('div', form, out);
}
