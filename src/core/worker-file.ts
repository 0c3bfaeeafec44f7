/**
 * The file a piscina pool starts its threads with: the compiled `NAME.js` beside the calling
 * module, or, when the code runs as TypeScript (tsx, vitest), a small ESM entry in the temp folder
 * that registers tsx inside the thread and re-exports `NAME.ts`'s default export (piscina wants a
 * file path, and a worker thread does not inherit the loader). Undefined when neither exists.
 */
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function workerFile(name: string, callerUrl: string): string | undefined {
  const js = fileURLToPath(new URL(`./${name}.js`, callerUrl));
  if (existsSync(js)) return js;
  const tsPath = fileURLToPath(new URL(`./${name}.ts`, callerUrl));
  if (!existsSync(tsPath) || !callerUrl.endsWith('.ts')) return undefined;
  let tsx: string;
  try {
    tsx = import.meta.resolve('tsx/esm/api');
  } catch {
    return undefined;
  }
  const ts = new URL(`./${name}.ts`, callerUrl).href;
  const entry = `import { register } from ${JSON.stringify(tsx)};\nregister();\nconst m = await import(${JSON.stringify(ts)});\nexport default m.default;\n`;
  const file = path.join(os.tmpdir(), `partprint-worker-${createHash('sha256').update(entry).digest('hex').slice(0, 16)}.mjs`);
  if (!existsSync(file)) writeFileSync(file, entry);
  return file;
}
