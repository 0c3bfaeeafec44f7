// #/eval: model evaluation: source models' confusion matrices (from their cards' metrics) and the
// identity DET curve (from a finished identity evaluation job or a calibration route).
import { get, loadCapabilities, pickRoute, post } from '../api.js';
import { detCurve, detFromScores, heatmap } from '../svg.js';
import { dl, errorNotice, field, fmtNum, fmtTime, h, notice, render } from '../ui.js';
import { followJob } from './jobs.js';

/** The confusion matrix in a model card's metrics (trainer: metrics.test.confusionMatrix). */
export function confusionOf(metrics) {
  if (!metrics) return null;
  for (const m of [metrics.test, metrics, metrics.val, metrics.evaluation]) {
    const c = m && (m.confusionMatrix || m.confusion);
    if (Array.isArray(c) && c.length) return { matrix: c, accuracy: m.accuracy, parts: m.parts, rois: m.rois };
  }
  return null;
}

/**
 * What an identity evaluation result offers: a DET drawn by the server (`detSvg`, plus
 * `histogramSvg`), or points (`det` / `curve` [{fmr, fnmr}]) or raw `genuine`/`impostor` scores
 * that are drawn here; with the summary numbers (EER, thresholds, operating points).
 */
export function detOf(result) {
  if (!result || typeof result !== 'object') return null;
  const r = result.calibration && !result.detSvg ? { ...result.calibration, ...result } : result;
  let points = null;
  for (const key of ['det', 'curve']) if (Array.isArray(r[key]) && r[key].length) points = r[key];
  if (!points && Array.isArray(r.genuine) && Array.isArray(r.impostor)) points = detFromScores(r.genuine, r.impostor);
  const svgs = ['detSvg', 'histogramSvg'].map((k) => r[k]).filter((v) => typeof v === 'string' && v.trim().startsWith('<'));
  if (!points && !svgs.length) return null;
  const op = (r.operatingPoints || []).find((o) => o.targetFmr === r.targetFmr) || null;
  return { points, svgs, mark: op, summary: r };
}

const svgImage = (svg, alt) => h('img.chart', { src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`, alt });

function identityCard(title, d) {
  const r = d.summary;
  const pct = (x) => (typeof x === 'number' ? `${(x * 100).toFixed(2)}%` : '–');
  return h(
    'section.card.identity-eval',
    h('h3', title),
    dl({
      'genuine / impostor pairs': r.genuineCount !== undefined ? `${r.genuineCount} / ${r.impostorCount}` : '–',
      'equal error rate': pct(r.eer),
      [`threshold for FMR ${r.targetFmr ?? ''}`]: typeof r.threshold === 'number' ? fmtNum(r.threshold, 4) : '–',
      'threshold in use': typeof r.currentThreshold === 'number' ? fmtNum(r.currentThreshold, 4) : r.applied === true ? 'this one (applied)' : r.applied === false ? 'unchanged (not applied)' : '–',
    }),
    Array.isArray(r.operatingPoints) && r.operatingPoints.length
      ? h(
          'table.list.ops',
          h('thead', h('tr', h('th', 'target FMR'), h('th', 'threshold'), h('th', 'FMR'), h('th', 'FNMR'))),
          h('tbody', r.operatingPoints.map((o) => h('tr', h('td', o.targetFmr), h('td', fmtNum(o.threshold, 4)), h('td', pct(o.fmr)), h('td', o.measurable === false ? 'too few impostor pairs' : pct(o.fnmr))))),
        )
      : null,
    h('div.charts', d.svgs.map((svg, i) => svgImage(svg, i === 0 ? 'DET curve' : 'score histogram')), d.points ? h('div.chart-wrap', { html: detCurve(d.points, { mark: d.mark }) }) : null),
  );
}

export async function showEval() {
  const models = h('div', h('p.muted', 'Loading models…'));
  const identity = h('div', h('p.muted', 'Looking for identity evaluations…'));
  render(h('h1', 'Model evaluation'), h('section', h('h2', 'Identity: DET curve'), identity), h('section', h('h2', 'Source models: confusion matrices'), models));
  await Promise.all([fillModels(models), fillIdentity(identity)]);
}

async function fillModels(slot) {
  const caps = await loadCapabilities();
  if (!caps.has('GET', '/api/models')) return slot.replaceChildren(notice('info', 'This server has no source models route yet.'));
  try {
    const { items } = await get('/api/models');
    if (!items.length) return slot.replaceChildren(h('p.muted', 'No source models registered.'));
    const runs = h('div');
    slot.replaceChildren(
      ...items.map((m) => {
        const c = confusionOf(m.metrics);
        return h(
          'section.card.model-card',
          h('h3', m.name, m.active ? h('span.badge.ok', 'active') : null),
          dl({ attribute: m.attribute, architecture: m.architecture, classes: m.classes.length, accuracy: c ? fmtNum(c.accuracy) : '–', 'test parts': c?.parts ?? '–', ROIs: c?.rois ?? '–' }),
          c ? h('div.chart-wrap', { html: heatmap(m.classes, c.matrix) }) : h('p.muted', 'No confusion matrix in this model\'s card (trainer metrics).'),
        );
      }),
      caps.has('POST', '/api/jobs/evaluate-source') ? sourceEvalForm(items, () => listSourceRuns(runs)) : null,
      runs,
    );
    await listSourceRuns(runs);
  } catch (e) {
    slot.replaceChildren(errorNotice(e));
  }
}

/** Administrators: evaluate a model on an exported dataset folder on the server (a job). */
function sourceEvalForm(models, onDone) {
  const status = h('div');
  const form = h(
    'form.card.grid',
    {
      'data-needs': 'jobs:admin',
      onsubmit: async (ev) => {
        ev.preventDefault();
        const body = { model: field(form, 'model'), dataset: field(form, 'dataset'), split: field(form, 'split'), k: Number(field(form, 'k')) || 16 };
        try {
          const job = await post('/api/jobs/evaluate-source', body);
          status.replaceChildren(h('p.busy', `Evaluation job #${job.id} queued…`));
          await followJob(job.id, (j) => {
            const p = j.progress;
            status.replaceChildren(j.status === 'failed' ? errorNotice(new Error(`job #${j.id} failed: ${j.error}`)) : h(`p${j.status === 'succeeded' ? '' : '.busy'}`, `Evaluation job #${j.id}: ${j.status}${p ? ` (${p.phase} ${p.done}/${p.total})` : ''}`));
          });
          await onDone();
        } catch (e) {
          status.replaceChildren(errorNotice(e));
        }
      },
    },
    h('label', 'Model', h('select', { name: 'model' }, models.map((m) => h('option', { value: m.name }, `${m.name} (${m.attribute})`)))),
    h('label', 'Dataset folder on the server', h('input', { name: 'dataset', required: true, placeholder: '/data/datasets/machine' })),
    h('label', 'Split', h('select', { name: 'split' }, ['test', 'val', 'train', 'all'].map((x) => h('option', { value: x }, x)))),
    h('label', 'ROIs voted', h('input', { name: 'k', type: 'number', min: 1, max: 256, value: 16 })),
    h('div.wide', h('button', { type: 'submit' }, 'Evaluate source model'), status),
  );
  return h('details', { 'data-needs': 'jobs:admin' }, h('summary', 'Evaluate a source model on a dataset (administrators)'), form);
}

async function listSourceRuns(slot) {
  const jobs = await get('/api/jobs?limit=50');
  const cards = [];
  for (const j of jobs.items) {
    const r = j.result;
    if (j.status !== 'succeeded' || j.kind !== 'evaluate-source' || !r || !Array.isArray(r.confusion)) continue;
    if (cards.length >= 3) break;
    cards.push(
      h(
        'section.card.source-eval',
        h('h3', `${r.model}: ${r.attribute}, ${r.split} split (job #${j.id}, ${fmtTime(j.finishedAt)})`),
        dl({ accuracy: fmtNum(r.accuracy), parts: r.parts, images: r.images, 'ROIs voted': r.k, 'within one tray step': r.adjacentAccuracy === null || r.adjacentAccuracy === undefined ? '–' : fmtNum(r.adjacentAccuracy) }),
        h('div.charts', h('div.chart-wrap', { html: heatmap(r.classes, r.confusion) }), typeof r.accuracyVsRoisSvg === 'string' ? svgImage(r.accuracyVsRoisSvg, 'accuracy vs ROIs') : null),
      ),
    );
  }
  slot.replaceChildren(...cards);
}

async function fillIdentity(slot) {
  const caps = await loadCapabilities();
  const runRoute = pickRoute(caps, 'POST', ['/api/jobs/evaluate-identity']);
  const status = h('div');
  const found = h('div', h('p.muted', 'Looking for identity evaluations…'));
  const run = runRoute
    ? h(
        'form.inline',
        {
          'data-needs': 'jobs:admin',
          onsubmit: async (ev) => {
            ev.preventDefault();
            try {
              const body = {};
              const fmr = Number(run.elements.namedItem('targetFmr').value);
              const maxImp = Number(run.elements.namedItem('maxImpostor').value);
              if (fmr > 0) body.targetFmr = fmr;
              if (maxImp > 0) body.maxImpostor = Math.round(maxImp);
              if (run.elements.namedItem('apply')?.checked) body.apply = true;
              const job = await post(runRoute, body);
              status.replaceChildren(h('p.busy', `Evaluation job #${job.id} running…`));
              await followJob(job.id, (j) => {
                const p = j.progress;
                status.replaceChildren(j.status === 'failed' ? errorNotice(new Error(`job #${j.id} failed: ${j.error}`)) : h(`p${j.status === 'succeeded' ? '' : '.busy'}`, `Evaluation job #${j.id}: ${j.status}${p ? ` (${p.phase} ${p.done}/${p.total})` : ''}`));
              });
              await listEvaluations(found);
            } catch (e) {
              status.replaceChildren(errorNotice(e));
            }
          },
        },
        h('label', 'Target FMR', h('input', { name: 'targetFmr', type: 'number', step: 'any', min: '0.00001', max: '0.5', value: '0.001', size: 8 })),
        h('label', 'Impostor pairs (at most)', h('input', { name: 'maxImpostor', type: 'number', min: '10', step: '1', value: '2000', size: 8 })),
        caps.has('POST', runRoute) && JSON.stringify(caps.openapi?.paths?.[runRoute] ?? '').includes('"apply"')
          ? h('label.check', h('input', { type: 'checkbox', name: 'apply' }), ' use the new threshold from now on')
          : null,
        h('button', { type: 'submit' }, 'Evaluate identification now'),
        h('span.muted', 'genuine pairs: captures of one part; impostor pairs: different parts (administrators)'),
      )
    : null;
  slot.replaceChildren(h('div', run, status, found));
  await listEvaluations(found);
}

async function listEvaluations(slot) {
  const caps = await loadCapabilities();
  try {
    const cards = [];
    const route = pickRoute(caps, 'GET', ['/api/identity/calibration', '/api/identity/evaluation']);
    if (route) {
      const d = detOf(await get(route));
      if (d) cards.push(identityCard('current calibration', d));
    }
    const jobs = await get('/api/jobs?limit=50');
    for (const j of jobs.items) {
      if (j.status !== 'succeeded' || !/eval|calib/i.test(j.kind)) continue;
      const d = detOf(j.result);
      if (d && cards.length < 3) cards.push(identityCard(`job #${j.id} (${j.kind}), ${fmtTime(j.finishedAt)}`, d));
    }
    slot.replaceChildren(...(cards.length ? cards : [notice('info', 'No identity evaluation yet. An administrator runs one to see the DET curve here.')]));
  } catch (e) {
    slot.replaceChildren(errorNotice(e));
  }
}
