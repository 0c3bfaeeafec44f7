import { describe, expect, it } from 'vitest';
import { DecodeBudget } from './pool.js';

/** A task that records when it runs and finishes when released. */
function gate() {
  let open!: () => void;
  const done = new Promise<void>((r) => (open = r));
  return { done, open };
}

describe('DecodeBudget', () => {
  it('runs images that fit side by side, queues the rest in order, and lets one too-large image run alone', async () => {
    const budget = new DecodeBudget(100, 10);
    const log: string[] = [];
    const gates = [gate(), gate(), gate(), gate()];
    const task = (name: string, pixels: number, g: ReturnType<typeof gate>) =>
      budget.run(pixels, async () => {
        log.push(`start ${name}`);
        await g.done;
        log.push(`end ${name}`);
      });
    const a = task('a', 60, gates[0]);
    const b = task('b', 60, gates[1]); // does not fit beside a
    const c = task('c', 10, gates[2]); // would fit, but must not overtake b
    const huge = task('huge', 1000, gates[3]); // larger than the budget: runs when nothing else does
    await new Promise((r) => setTimeout(r, 10));
    expect(log).toEqual(['start a']);
    expect(budget.waiting).toBe(3);
    gates[0].open();
    await a;
    await new Promise((r) => setTimeout(r, 10));
    expect(log).toEqual(['start a', 'end a', 'start b', 'start c']);
    gates[1].open();
    gates[2].open();
    await Promise.all([b, c]);
    await new Promise((r) => setTimeout(r, 10));
    expect(log.at(-1)).toBe('start huge');
    gates[3].open();
    await huge;
    expect(budget.waiting).toBe(0);
  });

  it('bounds concurrent decodes, gives the budget back when a task fails, and refuses with 503 after waiting too long', async () => {
    const budget = new DecodeBudget(1_000, 1, 50);
    const g = gate();
    const first = budget.run(1, () => g.done);
    await expect(budget.run(1, async () => 'never')).rejects.toMatchObject({ status: 503, code: 'BUSY' });
    g.open();
    await first;
    await expect(budget.run(5, async () => Promise.reject(new Error('decode failed')))).rejects.toThrow('decode failed');
    expect(await budget.run(999, async () => 'ran')).toBe('ran');
  });
});
