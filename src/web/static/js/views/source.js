// #/source: predict which machine / process / position made a part; vote distribution as bars.
import { get, post } from '../api.js';
import { barChart } from '../svg.js';
import { dl, errorNotice, fmtNum, h, notice, render } from '../ui.js';

export async function showSource() {
  let models;
  const head = [h('h1', 'Source prediction')];
  try {
    models = (await get('/api/models')).items;
  } catch (e) {
    if (e.status === 404) return render(...head, notice('warn', 'This server does not offer source prediction yet.'));
    return render(...head, errorNotice(e));
  }
  const active = models.filter((m) => m.active);
  const out = h('div');
  const sel = h(
    'select',
    { name: 'model' },
    h('option', { value: '' }, 'active model (default)'),
    models.map((m) => h('option', { value: m.name }, `${m.name} — ${m.attribute}${m.active ? ' (active)' : ''}`)),
  );
  const form = h(
    'form.card.grid',
    {
      onsubmit: async (ev) => {
        ev.preventDefault();
        const file = form.elements.namedItem('image').files[0];
        if (!file) return;
        const fd = new FormData();
        if (sel.value) fd.append('model', sel.value);
        fd.append('rois', form.elements.namedItem('rois').value || '16');
        fd.append('image', file, file.name);
        out.replaceChildren(h('p.muted.busy', 'Sampling ROIs and voting…'));
        try {
          const p = await post('/api/source/predict', fd);
          const chart = h('div.chart-wrap', { html: barChart(Object.entries(p.distribution), { highlight: p.bestClass }) });
          out.replaceChildren(
            p.unknown
              ? h('div.verdict.reject', h('div.big', 'UNKNOWN SOURCE'), h('div', `Closest: ${p.bestClass}, but below the model's open-set threshold.`))
              : h('div.verdict.accept', h('div.big', `${p.attribute ?? p.model.attribute}: ${p.label}`)),
            dl({ model: `${p.model.name} (${p.model.attribute})`, confidence: fmtNum(p.confidence), 'vote share': fmtNum(p.voteShare), ROIs: p.rois }),
            h('section.card', h('h2', 'Vote distribution (mean softmax over ROIs)'), chart),
          );
        } catch (e) {
          out.replaceChildren(errorNotice(e));
        }
      },
    },
    h('label', 'Model', sel),
    h('label', 'ROIs', h('input', { name: 'rois', type: 'number', min: 1, max: 999, value: 16 })),
    h('label.wide', 'High-resolution image of the part', h('input', { type: 'file', name: 'image', accept: 'image/*', required: true })),
    h('div.wide', h('button', { type: 'submit', disabled: models.length === 0 }, 'Predict')),
  );
  render(
    ...head,
    models.length ? h('p.muted', `${models.length} model(s); active: ${active.map((m) => `${m.name} (${m.attribute})`).join(', ') || 'none'}.`) : notice('warn', 'No source models registered. An administrator registers one (POST /api/models or "partprint source models register").'),
    form,
    out,
  );
}
