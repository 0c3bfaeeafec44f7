// #/ and #/parts?serial=&partNumber=&attr=name:value&page=: search parts, paginated.
import { get, query } from '../api.js';
import { authImage, errorNotice, field, fmtTime, h, link, partHref, render } from '../ui.js';

const PAGE = 25;

export async function showSearch(params) {
  const serial = params.get('serial') || '';
  const partNumber = params.get('partNumber') || '';
  const attrs = params.getAll('attr');
  const page = Math.max(0, Number(params.get('page') || 0));

  const form = h(
    'form.card.search',
    {
      onsubmit: (ev) => {
        ev.preventDefault();
        const attr = field(form, 'attrs').split(/[,\n]/).map((s) => s.trim()).filter(Boolean).map((s) => s.replace(/\s*[=:]\s*/, ':'));
        location.hash = `#/parts${query({ serial: field(form, 'serial'), partNumber: field(form, 'partNumber'), attr })}`;
      },
    },
    h('label', 'Serial contains', h('input', { name: 'serial', value: serial, placeholder: 'e.g. SN-00', autofocus: true })),
    h('label', 'Part number', h('input', { name: 'partNumber', value: partNumber })),
    h('label', 'Attributes', h('input', { name: 'attrs', value: attrs.join(', '), placeholder: 'machine=M2, material=PA12' })),
    h('button', { type: 'submit' }, 'Search'),
  );
  const results = h('div.results', h('p.muted', 'Searching…'));
  render(h('h1', 'Parts'), form, results);

  try {
    const res = await get(`/api/parts${query({ serial, partNumber, attr: attrs, limit: PAGE, offset: page * PAGE })}`);
    results.replaceChildren(resultTable(res, params, page));
  } catch (e) {
    results.replaceChildren(errorNotice(e));
  }
}

function resultTable(res, params, page) {
  if (res.total === 0) return h('p.muted', 'No parts match.');
  const pageLink = (p) => {
    const q = new URLSearchParams(params);
    q.set('page', String(p));
    return `#/parts?${q}`;
  };
  const last = Math.max(0, Math.ceil(res.total / PAGE) - 1);
  return h(
    'div',
    h(
      'table.list',
      h('thead', h('tr', h('th', { 'aria-label': 'photo' }, ''), h('th', 'Serial'), h('th', 'Part number'), h('th', 'Attributes'), h('th.num', 'Photos'), h('th.num', 'Events'), h('th', 'Registered'))),
      h(
        'tbody',
        res.items.map((p) =>
          h(
            'tr',
            h('td.thumbcell', p.thumbnailCaptureId ? h('a', { href: partHref(p.serial) }, authImage(`/api/captures/${p.thumbnailCaptureId}/preview?size=96`, `photo of ${p.serial}`, 'mini')) : h('span.muted', '–')),
            h('td', link(partHref(p.serial), p.serial)),
            h('td', p.partNumber ?? '–'),
            h('td.attrs', Object.entries(p.attributes).map(([k, v]) => h('span.tag', `${k}=${v}`))),
            h('td.num.photos', String(p.captureCount ?? 0)),
            h('td.num.events', String(p.eventCount ?? 0)),
            h('td', fmtTime(p.createdAt)),
          ),
        ),
      ),
    ),
    h(
      'div.pager',
      page > 0 ? link(pageLink(page - 1), '← previous') : h('span.muted', '← previous'),
      h('span', `${res.offset + 1}–${res.offset + res.items.length} of ${res.total}`),
      page < last ? link(pageLink(page + 1), 'next →') : h('span.muted', 'next →'),
    ),
  );
}
