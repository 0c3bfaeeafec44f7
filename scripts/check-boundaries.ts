/**
 * Architecture check (run by `npm run lint`): a file in src/<capability>/ may import another
 * capability only through its index.ts, and only in the allowed direction.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const SRC = path.resolve('src');
/** Which capabilities each capability may import. */
const ALLOWED: Record<string, string[]> = {
  core: [],
  imaging: ['core'],
  synth: ['core', 'imaging'],
  registry: ['core', 'imaging'],
  trace: ['core', 'imaging', 'registry'],
  identity: ['core', 'imaging', 'registry'],
  source: ['core', 'imaging', 'registry'],
  plan: ['core', 'imaging', 'registry', 'trace', 'identity'],
  line: ['core', 'imaging', 'registry', 'trace', 'identity'],
  analytics: ['core', 'registry', 'trace'],
  server: ['core', 'imaging', 'registry', 'trace', 'identity', 'source', 'synth', 'web', 'plan', 'line', 'analytics'],
  web: ['core'],
  cli: ['core', 'imaging', 'registry', 'trace', 'identity', 'source', 'synth', 'server', 'plan', 'line', 'analytics'],
};

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (/\.ts$/.test(name)) out.push(full);
  }
  return out;
}

const problems: string[] = [];
for (const file of walk(SRC)) {
  const from = path.relative(SRC, file).split(path.sep)[0];
  if (!(from in ALLOWED)) {
    problems.push(`${path.relative('.', file)}: folder "${from}" is not a known capability (add it to scripts/check-boundaries.ts)`);
    continue;
  }
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const target = path.resolve(path.dirname(file), m[1]);
    const rel = path.relative(SRC, target).split(path.sep);
    const to = rel[0];
    if (to === from || rel[0] === '..') continue;
    const isTest = file.endsWith('.test.ts');
    if (!ALLOWED[from].includes(to) && !isTest) problems.push(`${path.relative('.', file)}: ${from} may not depend on ${to} (${m[1]})`);
    // Tests may reach test fixtures of other capabilities; production code goes through index.ts.
    if (!isTest && !(rel.length === 2 && /^index\.(js|ts)$/.test(rel[1]))) problems.push(`${path.relative('.', file)}: imports ${to}'s internals (${m[1]}); use ${to}/index.js`);
  }
}
if (problems.length > 0) {
  process.stderr.write(`${problems.join('\n')}\n${problems.length} boundary problem(s)\n`);
  process.exit(1);
}
process.stdout.write('boundaries ok\n');
