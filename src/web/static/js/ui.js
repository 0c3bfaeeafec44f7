// Small DOM helpers: element builder, notices, formatting.
import { ApiError, imageUrl } from './api.js';

/** h('div.card#id', { onclick, class, ... }, children...) */
export function h(tag, attrs, ...children) {
  const m = /^([a-z0-9]+)((?:[.#][\w-]+)*)$/i.exec(tag);
  const el = document.createElement(m ? m[1] : tag);
  if (m && m[2]) {
    for (const part of m[2].match(/[.#][\w-]+/g)) {
      if (part[0] === '.') el.classList.add(part.slice(1));
      else el.id = part.slice(1);
    }
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof window.Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = [el.className, v].filter(Boolean).join(' ');
    else if (k === 'html') el.innerHTML = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof window.Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the main view's content. */
export function render(...children) {
  const main = document.getElementById('view');
  main.replaceChildren();
  append(main, children);
  return main;
}

/** A notice box (kind: info | ok | warn | error). */
export function notice(kind, ...children) {
  return h(`div.notice.${kind}`, { role: kind === 'error' ? 'alert' : 'status' }, ...children);
}

export function errorNotice(e) {
  if (e instanceof ApiError && e.status === 401) {
    // A key that stopped working (revoked, or the server's data was replaced): say what to do, not the code.
    return notice('warn', 'This page needs a valid API key; the one stored in this browser is not accepted. ', h('a', { href: '#/key' }, 'Enter another key'), '.');
  }
  if (e instanceof ApiError) {
    const hint = e.status === 401 ? ' Enter a valid API key under "Key".' : e.status === 403 ? ' Your key\'s role may not do this.' : '';
    return notice('error', h('strong', `${e.code}: `), e.message, hint);
  }
  return notice('error', String(e && e.message ? e.message : e));
}

/** Runs an async action, showing its error in `slot` (an element) instead of throwing. */
export async function guard(slot, fn) {
  slot.replaceChildren();
  try {
    return await fn();
  } catch (e) {
    slot.replaceChildren(errorNotice(e));
    return undefined;
  }
}

export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').replace(/:\d\d\.\d+Z$|:\d\dZ$/, ' UTC');
}

export function fmtNum(x, digits = 3) {
  return typeof x === 'number' && Number.isFinite(x) ? String(Number(x.toFixed(digits))) : '–';
}

/** An <img> filled asynchronously from an authenticated URL (placeholder when not viewable). */
export function authImage(path, alt, cls = 'thumb') {
  const img = h(`img.${cls}`, { alt, loading: 'lazy' });
  const box = h('div.imgbox', img);
  imageUrl(path)
    .then((url) => {
      if (url) img.src = url;
      else box.replaceChildren(h('div.placeholder', 'preview not available (format)'));
    })
    .catch(() => box.replaceChildren(h('div.placeholder', 'image could not be loaded')));
  return box;
}

export function link(href, ...children) {
  return h('a', { href }, ...children);
}

export function partHref(serial) {
  return `#/part/${encodeURIComponent(serial)}`;
}

/** A <dl> of name/value pairs. */
export function dl(pairs) {
  return h('dl.kv', Object.entries(pairs).flatMap(([k, v]) => [h('dt', k), h('dd', v ?? '–')]));
}

/** Value of a form field by name. */
export function field(form, name) {
  const el = form.elements.namedItem(name);
  return el ? String(el.value).trim() : '';
}

let cleanup = null;

/** Registers what to stop when the user leaves the current view (timers, streams). */
export function onLeave(fn) {
  cleanup = fn;
}

export function leaveView() {
  const fn = cleanup;
  cleanup = null;
  if (fn) {
    try {
      fn();
    } catch {
      /* ignore */
    }
  }
}
