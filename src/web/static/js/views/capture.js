// #/capture: guided capture for a phone or tool camera. The camera runs through getUserMedia;
// every frame is measured in the browser (framing.js: focus, exposure, texture, fill) and the
// shot is taken only when the gate passes on several frames in a row; then identify or verify.
// Without a network the shot waits in an IndexedDB queue and is sent when the browser is online.
import { identityRoutes, identify, verify } from '../identity.js';
import { FRAMING_THRESHOLDS, judgeFrame, measureFrame, reduceGrey, rgbaToGrey } from '../framing.js';
import { countQueued, enqueue, flushQueue, isNetworkError } from '../offline-queue.js';
import { errorNotice, fmtTime, h, notice, onLeave, render } from '../ui.js';
import { showAnswer } from './check.js';

/** Frames in a row that must pass before the shot is taken (a steady hand, settled focus). */
const STEADY_FRAMES = 3;
const FRAME_MS = 150;

const LABELS = { focus: 'Focus', exposure: 'Exposure', texture: 'Texture', fill: 'Fill' };

/** The camera's micrometres per pixel, remembered on this device (the registry resamples to a fixed scale with it). */
const PIXEL_SIZE_KEY = 'partprint.capture.pixelSizeUm';

function send(item) {
  const file = new File([item.blob], `capture-${item.takenAt.replace(/[:.]/g, '')}.png`, { type: 'image/png' });
  const meta = item.pixelSizeUm ? { pixelSizeUm: item.pixelSizeUm } : {};
  return item.mode === 'verify' ? verify(item.serial, file, meta) : identify(file, meta);
}

export async function showCapture(params = new URLSearchParams()) {
  const routes = await identityRoutes();
  const video = h('video#cam', { autoplay: true, muted: true, playsinline: true });
  const canvas = document.createElement('canvas');
  const checks = h('ul.framing#framing', Object.entries(LABELS).map(([k, label]) => h('li', { 'data-check': k }, h('span.name', label), h('span.value', '–'), h('span.hint'))));
  const status = h('div.capture-status#capture-status', { 'data-state': 'idle', role: 'status' }, 'Starting the camera…');
  const result = h('div.result#capture-result');
  const queueInfo = h('div.queue#queue', { 'data-count': '0' });
  const serialInput = h('input', { name: 'serial', placeholder: 'empty: identify among all parts', value: params.get('serial') || '', autocomplete: 'off' });
  const pixelInput = h('input', { name: 'pixel_size_um', type: 'number', min: '0.1', max: '1000', step: 'any', placeholder: 'unknown', value: localStorage.getItem(PIXEL_SIZE_KEY) || '', onchange: () => localStorage.setItem(PIXEL_SIZE_KEY, pixelInput.value.trim()) });
  const again = h('button#capture-again', { type: 'button', hidden: true, onclick: () => begin() }, 'Take another');

  let stream = null;
  let timer = null;
  let steady = 0;
  let stopped = false;

  const setStatus = (state, ...text) => {
    status.dataset.state = state;
    status.replaceChildren(...text);
  };

  async function refreshQueue() {
    const n = await countQueued().catch(() => 0);
    queueInfo.dataset.count = String(n);
    queueInfo.replaceChildren(n ? notice('warn', `${n} capture${n === 1 ? '' : 's'} waiting to be sent (offline). They are sent when the connection is back.`) : '');
  }

  async function flush() {
    await flushQueue(send, (item, answer, err) => {
      const head = h('p.muted', `Sent capture taken ${fmtTime(item.takenAt)} (${item.mode}${item.serial ? ` ${item.serial}` : ''}):`);
      if (err) result.append(h('div.queued-result', head, errorNotice(err)));
      else showAnswer(answer).then((el) => result.append(h('div.queued-result', head, el)));
    });
    await refreshQueue();
  }

  function showChecks(judged) {
    for (const c of judged.checks) {
      const li = checks.querySelector(`[data-check=${c.name}]`);
      li.classList.toggle('ok', c.ok);
      li.classList.toggle('bad', !c.ok);
      li.querySelector('.value').textContent = c.value;
      li.querySelector('.hint').textContent = c.ok ? 'OK' : c.hint;
    }
  }

  function frameGrey() {
    const w = video.videoWidth, hgt = video.videoHeight;
    if (!w || !hgt) return null;
    canvas.width = w;
    canvas.height = hgt;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(video, 0, 0, w, hgt);
    const grey = rgbaToGrey(ctx.getImageData(0, 0, w, hgt).data, w, hgt);
    return reduceGrey(grey, w, hgt, 256);
  }

  async function shoot(metrics) {
    clearInterval(timer);
    timer = null;
    setStatus('shot', 'Shot taken. ', routes.identify ? 'Checking…' : '');
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
    const serial = serialInput.value.trim();
    const px = Number(pixelInput.value);
    const item = { blob, mode: serial ? 'verify' : 'identify', serial: serial || null, takenAt: new Date().toISOString(), metrics, ...(px > 0 ? { pixelSizeUm: px } : {}) };
    again.hidden = false;
    if (!navigator.onLine) {
      await enqueue(item);
      await refreshQueue();
      setStatus('queued', 'Offline: the shot is queued and will be sent when the connection is back.');
      return;
    }
    try {
      const answer = await send(item);
      setStatus('done', 'Shot taken and checked.');
      result.replaceChildren(await showAnswer(answer));
    } catch (e) {
      if (isNetworkError(e)) {
        await enqueue(item);
        await refreshQueue();
        setStatus('queued', 'No connection: the shot is queued and will be sent when the connection is back.');
      } else {
        setStatus('error', 'The shot could not be checked.');
        result.replaceChildren(errorNotice(e));
      }
    }
  }

  function tick() {
    const g = frameGrey();
    if (!g) return;
    const m = measureFrame(g.data, g.width, g.height, FRAMING_THRESHOLDS);
    const judged = judgeFrame(m, FRAMING_THRESHOLDS);
    showChecks(judged);
    if (judged.ok) {
      steady++;
      setStatus('steady', `Hold still… ${steady}/${STEADY_FRAMES}`);
      if (steady >= STEADY_FRAMES) shoot(m);
    } else {
      steady = 0;
      setStatus('held', h('strong', 'Held back: '), judged.reasons.map((r) => r.message).join('; '));
      status.dataset.reasons = judged.reasons.map((r) => r.code).join(' ');
    }
  }

  function begin() {
    again.hidden = true;
    result.replaceChildren();
    steady = 0;
    if (!timer && !stopped) timer = setInterval(tick, FRAME_MS);
  }

  const onOnline = () => flush();
  window.addEventListener('online', onOnline);
  onLeave(() => {
    stopped = true;
    clearInterval(timer);
    window.removeEventListener('online', onOnline);
    for (const t of stream?.getTracks() ?? []) t.stop();
  });

  render(
    h('h1', 'Guided capture'),
    h('p.muted', 'Point the camera at the part\'s surface. The shot is taken by itself once it is sharp, well exposed, textured and fills the frame.'),
    routes.identify ? null : notice('warn', 'This server does not offer identification (identity is not wired in).'),
    h('div.capture',
      h('div.viewfinder', video, h('div.frame-guide')),
      h('div.capture-side',
        status,
        checks,
        routes.verify ? h('label', 'Expected serial (optional: verify 1:1)', serialInput) : null,
        h('label', 'Camera pixel size, µm (optional; as stated when the parts were registered)', pixelInput),
        again,
        queueInfo,
      ),
    ),
    result,
  );
  await refreshQueue();
  if (navigator.onLine) flush();
  if (!navigator.mediaDevices?.getUserMedia) {
    setStatus('error', 'This browser gives no camera access (a secure https:// page is needed).');
    return;
  }
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: 'environment' }, width: { ideal: 1920 } }, audio: false });
  } catch (e) {
    setStatus('error', `No camera: ${e.message || e.name}`);
    return;
  }
  if (stopped) {
    for (const t of stream.getTracks()) t.stop();
    return;
  }
  video.srcObject = stream;
  await video.play().catch(() => undefined);
  setStatus('framing', 'Framing…');
  begin();
}
