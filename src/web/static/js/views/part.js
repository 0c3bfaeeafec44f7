// #/part/SERIAL: images, attributes, history timeline, forms to record an event and add a photo.
import { cachedCapabilities, fillPath, get, pickRoute } from '../api.js';
import { registerPhoto } from '../identity.js';
import { authImage, dl, errorNotice, field, fmtTime, guard, h, notice, render } from '../ui.js';
import { eventForm } from './event-form.js';
import { timeline } from './timeline.js';

export async function showPart(serial) {
  render(h('h1', serial), h('p.muted', 'Loading…'));
  let part;
  try {
    part = await get(`/api/parts/${encodeURIComponent(serial)}`);
  } catch (e) {
    render(h('h1', serial), errorNotice(e));
    return;
  }
  const history = h('div', h('p.muted', 'Loading history…'));
  const reloadHistory = async () => {
    await guard(history, async () => history.replaceChildren(await timeline(serial)));
  };
  render(
    h(
      'div.parthead',
      h('h1', part.serial),
      part.partNumber ? h('span.tag.pn', `P/N ${part.partNumber}`) : null,
      h('a.action', { href: `#/check?serial=${encodeURIComponent(part.serial)}` }, 'Verify a photo against this part'),
    ),
    h(
      'div.cols',
      h(
        'section.card',
        h('h2', 'Attributes'),
        Object.keys(part.attributes).length ? dl(part.attributes) : h('p.muted', 'none'),
        dl({ registered: fmtTime(part.createdAt), updated: fmtTime(part.updatedAt) }),
      ),
      h('section.card', h('h2', `Images (${part.captures.length})`), captureGrid(part.captures), addPhotoForm(serial)),
    ),
    h('section.card', h('h2', 'History'), history),
    h('section.card', { 'data-needs': 'events:write' }, h('h2', 'Record an event'), eventForm(serial, reloadHistory)),
  );
  await reloadHistory();
}

const PREVIEW_ROUTES = ['/api/captures/{id}/preview', '/api/captures/{id}/thumbnail'];

/**
 * Capture thumbnails. Where the server offers a downscaled preview route, the grid uses it (scans
 * can be hundreds of megapixels, and browsers cannot show TIFF or PGM); a click shows the image
 * larger.
 */
export function captureGrid(captures) {
  if (!captures.length) return h('p.muted', 'No images yet.');
  const caps = cachedCapabilities();
  const preview = caps ? pickRoute(caps, 'GET', PREVIEW_ROUTES) : null;
  return h(
    'div.thumbs',
    captures.map((c) => {
      const box = authImage(preview ? fillPath(preview, { id: c.id }) : c.imageUrl, `capture ${c.id} of ${c.serial}`);
      box.addEventListener('click', () => box.classList.toggle('big'));
      return h(
        'figure.capture',
        box,
        h('figcaption', `#${c.id} · ${c.width}×${c.height}`, c.face ? ` · ${c.face}` : '', c.device ? ` · ${c.device}` : '', h('br'), fmtTime(c.capturedAt || c.createdAt)),
      );
    }),
  );
}

function addPhotoForm(serial) {
  const out = h('div');
  const form = h(
    'form.inline',
    {
      onsubmit: async (ev) => {
        ev.preventDefault();
        const file = form.elements.namedItem('image').files[0];
        if (!file) return;
        await guard(out, async () => {
          const r = await registerPhoto(serial, file, { face: field(form, 'face') });
          out.replaceChildren(notice('ok', r.fingerprinted ? 'Photo stored and fingerprint registered.' : 'Photo stored (this server does not fingerprint yet).'));
          setTimeout(() => showPart(serial), 600);
        });
      },
    },
    h('label', 'Add a photo', h('input', { type: 'file', name: 'image', accept: 'image/*', capture: 'environment', required: true })),
    h('label', 'Face', h('input', { name: 'face', placeholder: 'top', size: 8 })),
    h('button', { type: 'submit' }, 'Upload'),
  );
  return h('details', { 'data-needs': 'register' }, h('summary', 'Add a photo (operators)'), form, out);
}
