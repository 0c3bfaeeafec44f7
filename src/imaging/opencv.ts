/**
 * The one door to OpenCV. Everything else imports `loadOpenCv` from imaging/index.ts, so a native
 * OpenCV binding can replace the WebAssembly build here without touching the algorithms.
 * Every Mat/vector must be freed: create them inside a `DisposeScope` (core/dispose.ts).
 */
import { createRequire } from 'node:module';

// The WebAssembly build's types are large and loose; callers use the members they need.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OpenCv = any;

let ready: Promise<OpenCv> | undefined;

export function loadOpenCv(): Promise<OpenCv> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    const mod = require('@techstark/opencv-js');
    if (!mod.Mat) {
      await new Promise<void>((resolve) => {
        mod.onRuntimeInitialized = () => resolve();
      });
    }
    // The Emscripten module is a thenable that resolves to itself: awaiting or returning it from
    // an async function would loop forever, so drop `then` once it is ready.
    delete mod.then;
    return mod;
  })();
  return ready;
}
