// #/trace: forward and backward trace through the aggregation relation (packed/unpacked events,
// EPCIS AggregationEvents). "Which assemblies contain parts of build B-17?" and "what is inside X?".
import { get, query } from '../api.js';
import { errorNotice, field, h, render } from '../ui.js';

function partLink(node) {
  const label = `${node.key}${node.partNumber ? ` [${node.partNumber}]` : ''}${node.epc ? ` (${node.epc})` : ''}`;
  return node.registered ? h('a', { href: `#/part/${encodeURIComponent(node.key)}` }, label) : h('span.muted', { title: 'not a registered part' }, label);
}

function tree(node) {
  return h('li', partLink(node), node.since ? h('span.muted', ` since ${node.since}`) : null, node.children.length ? h('ul', node.children.map(tree)) : null);
}

async function inside(out, key, at) {
  const root = await get(`/api/trace/contents${query({ of: key, at })}`);
  const count = (n) => n.children.reduce((s, c) => s + 1 + count(c), 0);
  out.replaceChildren(
    h('section.card.trace-contents', h('h2', `Inside ${root.key}: ${count(root)} item(s)`), root.children.length ? h('ul.tree', root.children.map(tree)) : h('p.muted', 'Nothing is inside.')),
  );
}

async function containers(out, where, at) {
  const eq = where.indexOf('=');
  const params = eq > 0 ? { attribute: where.slice(0, eq).trim(), value: where.slice(eq + 1).trim(), at } : { serial: where.split(',').map((s) => s.trim()).filter(Boolean), at };
  const res = await get(`/api/trace/containers${query(params)}`);
  if (!res.parts.length) return out.replaceChildren(h('p.muted', 'No parts match.'));
  out.replaceChildren(
    h('section.card.trace-containers',
      h('h2', `${res.containers.length} container(s) hold parts of ${where}`),
      h('table.list', h('thead', h('tr', h('th', 'container'), h('th', 'level'), h('th', 'parts inside'))),
        h('tbody', res.containers.map((c) => h('tr', h('td', partLink(c)), h('td', c.level), h('td', c.parts.join(', '))))))),
    h('section.card', h('h2', 'Per part'),
      h('table.list', h('thead', h('tr', h('th', 'part'), h('th', 'inside (innermost first)'))),
        h('tbody', res.parts.map((p) => h('tr', h('td', partLink(p)), h('td', p.containers.length ? p.containers.map((c, i) => [i ? ' ⊂ ' : '', partLink(c)]) : h('span.muted', 'in no container'))))))),
  );
}

export function showTrace(params = new URLSearchParams()) {
  const out = h('div');
  const run = (fn) => async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    out.replaceChildren(h('p.muted.busy', 'Tracing…'));
    try {
      await fn(out, field(form, 'q'), field(form, 'at') || undefined);
    } catch (e) {
      out.replaceChildren(errorNotice(e));
    }
  };
  const back = h('form.card.grid#trace-up', { onsubmit: run(containers) },
    h('label.wide', 'Which assemblies contain… (attribute=value, or serials / EPCs separated by commas)', h('input', { name: 'q', required: true, value: params.get('where') || 'build=B-17' })),
    h('label', 'At (optional)', h('input', { name: 'at', placeholder: '2026-03-01T12:00:00Z' })),
    h('div', h('button', { type: 'submit' }, 'Trace back')));
  const fwd = h('form.card.grid#trace-down', { onsubmit: run(inside) },
    h('label.wide', 'What is inside… (a serial or an EPC, e.g. an SSCC)', h('input', { name: 'q', required: true, value: params.get('of') || '' })),
    h('label', 'At (optional)', h('input', { name: 'at', placeholder: '2026-03-01T12:00:00Z' })),
    h('div', h('button', { type: 'submit' }, 'Trace forward')));
  render(h('h1', 'Trace'), h('p.muted', 'Through the assembly relation: parts packed into assemblies, cases and pallets (packed / unpacked events, EPCIS AggregationEvents).'), back, fwd, out);
}
