/**
 * Failure analytics over a real registry and history: 4 machines x 50 parts, one inspection each;
 * M03 fails 15 of 50, the others 2-3 of 50. M03 must come out significantly worse after the
 * correction, the others not; grouping by a plan position works the same way (CLI and API).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failureRates } from '../../src/analytics/index.js';
import { openRegistry, type Registry } from '../../src/registry/index.js';
import { appendEvent } from '../../src/trace/index.js';
import { runCliCaptured } from '../helpers/cli.js';
import { startHarness, type Harness } from '../api/helpers.js';

const FAILS: Record<string, number> = { M01: 2, M02: 3, M03: 15, M04: 2 };
let dir: string;
let reg: Registry;

async function fill(r: Registry): Promise<void> {
  for (const [m, fails] of Object.entries(FAILS)) {
    for (let k = 0; k < 50; k++) {
      const serial = `${m}-${String(k).padStart(3, '0')}`;
      await r.parts.create({ serial, attributes: { machine: m } });
      // Plan positions P1..P5 in turn, so failures spread over them with no position standing out.
      const position = `P${(k % 5) + 1}`;
      await appendEvent(r, serial, { type: 'inspected', occurredAt: '2026-11-01T10:00:00Z', fields: { result: k < fails ? 'fail' : 'pass', position } });
    }
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pp-analytics-'));
  reg = await openRegistry({ dataDir: path.join(dir, 'data') });
  await fill(reg);
}, 60_000);
afterAll(async () => {
  await reg?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('failure rates by group', () => {
  it('flags the machine that fails more often, and only that one', async () => {
    const r = await failureRates(reg, { groupBy: 'attribute:machine' });
    expect(r).toMatchObject({ total: 200, failed: 22, correction: 'holm', alpha: 0.05 });
    expect(r.chiSquare.pValue).toBeLessThan(1e-4);
    expect(r.rows.map((x) => [x.key, x.failed, x.total, x.significant, x.direction])).toEqual([
      ['M03', 15, 50, true, 'higher'],
      ['M02', 3, 50, false, 'lower'],
      ['M01', 2, 50, false, 'lower'],
      ['M04', 2, 50, false, 'lower'],
    ]);
    expect(r.rows[0].adjustedP).toBeLessThan(0.001);
    expect(r.rows[0].adjustedP).toBeGreaterThanOrEqual(r.rows[0].pValue);
    expect(r.rows[0].ci[0]).toBeGreaterThan(r.rows[0].restRate);
  });

  it('finds nothing where the groups do not differ (positions), and refuses a bad grouping', async () => {
    // Failures are the first k parts of each machine, so positions P1..P5 share them evenly-ish.
    const r = await failureRates(reg, { groupBy: 'field:position' });
    expect(r.rows.filter((x) => x.significant)).toEqual([]);
    expect(r.rows.map((x) => x.key).sort()).toEqual(['P1', 'P2', 'P3', 'P4', 'P5']);
    await expect(failureRates(reg, { groupBy: 'field:colour' })).rejects.toThrow(/group by "field:colour"/);
  });

  it('is served by the CLI (table + SVG chart) and the API', async () => {
    const svg = path.join(dir, 'chart.svg');
    const cli = await runCliCaptured('analytics', 'failures', '--by', 'attribute:machine', '--data', path.join(dir, 'data'), '--svg', svg);
    expect(cli.code, cli.err).toBe(0);
    expect(cli.out).toMatch(/^M03 .*FAILS MORE OFTEN$/m);
    expect(cli.out.match(/FAILS MORE OFTEN/g)).toHaveLength(1);
    const text = await readFile(svg, 'utf8');
    expect(text).toMatch(/^<svg/);
    expect(text).toContain('M03');
    expect(text).toContain('▲ significant');

    const h: Harness = await startHarness();
    try {
      await fill(h.registry);
      const res = await h.server.app.inject({ method: 'GET', url: '/api/analytics/failure-rates?groupBy=attribute:machine&correction=bh', headers: h.auth('viewer') });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().rows[0]).toMatchObject({ key: 'M03', significant: true, direction: 'higher' });
      expect(res.json().correction).toBe('bh');
      const chart = await h.server.app.inject({ method: 'GET', url: '/api/analytics/failure-rates?groupBy=attribute:machine&format=svg', headers: h.auth('viewer') });
      expect(chart.headers['content-type']).toMatch(/image\/svg\+xml/);
      expect(chart.body).toContain('M03');
      expect((await h.server.app.inject({ method: 'GET', url: '/api/analytics/failure-rates?groupBy=nope', headers: h.auth('viewer') })).statusCode).toBe(400);
    } finally {
      await h.close();
    }
  }, 60_000);
});
