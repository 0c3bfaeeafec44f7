/**
 * CLI start-up: `partprint --version` and `--help` (compiled dist/, as `npx partprint` runs them)
 * against a bare `node -e 0`, interleaved in one run so machine load hits each alike; also the old
 * way (the sources through tsx) and a registry command. Goal: --version within 3x of node -e 0.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run.js';
import { quantile } from './stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'partprint.js');
const ROUNDS = Number(process.env.CLI_STARTUP_ROUNDS ?? 15);

export async function run(): Promise<BenchResult> {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'commands.json'))) return { name: 'cli-startup', metrics: {}, tables: [], skipped: 'dist/ is not built (npm run build)' };
  const data = mkdtempSync(path.join(os.tmpdir(), 'pp-startup-'));
  const cases: Array<{ name: string; args: string[] }> = [
    { name: 'node -e 0', args: ['-e', '0'] },
    { name: 'partprint --version', args: [BIN, '--version'] },
    { name: 'partprint --help', args: [BIN, '--help'] },
    { name: 'partprint parts list', args: [BIN, 'parts', 'list', '--json', '--data', data] },
    { name: 'tsx src/cli/main.ts --version (before)', args: ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), '--version'] },
  ];
  const times = new Map(cases.map((c) => [c.name, [] as number[]]));
  const uptimeBefore = os.loadavg();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of cases) {
        const t0 = performance.now();
        const r = spawnSync(process.execPath, c.args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PARTPRINT_QUIET_DEV: '1' } });
        const ms = performance.now() - t0;
        if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${r.stderr}`);
        if (round > 0) times.get(c.name)!.push(ms); // round 0 warms the file cache
      }
    }
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
  const median = (name: string) => quantile([...times.get(name)!].sort((a, b) => a - b), 0.5);
  const base = median('node -e 0');
  const rows = cases.map((c) => {
    const sorted = [...times.get(c.name)!].sort((a, b) => a - b);
    return [c.name, quantile(sorted, 0.5).toFixed(0), quantile(sorted, 0.9).toFixed(0), (quantile(sorted, 0.5) / base).toFixed(2)];
  });
  const ratio = median('partprint --version') / base;
  return {
    name: 'cli-startup',
    metrics: {
      rounds: ROUNDS - 1,
      loadAverageBefore: uptimeBefore,
      loadAverageAfter: os.loadavg(),
      medianMs: Object.fromEntries(cases.map((c) => [c.name, median(c.name)])),
      versionRatio: ratio,
      helpRatio: median('partprint --help') / base,
      goal: 'partprint --version within 3x of node -e 0',
      met: ratio <= 3,
    },
    tables: [{ title: `Wall time per call, ${ROUNDS - 1} interleaved rounds`, columns: ['command', 'p50 ms', 'p90 ms', 'p50 / node -e 0'], rows }],
    notes: [
      `--version is ${ratio.toFixed(2)}x a bare node -e 0 (goal: at most 3); load average before ${uptimeBefore.map((l) => l.toFixed(1)).join(' ')}, after ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}.`,
      'bin/partprint.js checks that dist/ is newer than src/ (one stat per source file), then answers --version/--help from dist/cli/commands.json; a command loads only the file that registers it.',
    ],
  };
}
