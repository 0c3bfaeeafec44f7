// #/eval: model evaluation: source models' confusion matrices (from their cards' metrics) and the
// identity DET curve (from a finished identity evaluation job or a calibration route).
import { get, loadCapabilities, pickRoute } from '../api.js';
import { detCurve, detFromScores, heatmap } from '../svg.js';
import { dl, errorNotice, fmtNum, fmtTime, h, notice, render } from '../ui.js';

/** The confusion matrix in a model card's metrics (trainer: metrics.test.confusionMatrix). */
export function confusionOf(metrics) {
  if (!metrics) return null;
  for (const m of [metrics.test, metrics, metrics.val, metrics.evaluation]) {
    const c = m && (m.confusionMatrix || m.confusion);
    if (Array.isArray(c) && c.length) return { matrix: c, accuracy: m.accuracy, parts: m.parts, rois: m.rois };
  }
  return null;
}

/** DET points from an evaluation result: { det: [{fmr,fnmr}] } or { genuine: [], impostor: [] }. */
export function detOf(result) {
  if (!result || typeof result !== 'object') return null;
  const r = result.calibration && !result.det ? { ...result.calibration, ...result } : result;
  let points = null;
  if (Array.isArray(r.det) && r.det.length) points = r.det;
  else if (Array.isArray(r.genuine) && Array.isArray(r.impostor)) points = detFromScores(r.genuine, r.impostor);
  if (!points) return null;
  const op = r.operatingPoint || r.operating || null;
  return { points, mark: op && typeof op.fmr === 'number' ? op : null, threshold: r.threshold ?? op?.threshold ?? null, eer: r.eer ?? null };
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
    slot.replaceChildren(
      ...items.map((m) => {
        const c = confusionOf(m.metrics);
        return h(
          'section.card',
          h('h3', m.name, m.active ? h('span.badge.ok', 'active') : null),
          dl({ attribute: m.attribute, architecture: m.architecture, classes: m.classes.length, accuracy: c ? fmtNum(c.accuracy) : '–', 'test parts': c?.parts ?? '–', ROIs: c?.rois ?? '–' }),
          c ? h('div.chart-wrap', { html: heatmap(m.classes, c.matrix) }) : h('p.muted', 'No confusion matrix in this model\'s card.'),
        );
      }),
    );
  } catch (e) {
    slot.replaceChildren(errorNotice(e));
  }
}

async function fillIdentity(slot) {
  const caps = await loadCapabilities();
  try {
    const route = pickRoute(caps, 'GET', ['/api/identity/calibration', '/api/identity/evaluation', '/api/identity/det']);
    const found = [];
    if (route) {
      const d = detOf(await get(route));
      if (d) found.push({ title: 'current calibration', d });
    }
    const jobs = await get('/api/jobs?limit=50');
    for (const j of jobs.items) {
      if (j.status !== 'succeeded' || !/eval|calib/i.test(j.kind)) continue;
      const d = detOf(j.result);
      if (d) found.push({ title: `job #${j.id} (${j.kind}), ${fmtTime(j.finishedAt)}`, d });
    }
    if (!found.length) return slot.replaceChildren(notice('info', 'No identity evaluation yet. Run one (an administrator starts an evaluation job) to see the DET curve here.'));
    slot.replaceChildren(
      ...found.slice(0, 3).map(({ title, d }) =>
        h('section.card', h('h3', title), dl({ threshold: d.threshold === null ? '–' : fmtNum(d.threshold, 4), EER: d.eer === null ? '–' : fmtNum(d.eer, 4) }), h('div.chart-wrap', { html: detCurve(d.points, { mark: d.mark }) })),
      ),
    );
  } catch (e) {
    slot.replaceChildren(errorNotice(e));
  }
}
