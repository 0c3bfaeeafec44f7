/** Small helpers the benchmarks share: quantiles, probe sampling and table cells. */

/** The q-quantile of `v` (nearest rank; NaN when empty). */
export function quantile(v: number[], q: number): number {
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/**
 * `n` items spread evenly over `all` (recaptures are listed part by part, 3 each), shifted by
 * j mod 3 so that the picks also cycle through the capture indices.
 */
export function spread<T>(all: T[], n: number): T[] {
  if (n >= all.length) return all;
  return Array.from({ length: n }, (_, j) => all[Math.min(all.length - 1, Math.floor((j * all.length) / n) + (j % 3))]);
}

/** Milliseconds as a table cell. */
export const ms = (v: number): string => v.toFixed(1);

/** "a of b" as a percentage with the counts, e.g. "99.90% (999/1000)". */
export const percentOf = (a: number, b: number): string => `${((a / Math.max(1, b)) * 100).toFixed(2)}% (${a}/${b})`;
