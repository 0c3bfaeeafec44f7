// #/register: an operator registers a new part with a photo; its fingerprint is stored.
import { registerNewPart } from '../identity.js';
import { errorNotice, field, h, link, notice, partHref, render } from '../ui.js';

/** "name=value" lines (or comma separated) -> { name: value }. */
export function parseAttributes(text) {
  const out = {};
  for (const item of text.split(/[\n,]/)) {
    const s = item.trim();
    if (!s) continue;
    const i = s.search(/[=:]/);
    if (i <= 0) throw new Error(`attribute "${s}" must look like name=value`);
    out[s.slice(0, i).trim()] = s.slice(i + 1).trim();
  }
  return out;
}

export function showRegister() {
  const out = h('div');
  const form = h(
    'form.card.grid',
    {
      onsubmit: async (ev) => {
        ev.preventDefault();
        const file = form.elements.namedItem('image').files[0];
        const serial = field(form, 'serial');
        const steps = h('ol.steps');
        out.replaceChildren(steps);
        const step = (text) => {
          const li = h('li', text);
          steps.append(li);
          return li;
        };
        try {
          const attributes = parseAttributes(field(form, 'attributes'));
          const s1 = step(file ? `Registering ${serial} with its photo and fingerprint…` : `Creating part ${serial}…`);
          const r = await registerNewPart({ serial, partNumber: field(form, 'partNumber'), attributes }, file, { face: field(form, 'face'), device: field(form, 'device') });
          const fp = r.result?.fingerprint;
          s1.textContent = r.fingerprinted
            ? `Part ${serial} registered; fingerprint registered${fp ? ` (${fp.keypoints} keypoints, ${fp.extractor})` : ''}.`
            : file
              ? `Part ${serial} created; photo stored (this server does not fingerprint yet).`
              : `Part ${serial} created (no photo).`;
          out.append(notice('ok', h('strong', 'Registered. '), link(partHref(serial), `Open part ${serial}`)));
          form.reset();
        } catch (e) {
          out.append(errorNotice(e));
        }
      },
    },
    h('label', 'Serial', h('input', { name: 'serial', required: true, placeholder: 'SN-000123', pattern: '\\S(.*\\S)?' })),
    h('label', 'Part number', h('input', { name: 'partNumber', placeholder: 'optional' })),
    h('label.wide', 'Attributes (name=value, one per line)', h('textarea', { name: 'attributes', rows: 3, placeholder: 'machine=M2\nmaterial=PA12' })),
    h('label', 'Photo of the surface', h('input', { type: 'file', name: 'image', accept: 'image/*', capture: 'environment' })),
    h('label', 'Face', h('input', { name: 'face', placeholder: 'top' })),
    h('label', 'Device', h('input', { name: 'device', placeholder: 'phone, scanner…' })),
    h('div.wide', h('button', { type: 'submit' }, 'Register part')),
  );
  render(h('h1', 'Register a part'), h('p.muted', 'Operators and administrators: create the part, then photograph the surface so it can be recognised later.'), form, out);
}
