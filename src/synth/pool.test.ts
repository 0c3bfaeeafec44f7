import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from './catalogue.js';
import type { RenderJob } from './jobs.js';
import { runJobs } from './pool.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function jobsIn(dir: string, n: number): RenderJob[] {
  const config = { ...DEFAULT_CONFIG, machines: 4, partsPerMachine: 8 };
  return Array.from({ length: n }, (_, i) => ({ config, view: { size: 64, pixelUm: 5.3 }, kind: 'part' as const, index: i, captureIndex: 0, file: path.join(dir, `P${i}.png`) }));
}

describe('synth render pool (piscina)', () => {
  it('renders on worker threads exactly what this thread renders, in job order, with progress', async () => {
    const a = mkdtempSync(path.join(os.tmpdir(), 'pp-pool-a-'));
    const b = mkdtempSync(path.join(os.tmpdir(), 'pp-pool-b-'));
    dirs.push(a, b);
    const seen: number[] = [];
    const threaded = await runJobs(jobsIn(a, 32), { workers: 2, onProgress: (e) => seen.push(e.done) });
    const inline = await runJobs(jobsIn(b, 32), { workers: 1 });
    expect(threaded.map((r) => r.serial)).toEqual(inline.map((r) => r.serial));
    for (let i = 0; i < 32; i++) expect(readFileSync(threaded[i].file).equals(readFileSync(inline[i].file)), `job ${i}`).toBe(true);
    expect(seen[0]).toBe(0);
    expect(seen.at(-1)).toBe(32);
  });

  it('fails with the file that could not be rendered', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-pool-c-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'blocker'), 'a file where a folder should be');
    const jobs = jobsIn(dir, 32);
    jobs[5] = { ...jobs[5], file: path.join(dir, 'blocker', 'P5.png') };
    await expect(runJobs(jobs, { workers: 2 })).rejects.toThrow(/rendering .*blocker.*P5\.png failed/);
  });
});
