import { describe, expect, it } from 'vitest';
import { steer } from '../fingerprint/relight.js';
import type { TextureMap } from '../types.js';
import { residualScores, type TextureEntry } from './texture.js';

const N = 128;

/** A random relief (sum of waves) and its slope along a light at `lightDeg` in the plane, as an int8 texture map. */
function shading(seed: number, lightDeg: number): TextureMap {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const waves = Array.from({ length: 60 }, () => ({ a: rnd() * 2 * Math.PI, f: 0.2 + 0.8 * rnd(), p: rnd() * 2 * Math.PI, amp: 0.5 + rnd() }));
  const l = (lightDeg * Math.PI) / 180;
  const data = new Int8Array(N * N);
  for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) {
    // d/dl of sum amp cos(f k.x + p) = -sum amp f (k.l) sin(...)
    let v = 0;
    for (const w of waves) v -= w.amp * w.f * Math.cos(w.a - l) * Math.sin(w.f * (Math.cos(w.a) * x + Math.sin(w.a) * y) + w.p);
    data[y * N + x] = Math.max(-127, Math.min(127, Math.round(6 * v)));
  }
  return { width: N, height: N, scale: 0.25, data };
}

const entry = (map: TextureMap): TextureEntry => ({ map, matrix: [1, 0, 0, 0, 1, 0, 0, 0, 1], member: false });

describe('residualScores, steered', () => {
  it('still correlates a part whose light turned 75 degrees in the plane, and not another part', async () => {
    const probe = shading(1, 0);
    const same = entry(shading(1, 75));
    const other = entry(shading(2, 75));
    const [plainSame, plainOther] = residualScores(probe, [same, other]);
    const perpendicular = await steer(Float32Array.from(probe.data), N, N, 90);
    const [steeredSame, steeredOther] = residualScores(probe, [same, other], { probePerpendicular: perpendicular });
    // cos 75 = 0.26: the plain correlation has lost most of it; the steered one finds the turn.
    expect(plainSame).toBeLessThan(0.4);
    expect(steeredSame).toBeGreaterThan(0.8);
    expect(Math.abs(plainOther)).toBeLessThan(0.15);
    expect(steeredOther).toBeLessThan(0.2);
    // the same light: both agree
    const [a] = residualScores(probe, [entry(shading(1, 0))]);
    const [b] = residualScores(probe, [entry(shading(1, 0))], { probePerpendicular: perpendicular });
    expect(a).toBeGreaterThan(0.95);
    expect(b).toBeGreaterThanOrEqual(a - 1e-9);
  });
});

/** A band-limited random field (sum of plane waves) sampled at (x + dx, y + dy): a mould's pattern or a part's own relief. */
function field(seed: number, amplitude: number): (x: number, y: number) => number {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const waves = Array.from({ length: 50 }, () => ({ a: rnd() * 2 * Math.PI, f: 0.3 + 0.9 * rnd(), p: rnd() * 2 * Math.PI }));
  return (x, y) => amplitude * waves.reduce((v, w) => v + Math.cos(w.f * (Math.cos(w.a) * x + Math.sin(w.a) * y) + w.p), 0);
}

/** A texture map of mould + own relief, the mould's pattern shifted by (dx, dy) map pixels. */
function part(mould: (x: number, y: number) => number, own: (x: number, y: number) => number, dx = 0, dy = 0): TextureMap {
  const data = new Int8Array(N * N);
  for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) data[y * N + x] = Math.max(-127, Math.min(127, Math.round(3 * (mould(x + dx, y + dy) + own(x + dx, y + dy)))));
  return { width: N, height: N, scale: 0.25, data };
}

describe('residualScores, template moved onto the candidate', () => {
  // Thirteen siblings of one mould. The template's twelve other members sit 1.8 map pixels from
  // where the probe and the candidate have the mould's pattern (their poses are off by that much).
  const mould = field(7, 1);
  const own = Array.from({ length: 13 }, (_, i) => field(11 + i, 0.45));
  const candidate = { map: part(mould, own[0]), matrix: [1, 0, 0, 0, 1, 0, 0, 0, 1], member: true };
  const others = own.slice(1).map((o) => ({ map: part(mould, o, 1.5, -1), matrix: [1, 0, 0, 0, 1, 0, 0, 0, 1], member: true }));
  const lookalike = part(mould, field(99, 0.45));
  const genuine = part(mould, own[0]);

  it('keeps a look-alike near zero where a template shared by both sides leaves the mould pattern in', () => {
    const [shared] = residualScores(lookalike, [candidate, ...others], { realign: false });
    const [moved] = residualScores(lookalike, [candidate, ...others], { realign: true });
    expect(shared).toBeGreaterThan(0.5);
    expect(Math.abs(moved)).toBeLessThan(0.15);
  });

  it('still scores the part itself high', () => {
    const [moved] = residualScores(genuine, [candidate, ...others], { realign: true });
    expect(moved).toBeGreaterThan(0.5);
  });
});
