// Captures waiting for the network: kept in IndexedDB (they survive a reload or a closed tab) and
// sent, oldest first, when the browser is back online.

const DB = 'partprint-capture';
const STORE = 'queue';

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'id', autoIncrement: true });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function tx(mode, fn) {
  return open().then((db) => new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const out = fn(t.objectStore(STORE));
    t.oncomplete = () => {
      db.close();
      resolve(out && 'result' in out ? out.result : undefined);
    };
    t.onerror = () => reject(t.error);
  }));
}

/** Adds a capture: { blob, mode: 'identify'|'verify', serial?, takenAt, metrics }. Resolves to its id. */
export function enqueue(item) {
  return tx('readwrite', (s) => s.add(item));
}

export function listQueued() {
  return tx('readonly', (s) => s.getAll());
}

export function countQueued() {
  return tx('readonly', (s) => s.count());
}

export function removeQueued(id) {
  return tx('readwrite', (s) => s.delete(id));
}

let flushing = null;

/**
 * Sends every queued capture with `send(item)`; an item leaves the queue only when `send`
 * resolves. A network failure stops the round (the rest wait for the next `online`); any other
 * error is reported through `onResult` and the item is dropped (retrying would fail again).
 */
export function flushQueue(send, onResult) {
  if (flushing) return flushing;
  flushing = (async () => {
    let sent = 0;
    for (const item of await listQueued()) {
      try {
        const answer = await send(item);
        await removeQueued(item.id);
        sent++;
        onResult?.(item, answer, null);
      } catch (e) {
        if (isNetworkError(e)) break;
        await removeQueued(item.id);
        onResult?.(item, null, e);
      }
    }
    return sent;
  })().finally(() => {
    flushing = null;
  });
  return flushing;
}

/** fetch() rejects with a TypeError when the network is down (not for HTTP error statuses). */
export function isNetworkError(e) {
  return e instanceof TypeError || (typeof navigator !== 'undefined' && navigator.onLine === false);
}
