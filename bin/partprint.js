#!/usr/bin/env node
// Runs the compiled CLI (dist/, which `npm install` builds through the `prepare` script, or `npm run build`).
// A checkout being edited, where dist/ is missing or older than src/, runs the TypeScript sources
// through tsx instead (a slower start) and says so; without tsx it asks for a build.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const stamp = path.join(root, 'dist', 'cli', 'commands.json'); // written last by `npm run build`

/** The newest modification time of the TypeScript sources that the build compiles (tests excluded). */
function newestSourceMs() {
  let newest = 0;
  for (const entry of readdirSync(path.join(root, 'src'), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.includes('.test')) continue;
    newest = Math.max(newest, statSync(path.join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return newest;
}

const builtMs = existsSync(stamp) ? statSync(stamp).mtimeMs : -1;
const hasSources = existsSync(path.join(root, 'src', 'cli', 'main.ts'));
if (builtMs >= 0 && (!hasSources || builtMs >= newestSourceMs())) {
  await import('../dist/cli/main.js');
} else {
  const why = builtMs < 0 ? 'dist/ is missing' : 'dist/ is older than src/';
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write(`partprint: ${why}; run "npm run build" (or "npm install") to compile the CLI.\n`);
    process.exit(1);
  }
  if (process.env.PARTPRINT_QUIET_DEV !== '1') {
    process.stderr.write(`partprint: ${why}: running the TypeScript sources through tsx (slower start); "npm run build" compiles them.\n`);
  }
  register();
  await import('../src/cli/main.ts');
}
