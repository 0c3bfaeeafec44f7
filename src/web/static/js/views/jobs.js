// #/jobs: background jobs with live progress (polling; the open job also streams SSE), and the
// bulk import of a parts CSV with its images.
import { get, getKey, post } from '../api.js';
import { errorNotice, fmtTime, h, onLeave, render } from '../ui.js';

function progressBar(job) {
  const p = job.progress;
  const frac = job.status === 'succeeded' ? 1 : p && p.total ? Math.min(1, p.done / p.total) : 0;
  // The width is set through the CSSOM: a style="" attribute is inline style, which the CSP refuses.
  const fill = h(`div.fill.${job.status}`);
  fill.style.width = `${(frac * 100).toFixed(1)}%`;
  return h(
    'div.progress',
    { title: p ? `${p.phase}: ${p.done}/${p.total}${p.detail ? ` – ${p.detail}` : ''}` : job.status },
    fill,
    h('span', p ? `${p.phase} ${p.done}/${p.total}` : job.status),
  );
}

function jobRow(job) {
  return h(
    'tr',
    { id: `job-${job.id}` },
    h('td', `#${job.id}`),
    h('td', job.kind),
    h('td', h(`span.status.${job.status}`, job.status)),
    h('td.wide', progressBar(job), job.error ? h('div.err', job.error) : null),
    h('td', fmtTime(job.createdAt)),
    h('td', job.createdBy ?? ''),
  );
}

/** Follows one job's SSE stream (fetch, so the key can be sent); calls onJob per update. */
export async function followJob(id, onJob, signal) {
  const res = await fetch(`/api/jobs/${id}/events`, { headers: { authorization: `Bearer ${getKey()}` }, signal });
  if (!res.ok || !res.body) return;
  const reader = res.body.pipeThrough(new window.TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      if (data) onJob(JSON.parse(data));
    }
  }
}

export async function showJobs() {
  const table = h('tbody');
  const msg = h('div');
  const importOut = h('div');
  const streams = new Map();
  const abort = new window.AbortController();
  let timer = null;
  onLeave(() => {
    abort.abort();
    if (timer) window.clearTimeout(timer);
  });

  const upsert = (job) => {
    const row = jobRow(job);
    const old = table.querySelector(`#job-${job.id}`);
    if (old) old.replaceWith(row);
    else table.prepend(row);
  };

  async function refresh() {
    if (abort.signal.aborted) return;
    try {
      const { items } = await get('/api/jobs?limit=30');
      if (abort.signal.aborted) return;
      table.replaceChildren(...items.map(jobRow));
      for (const j of items) {
        if ((j.status === 'running' || j.status === 'queued') && !streams.has(j.id)) {
          streams.set(j.id, followJob(j.id, upsert, abort.signal).catch(() => undefined));
        }
      }
      const busy = items.some((j) => j.status === 'running' || j.status === 'queued');
      timer = window.setTimeout(refresh, busy ? 1500 : 5000);
    } catch (e) {
      msg.replaceChildren(errorNotice(e));
    }
  }

  const form = h(
    'form.card.grid',
    {
      onsubmit: async (ev) => {
        ev.preventDefault();
        const fd = new FormData();
        fd.append('csv', form.elements.namedItem('csv').files[0]);
        for (const f of form.elements.namedItem('images').files) fd.append('images', f, f.name);
        if (form.elements.namedItem('dryRun').checked) fd.append('dryRun', 'true');
        try {
          const job = await post('/api/jobs/import-parts', fd);
          importOut.replaceChildren(h('p', `Started job #${job.id}.`));
          upsert(job);
          streams.set(job.id, followJob(job.id, upsert, abort.signal).catch(() => undefined));
        } catch (e) {
          importOut.replaceChildren(errorNotice(e));
        }
      },
    },
    h('label', 'Parts CSV', h('input', { type: 'file', name: 'csv', accept: '.csv,text/csv', required: true })),
    h('label', 'Images named in the CSV', h('input', { type: 'file', name: 'images', accept: 'image/*', multiple: true })),
    h('label.check', h('input', { type: 'checkbox', name: 'dryRun' }), ' check only (dry run)'),
    h('div.wide', h('button', { type: 'submit' }, 'Import')),
  );

  render(
    h('h1', 'Jobs'),
    msg,
    h('table.list.jobs', h('thead', h('tr', h('th', 'Job'), h('th', 'Kind'), h('th', 'Status'), h('th', 'Progress'), h('th', 'Created'), h('th', 'By'))), table),
    h('details', { 'data-needs': 'parts:write' }, h('summary', 'Bulk import of parts (CSV + images)'), form, importOut),
  );
  await refresh();
}
