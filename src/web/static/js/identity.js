// Identity calls (register a fingerprint, identify, verify) and one reading of their answers.
// The server's route names are looked up in its OpenAPI document, so the UI follows the API.
import { fillPath, loadCapabilities, pickRoute, post } from './api.js';

const REGISTER_BY_SERIAL = ['/api/parts/{serial}/fingerprint', '/api/parts/{serial}/fingerprints', '/api/parts/{serial}/register'];
const REGISTER_BY_CAPTURE = ['/api/captures/{id}/fingerprint', '/api/captures/{id}/fingerprints', '/api/captures/{id}/register'];
const REGISTER_NEW = ['/api/register', '/api/identity/register'];
const IDENTIFY = ['/api/identify', '/api/identity/identify'];
const VERIFY = ['/api/verify', '/api/identity/verify', '/api/parts/{serial}/verify'];

export async function identityRoutes() {
  const caps = await loadCapabilities();
  return {
    registerNew: pickRoute(caps, 'POST', REGISTER_NEW),
    registerBySerial: pickRoute(caps, 'POST', REGISTER_BY_SERIAL),
    registerByCapture: pickRoute(caps, 'POST', REGISTER_BY_CAPTURE),
    identify: pickRoute(caps, 'POST', IDENTIFY),
    verify: pickRoute(caps, 'POST', VERIFY),
  };
}

function imageForm(file, fields = {}) {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null && v !== '') fd.append(k, String(v));
  fd.append('image', file, file.name || 'photo.png');
  return fd;
}

/**
 * Uploads a photo of a registered part and registers its fingerprint. Without identity routes,
 * only the capture is stored (fingerprinted: false).
 */
export async function registerPhoto(serial, file, meta = {}) {
  const r = await identityRoutes();
  if (r.registerBySerial) {
    const result = await post(fillPath(r.registerBySerial, { serial }), imageForm(file, meta));
    return { fingerprinted: true, result, capture: result?.capture ?? null };
  }
  const capture = await post(fillPath('/api/parts/{serial}/captures', { serial }), imageForm(file, meta));
  if (r.registerByCapture) {
    const result = await post(fillPath(r.registerByCapture, { id: capture.id }), {});
    return { fingerprinted: true, result, capture };
  }
  return { fingerprinted: false, result: null, capture };
}

/**
 * A new part with its first photo and fingerprint, in one transaction where the server can
 * (POST /api/register); else the part first, then the photo. Returns { fingerprinted, result }.
 */
export async function registerNewPart(part, file, meta = {}) {
  const r = await identityRoutes();
  if (file && r.registerNew) {
    const fields = { serial: part.serial, partNumber: part.partNumber || undefined, attributes: JSON.stringify(part.attributes || {}), ...meta };
    return { fingerprinted: true, result: await post(r.registerNew, imageForm(file, fields)) };
  }
  await post('/api/parts', { serial: part.serial, partNumber: part.partNumber || null, attributes: part.attributes || {} });
  if (!file) return { fingerprinted: false, result: null };
  return registerPhoto(part.serial, file, meta);
}

/** A fingerprint of an already stored capture (when the server has such a route). */
export async function fingerprintCapture(captureId) {
  const r = await identityRoutes();
  if (!r.registerByCapture) return null;
  return post(fillPath(r.registerByCapture, { id: captureId }), {});
}

/** `meta.pixelSizeUm`: the camera's micrometres per pixel, when known (the parts profile resamples to a fixed scale with it). */
export async function identify(file, meta = {}) {
  const r = await identityRoutes();
  if (!r.identify) throw new Error('this server has no identify route (identity is not wired in yet)');
  return readMatchAnswer(await post(r.identify, imageForm(file, { pixel_size_um: meta.pixelSizeUm })), 'identify');
}

export async function verify(serial, file, meta = {}) {
  const r = await identityRoutes();
  if (!r.verify) throw new Error('this server has no verify route');
  const path = fillPath(r.verify, { serial });
  return readMatchAnswer(await post(path, imageForm(file, { ...(path.includes(encodeURIComponent(serial)) ? {} : { serial }), pixel_size_um: meta.pixelSizeUm })), 'verify', serial);
}

const num = (x) => (typeof x === 'number' ? x : x && typeof x.value === 'number' ? x.value : null);
const NEGATIVE = /^(not[_ -]?registered|no[_ -]?match|unknown|reject(ed)?|different|not[_ -]?same|mismatch|none)$/i;

function readCandidate(c) {
  if (!c) return null;
  return {
    serial: c.serial ?? c.part?.serial ?? null,
    score: num(c.score) ?? num(c.S),
    inliers: c.inliers ?? c.score?.inliers ?? null,
    total: c.total ?? c.score?.total ?? null,
    captureId: c.captureId ?? c.capture?.id ?? null,
    accepted: c.same ?? c.accepted ?? null,
    reason: c.reason ?? null,
  };
}

/**
 * One shape for identify/verify answers:
 * { registered, rejected, decision, serial, score, threshold, inliers, total, candidates[],
 *   evidence, reason, raw }. `rejected`: the photo itself was refused (blur, exposure): retake it.
 */
export function readMatchAnswer(raw, mode, askedSerial) {
  const candidates = (raw.candidates || raw.ranked || []).map(readCandidate);
  const best = readCandidate(raw.best) || candidates[0] || null;
  const decision = String(raw.decision ?? raw.result ?? raw.status ?? '');
  const rejected = /^(rejected|capture[_ -]?rejected|quality)$/i.test(decision);
  let registered;
  if (rejected) registered = false;
  else if (typeof raw.same === 'boolean') registered = raw.same;
  else if (typeof raw.registered === 'boolean') registered = raw.registered;
  else if (typeof raw.accepted === 'boolean') registered = raw.accepted;
  else if (decision) registered = !NEGATIVE.test(decision);
  else registered = Boolean(best && best.accepted);
  return {
    mode,
    registered,
    rejected,
    decision: decision || (registered ? 'match' : 'not registered'),
    serial: registered ? (raw.part?.serial ?? best?.serial ?? raw.serial ?? askedSerial ?? null) : null,
    score: num(raw.score) ?? best?.score ?? null,
    threshold: num(raw.threshold) ?? num(raw.calibration?.threshold),
    inliers: raw.inliers ?? raw.score?.inliers ?? best?.inliers ?? null,
    total: raw.total ?? raw.score?.total ?? best?.total ?? null,
    candidates,
    evidence: raw.evidenceUrl ?? (typeof raw.evidence === 'string' ? raw.evidence : null) ?? raw.best?.evidenceUrl ?? null,
    reason: raw.reason ?? raw.message ?? null,
    raw,
  };
}
