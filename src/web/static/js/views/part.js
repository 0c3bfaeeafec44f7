// #/part/SERIAL: images, attributes, history timeline, forms to record an event and add a photo.
import { cachedCapabilities, fillPath, get, pickRoute } from '../api.js';
import { registerPhoto } from '../identity.js';
import { authImage, dl, errorNotice, field, fmtNum, fmtTime, guard, h, notice, render } from '../ui.js';
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
  const checks = h('div', h('p.muted', 'Loading checks…'));
  const reloadHistory = async () => {
    await guard(history, async () => history.replaceChildren(await timeline(serial)));
    await guard(checks, async () => checks.replaceChildren(await checkList(serial)));
  };
  const sourceBox = h('div', h('p.muted', 'Predicting…'));
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
    h('div.cols', h('section.card.checks', h('h2', 'Checks'), checks), h('section.card.source', h('h2', 'Source prediction'), sourceBox)),
    h('section.card', h('h2', 'History'), history),
    h('section.card', { 'data-needs': 'events:write' }, h('h2', 'Record an event'), eventForm(serial, reloadHistory)),
  );
  showSource(serial, sourceBox);
  await reloadHistory();
}

const CHECK_PREFIX = 'identity check';

/** Every identify/verify recorded against this part: the photo, the verdict, S against the threshold, who and when. */
async function checkList(serial) {
  const { items } = await get(`/api/parts/${encodeURIComponent(serial)}/events?type=inspected`);
  const found = items.filter((e) => typeof e.notes === 'string' && e.notes.startsWith(CHECK_PREFIX)).reverse();
  if (!found.length) return h('p.muted', 'Nobody has checked a photo against this part yet.');
  return h(
    'ul.checklist',
    found.map((e) => {
      const hash = /sha256:([0-9a-f]{64})/.exec(e.notes)?.[1];
      const how = /\((verify 1:1|identify 1:N)\)/.exec(e.notes)?.[1] ?? 'check';
      const m = (e.fields && e.fields.measurements) || {};
      const pass = e.fields && e.fields.result === 'pass';
      return h(
        'li.check',
        { id: `check-${e.id}`, 'data-result': pass ? 'pass' : 'fail' },
        hash ? authImage(`/api/check-photos/${hash}`, `photo checked at ${fmtTime(e.occurredAt)}`, 'mini') : null,
        h(
          'div',
          h(`strong.result.${pass ? 'pass' : 'fail'}`, pass ? 'Same part' : 'Not this part'),
          ` · ${how}`,
          h('div', `S = ${m.score ? fmtNum(m.score.value, 4) : '–'} (threshold ${m.threshold ? fmtNum(m.threshold.value, 4) : '–'})`, m.inliers ? ` · ${m.inliers.value} inlier pairs` : ''),
          h('div.muted', `${fmtTime(e.occurredAt)}${e.actor ? ` by ${e.actor}` : ''}`),
        ),
      );
    }),
  );
}

/** Which machine (or process, tray position…) made the part, by the active source model, from its first photo. */
async function showSource(serial, box) {
  const caps = cachedCapabilities();
  if (caps && !caps.has('GET', '/api/parts/{serial}/source')) {
    box.replaceChildren(h('p.muted', 'This server does not predict sources.'));
    return;
  }
  try {
    const p = await get(`/api/parts/${encodeURIComponent(serial)}/source`);
    const pct = (x) => `${(100 * x).toFixed(0)}%`;
    const ranked = Object.entries(p.distribution).sort((a, b) => b[1] - a[1]).slice(0, 3);
    box.replaceChildren(
      h('p.prediction', p.label === null ? h('strong', 'Unknown source') : h('span', `${p.model.attribute}: `, h('strong.label', p.label)), ` (confidence ${pct(p.confidence)})`),
      dl({ model: p.model.name, 'from photo': `#${p.captureId}`, ROIs: String(p.rois), 'most likely': ranked.map(([c, v]) => `${c} ${pct(v)}`).join(', ') }),
    );
  } catch (e) {
    box.replaceChildren(e && e.status === 404 ? h('p.muted', e.message) : errorNotice(e));
  }
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
