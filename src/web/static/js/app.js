// Hash router: #/ (parts), #/part/SERIAL, #/check, #/capture, #/register, #/source, #/eval, #/analytics, #/trace, #/jobs, #/key.
import { getKey, loadCapabilities, whoami } from './api.js';
import { errorNotice, h, leaveView, render } from './ui.js';
import { showAnalytics } from './views/analytics.js';
import { showCapture } from './views/capture.js';
import { showCheck } from './views/check.js';
import { showEval } from './views/evaluate.js';
import { showJobs } from './views/jobs.js';
import { showKey } from './views/key.js';
import { showPart } from './views/part.js';
import { showRegister } from './views/register.js';
import { showSearch } from './views/search.js';
import { showSource } from './views/source.js';
import { showTrace } from './views/trace.js';
import { showWelcome } from './views/welcome.js';

const routes = [
  [/^#?\/?$/, 'parts', () => showSearch(new URLSearchParams())],
  [/^#\/parts(?:\?(.*))?$/, 'parts', (m) => showSearch(new URLSearchParams(m[1] || ''))],
  [/^#\/part\/([^?]+)$/, 'parts', (m) => showPart(decodeURIComponent(m[1]))],
  [/^#\/check(?:\?(.*))?$/, 'check', (m) => showCheck(new URLSearchParams(m[1] || ''))],
  [/^#\/capture(?:\?(.*))?$/, 'capture', (m) => showCapture(new URLSearchParams(m[1] || ''))],
  [/^#\/register$/, 'register', () => showRegister()],
  [/^#\/source$/, 'source', () => showSource()],
  [/^#\/eval$/, 'eval', () => showEval()],
  [/^#\/analytics(?:\?(.*))?$/, 'analytics', (m) => showAnalytics(new URLSearchParams(m[1] || ''))],
  [/^#\/trace(?:\?(.*))?$/, 'trace', (m) => showTrace(new URLSearchParams(m[1] || ''))],
  [/^#\/jobs$/, 'jobs', () => showJobs()],
  [/^#\/key$/, 'key', () => showKey(refreshWho)],
];

async function route() {
  leaveView();
  const hash = location.hash || '#/';
  for (const [re, name, show] of routes) {
    const m = re.exec(hash);
    if (!m) continue;
    for (const a of document.querySelectorAll('[data-route]')) a.classList.toggle('active', a.dataset.route === name);
    // No key in this browser yet: every page but the key page would only answer 401.
    if (!getKey() && name !== 'key') {
      showWelcome(async () => {
        await refreshWho();
        await route();
      });
      return;
    }
    try {
      await show(m);
    } catch (e) {
      render(errorNotice(e));
    }
    return;
  }
  render(h('h1', 'Not found'), h('p', `No page ${hash}. `, h('a', { href: '#/' }, 'Parts')));
}

/** Header: who am I (role), or a prompt to enter a key. */
export async function refreshWho() {
  const el = document.getElementById('who');
  try {
    const me = await whoami();
    el.replaceChildren(me ? h('span', h('span.role', me.role), ` ${me.name}`) : h('span.nokey', 'Enter API key'));
    el.title = me ? `key ${me.keyId}: ${me.permissions.join(', ')}` : 'No valid API key';
    document.body.dataset.role = me ? me.role : '';
    // Elements marked data-needs="permission" show only to keys that have it (the server checks anyway).
    document.body.dataset.perms = me ? me.permissions.join(' ') : '';
  } catch {
    el.replaceChildren(h('span.nokey', 'Key?'));
  }
}

async function start() {
  const caps = await loadCapabilities();
  // Hide pages whose capability the server lacks.
  if (!caps.has('POST', '/api/source/predict')) document.querySelector('[data-route=source]')?.classList.add('unavailable');
  window.addEventListener('hashchange', route);
  await Promise.all([refreshWho(), route()]);
}

start();
