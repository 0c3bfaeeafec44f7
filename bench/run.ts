/**
 * `npm run bench [-- NAME...]`: runs every bench/*.bench.ts (or the named ones). Each benchmark
 * module exports `run(): Promise<BenchResult>`; results land in bench/results/<name>.json and .md.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchTable {
  title: string;
  columns: string[];
  rows: Array<Array<string | number>>;
}

export interface BenchResult {
  name: string;
  /** Free-form numbers, kept in the JSON. */
  metrics: Record<string, unknown>;
  tables: BenchTable[];
  /** Set when the benchmark could not run here (e.g. data absent); the reason is reported. */
  skipped?: string;
  notes?: string[];
}

export function machineSummary(): Record<string, unknown> {
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()}-${os.arch()}` };
}

export function renderMarkdown(result: BenchResult, when: string): string {
  const lines = [`# Benchmark: ${result.name}`, '', `Run ${when} on ${JSON.stringify(machineSummary())}.`, ''];
  if (result.skipped) lines.push(`Skipped: ${result.skipped}`, '');
  for (const t of result.tables) {
    lines.push(`## ${t.title}`, '', `| ${t.columns.join(' | ')} |`, `| ${t.columns.map(() => '---').join(' | ')} |`);
    for (const r of t.rows) lines.push(`| ${r.join(' | ')} |`);
    lines.push('');
  }
  for (const n of result.notes ?? []) lines.push(`- ${n}`);
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const dir = path.dirname(fileURLToPath(import.meta.url));
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.bench\.ts$/, '')))
    .sort();
  if (files.length === 0) throw new Error(`no benchmark matches ${wanted.join(', ')}`);
  const outDir = path.join(dir, 'results');
  mkdirSync(outDir, { recursive: true });
  let failed = 0;
  for (const file of files) {
    const name = file.replace(/\.bench\.ts$/, '');
    process.stderr.write(`bench ${name} ...\n`);
    const started = Date.now();
    try {
      const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { run: () => Promise<BenchResult> };
      const result = await mod.run();
      const when = new Date().toISOString();
      // A benchmark may name its result after a variant of itself (identity-mould -> identity-mould-heldout).
      const outName = result.name.startsWith(name) ? result.name : name;
      writeFileSync(path.join(outDir, `${outName}.json`), `${JSON.stringify({ ...result, when, machine: machineSummary(), wallSeconds: (Date.now() - started) / 1000 }, null, 2)}\n`);
      writeFileSync(path.join(outDir, `${outName}.md`), renderMarkdown(result, when));
      process.stderr.write(result.skipped ? `bench ${name}: skipped (${result.skipped})\n` : `bench ${name}: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    } catch (err) {
      failed++;
      process.stderr.write(`bench ${name} failed: ${(err as Error).stack}\n`);
    }
  }
  process.exitCode = failed > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main();
