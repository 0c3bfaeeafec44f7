/**
 * The CLI as `npx partprint` runs it: compiled JavaScript from dist/ (built by `npm install`'s
 * prepare script), a command manifest so a call loads only its own command file, no OpenCV or ONNX
 * runtime for commands that touch no image, and synth's worker threads started from dist/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { buildCommandManifest, PARTPRINT_VERSION } from '../../src/cli/manifest.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'partprint.js');
const STAMP = path.join(ROOT, 'dist', 'cli', 'commands.json');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const temp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'pp-cli-'));
  dirs.push(d);
  return d;
};

/** Whether dist/ is built and newer than every source the build compiles. */
function distIsCurrent(): boolean {
  if (!existsSync(STAMP)) return false;
  const built = statSync(STAMP).mtimeMs;
  return readdirSync(path.join(ROOT, 'src'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.includes('.test'))
    .every((e) => statSync(path.join(e.parentPath, e.name)).mtimeMs <= built);
}

const current = distIsCurrent();
if (!current && process.env.PARTPRINT_REQUIRE_ALL === '1') throw new Error('dist/ is missing or older than src/ (PARTPRINT_REQUIRE_ALL=1): npm install / npm run build compiles it');
if (!current) console.warn('compiled CLI tests skipped: dist/ is missing or older than src/ (npm run build)');

/** A preload that reports, at exit, which heavy native/wasm packages the process loaded, and each worker thread it ran. */
function loadReporter(dir: string): string {
  const file = path.join(dir, 'report-loads.mjs');
  writeFileSync(
    file,
    `import { createRequire } from 'node:module';
import { isMainThread, threadId } from 'node:worker_threads';
const require = createRequire(import.meta.url);
if (!isMainThread) process.stderr.write('WORKER ' + threadId + '\\n');
else process.on('exit', () => {
  const heavy = Object.keys(require.cache).filter((k) => /onnxruntime|opencv/.test(k));
  process.stderr.write('HEAVY ' + JSON.stringify(heavy) + '\\n');
});
`,
  );
  return file;
}

describe('command manifest', () => {
  it('names the file of every top-level command, and its help is the full program\'s', async () => {
    const manifest = await buildCommandManifest();
    const all = await buildProgram();
    expect(Object.keys(manifest.commands).sort()).toEqual(all.commands.map((c) => c.name()).sort());
    for (const [name, file] of Object.entries(manifest.commands)) {
      const one = await buildProgram([file]);
      expect(one.commands.map((c) => c.name())).toContain(name);
    }
    expect(manifest.help).toBe(all.helpInformation());
    expect(manifest.version).toBe(PARTPRINT_VERSION);
  });
});

describe.skipIf(!current)('compiled CLI (dist/)', () => {
  it('answers --version and --help from the manifest, without the tsx fallback', () => {
    const v = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout.trim()).toBe(PARTPRINT_VERSION);
    expect(v.stderr).toBe('');
    const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    for (const cmd of ['demo', 'serve', 'parts', 'identify', 'source', 'synth']) expect(help.stdout).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
  });

  it('runs registry and key commands without loading OpenCV or the ONNX runtime', () => {
    const dir = temp();
    const hook = loadReporter(dir);
    for (const args of [['parts', 'list', '--json'], ['keys', 'list', '--json'], ['events', 'count', '--by', 'type']]) {
      const r = spawnSync(process.execPath, ['--import', hook, BIN, ...args, '--data', path.join(dir, 'data')], { encoding: 'utf8' });
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stderr, args.join(' ')).toContain('HEAVY []');
    }
    // and the reporter does see them when a command needs them
    const probe = spawnSync(process.execPath, ['--import', hook, '-e', "await import('onnxruntime-node')", '--input-type=module'], { encoding: 'utf8', cwd: ROOT });
    expect(probe.stderr).toMatch(/HEAVY \[.*onnxruntime/);
  });

  it('renders synthetic parts on worker threads started from dist/synth/worker.js', () => {
    const dir = temp();
    const hook = loadReporter(dir);
    const out = path.join(dir, 'parts');
    // 32 jobs: the pool's threshold for starting workers
    const r = spawnSync(process.execPath, ['--import', hook, BIN, 'synth', 'parts', '--machines', '2', '--parts-per-machine', '16', '--size', '64', '--out', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^WORKER \d+$/m);
    expect(readdirSync(out, { recursive: true }).filter((f) => /\.(png|jpg)$/.test(String(f))).length).toBe(32);
  });
});
