// The API client: the key (localStorage), JSON and multipart calls, images fetched with the key,
// and which capabilities this server has (from /api/health and the paths in /openapi.json).

const KEY_STORAGE = 'partprint.apiKey';

export function getKey() {
  return localStorage.getItem(KEY_STORAGE) || '';
}

export function setKey(key) {
  if (key) localStorage.setItem(KEY_STORAGE, key.trim());
  else localStorage.removeItem(KEY_STORAGE);
}

/** An API error with the server's code and message ({ error: { code, message } }). */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

function authHeaders() {
  const key = getKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

async function parseError(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON */
  }
  const e = body && body.error;
  return new ApiError(res.status, e?.code || `HTTP_${res.status}`, e?.message || `${res.status} ${res.statusText}`, e?.details);
}

/** JSON request; `body` objects are sent as JSON, FormData as multipart. */
export async function api(method, path, body) {
  const headers = { ...authHeaders(), accept: 'application/json' };
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(path, { method, headers, body: payload });
  if (!res.ok) throw await parseError(res);
  if (res.status === 204) return null;
  const type = res.headers.get('content-type') || '';
  return type.includes('json') ? res.json() : res.text();
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);

/** `?a=1&attr=x&attr=y` from an object (arrays repeat; empty values dropped). */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    for (const item of Array.isArray(v) ? v : [v]) {
      if (item !== undefined && item !== null && item !== '') q.append(k, String(item));
    }
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

const imageCache = new Map();

/**
 * An object URL for an image that needs the key (captures, evidence). Browsers cannot show TIFF
 * or PGM: those resolve to null and the caller shows a placeholder.
 */
export async function imageUrl(path) {
  if (path.startsWith('data:') || path.startsWith('blob:')) return path;
  if (imageCache.has(path)) return imageCache.get(path);
  const promise = (async () => {
    const res = await fetch(path, { headers: authHeaders() });
    if (!res.ok) throw await parseError(res);
    const type = res.headers.get('content-type') || '';
    if (!/image\/(png|jpeg|gif|webp|svg)/.test(type)) return null;
    return URL.createObjectURL(await res.blob());
  })();
  imageCache.set(path, promise);
  promise.catch(() => imageCache.delete(path));
  return promise;
}

let capabilities = null;

/**
 * What this server offers: health capabilities plus the set of "METHOD path" in its OpenAPI
 * document, so the UI only shows what works.
 */
export async function loadCapabilities(force = false) {
  if (capabilities && !force) return capabilities;
  const [health, openapi] = await Promise.all([
    fetch('/api/health').then((r) => (r.ok ? r.json() : null)).catch(() => null),
    fetch('/openapi.json').then((r) => (r.ok ? r.json() : null)).catch(() => null),
  ]);
  const routes = new Set();
  for (const [p, ops] of Object.entries(openapi?.paths || {})) {
    for (const m of Object.keys(ops)) routes.add(`${m.toUpperCase()} ${p}`);
  }
  capabilities = { health, openapi, routes, has: (method, p) => routes.has(`${method} ${p}`) };
  return capabilities;
}

/** The capabilities once loaded (the app loads them before the first page), else null. */
export function cachedCapabilities() {
  return capabilities;
}

/** The first of several candidate routes that the server has (identity routes may be named so). */
export function pickRoute(caps, method, candidates) {
  return candidates.find((p) => caps.has(method, p)) || null;
}

/** Fills `{serial}`/`{id}` in an OpenAPI path. */
export function fillPath(template, values) {
  return template.replace(/\{(\w+)\}/g, (_m, name) => encodeURIComponent(String(values[name])));
}

/** Current key's identity, or null when there is no key or it is refused. */
export async function whoami() {
  if (!getKey()) return null;
  try {
    return await get('/api/whoami');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}
