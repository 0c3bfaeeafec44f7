import { describe, expect, it } from 'vitest';
import { createProgressBar } from './progress-bar.js';

describe('progress without a terminal', () => {
  it('prints a plain line every interval and one at the end of a phase; short work prints nothing', () => {
    let t = 0;
    let text = '';
    const bar = createProgressBar({ isTTY: false, intervalMs: 5000, now: () => t, stream: { write: (s: string) => (text += s) } });
    // Short: done within the interval, silent.
    bar({ phase: 'check', done: 0, total: 3 });
    t = 1000;
    bar({ phase: 'check', done: 3, total: 3 });
    expect(text).toBe('');
    // Long: 100 items, 200 ms each.
    for (let i = 0; i <= 100; i++) {
      t = 2000 + i * 200;
      bar({ phase: 'import', done: i, total: 100, detail: `P-${i}` });
    }
    expect(text.split('\n').filter(Boolean)).toEqual([
      'partprint: import 25/100 (25%) P-25, 5 s',
      'partprint: import 50/100 (50%) P-50, 10 s',
      'partprint: import 75/100 (75%) P-75, 15 s',
      'partprint: import 100/100 (100%) P-100, 20 s',
    ]);
    bar.stop();
  });
});
