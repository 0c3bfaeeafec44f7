// #/check: photograph a part, identify it (or verify against a serial), see the evidence side by
// side with the inlier pairs, the decision and score, and the part's history.
import { get } from '../api.js';
import { identify, identityRoutes, verify } from '../identity.js';
import { authImage, dl, errorNotice, field, fmtNum, h, link, notice, partHref, render } from '../ui.js';
import { captureGrid } from './part.js';
import { timeline } from './timeline.js';

export async function showCheck(params = new URLSearchParams()) {
  const routes = await identityRoutes();
  const result = h('div.result');
  const preview = h('div.preview');
  const input = h('input', {
    type: 'file',
    name: 'image',
    accept: 'image/*',
    capture: 'environment',
    required: true,
    onchange: () => {
      const f = input.files[0];
      preview.replaceChildren(f ? h('img.thumb', { src: URL.createObjectURL(f), alt: 'photo to check' }) : '');
    },
  });
  const form = h(
    'form.card.check',
    {
      onsubmit: async (ev) => {
        ev.preventDefault();
        const file = input.files[0];
        if (!file) return;
        const serial = field(form, 'serial');
        result.replaceChildren(h('p.muted.busy', serial ? `Verifying against ${serial}…` : 'Identifying…'));
        try {
          const answer = serial ? await verify(serial, file) : await identify(file);
          result.replaceChildren(await showAnswer(answer));
        } catch (e) {
          result.replaceChildren(errorNotice(e));
        }
      },
    },
    h('label', 'Photo of the part', input),
    routes.verify ? h('label', 'Expected serial (optional: verify 1:1 instead of searching)', h('input', { name: 'serial', placeholder: 'leave empty to identify', value: params.get('serial') || '' })) : null,
    h('button', { type: 'submit', disabled: !routes.identify }, 'Check'),
    preview,
  );
  render(
    h('h1', 'Check a part'),
    routes.identify ? h('p.muted', 'Take or upload a photo of the part\'s surface. The registry is searched for the same individual part.') : notice('warn', 'This server does not offer identification yet (identity is not wired in).'),
    form,
    result,
  );
}

function evidenceImage(evidence) {
  if (!evidence) return null;
  if (/^(data:|blob:|\/)/.test(evidence)) return authImage(evidence, 'match evidence: query and registered capture with inlier pairs', 'evidence');
  return h('div.imgbox', h('img.evidence', { src: `data:image/png;base64,${evidence}`, alt: 'match evidence' }));
}

export async function showAnswer(a) {
  if (a.rejected) {
    return h(
      'div',
      h('div.verdict.retake#verdict', { 'data-decision': 'rejected' }, h('div.big', 'PHOTO REJECTED'), h('div', 'The photo cannot be used (sharpness, exposure or too little texture). Take it again, closer and in focus.'), a.reason ? h('div.reason', a.reason) : null),
    );
  }
  if (!a.registered) {
    return h(
      'div',
      h(
        'div.verdict.reject#verdict',
        { 'data-decision': 'not-registered' },
        h('div.big', a.mode === 'verify' && !/not[_ -]?registered/i.test(a.decision) ? 'NO MATCH' : 'NOT REGISTERED'),
        h('div', a.mode === 'verify' ? `This photo does not match a registered part ${a.raw.serial ?? ''}.` : 'No registered part matches this photo. Treat the part as unknown: it may be counterfeit or never registered.'),
        a.reason ? h('div.reason', a.reason) : null,
      ),
      scoreBlock(a),
      candidatesTable(a),
    );
  }
  const history = h('div', h('p.muted', 'Loading history…'));
  const images = h('div');
  const out = h(
    'div',
    h(
      'div.verdict.accept#verdict',
      { 'data-decision': 'match' },
      h('div.big', 'MATCH'),
      h('div', 'This is part ', link(partHref(a.serial), h('strong.serial', a.serial)), '.'),
    ),
    scoreBlock(a),
    a.evidence ? h('section.card', h('h2', 'Evidence: the registration photo and yours, matching surface points marked'), h('figure.evidence', evidenceImage(a.evidence), h('figcaption', evidenceCaption(a)))) : null,
    candidatesTable(a),
    h('div.cols', h('section.card', h('h2', 'History'), history), h('section.card', h('h2', 'Registered images'), images)),
  );
  timeline(a.serial).then((t) => history.replaceChildren(t), (e) => history.replaceChildren(errorNotice(e)));
  get(`/api/parts/${encodeURIComponent(a.serial)}`).then((p) => images.replaceChildren(dl(p.attributes), captureGrid(p.captures)), (e) => images.replaceChildren(errorNotice(e)));
  return out;
}

/** What the evidence picture shows, in words (the picture's own label is for the record). */
function evidenceCaption(a) {
  const agree = a.inliers === null ? 'Many' : `${a.inliers}${a.total !== null ? ` of ${a.total}` : ''}`;
  const score = a.score === null ? '' : ` Their share, S = ${fmtNum(a.score, 3)}, is above the ${a.threshold === null ? 'calibrated threshold' : `threshold of ${fmtNum(a.threshold, 3)}`} that separates one part from its look-alikes.`;
  return `Circles of one colour mark the same tiny surface feature in the registration photo and in yours. ${agree} matched features agree on a single consistent position of the part, which happens only when both photos show the same individual part.${score}`;
}

function scoreBlock(a) {
  return dl({
    decision: a.decision,
    'score S = inliers / total': a.score === null ? '–' : fmtNum(a.score, 4),
    threshold: a.threshold === null ? '–' : fmtNum(a.threshold, 4),
    inliers: a.inliers === null ? '–' : `${a.inliers}${a.total !== null ? ` of ${a.total}` : ''}`,
  });
}

function candidatesTable(a) {
  if (!a.candidates.length) return null;
  return h(
    'details',
    h('summary', `Ranked candidates (${a.candidates.length})`),
    h(
      'table.list',
      h('thead', h('tr', h('th', '#'), h('th', 'Serial'), h('th', 'Score'), h('th', 'Inliers'))),
      h('tbody', a.candidates.map((c, i) => h('tr', h('td', i + 1), h('td', c.serial ? link(partHref(c.serial), c.serial) : '–'), h('td', fmtNum(c.score, 4)), h('td', c.inliers ?? '–')))),
    ),
  );
}
