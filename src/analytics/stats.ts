/**
 * Small exact statistics for comparing failure rates between groups: Fisher's exact test on a 2x2
 * table, the chi-square test of homogeneity over all groups, Holm and Benjamini-Hochberg
 * corrections for testing many groups at once, Wilson score intervals.
 */

const logFactCache: number[] = [0];
function logFactorial(n: number): number {
  for (let i = logFactCache.length; i <= n; i++) logFactCache[i] = logFactCache[i - 1] + Math.log(i);
  return logFactCache[n];
}

/** log P of a 2x2 table [[a, b], [c, d]] with fixed margins (hypergeometric). */
function logHyper(a: number, b: number, c: number, d: number): number {
  const n = a + b + c + d;
  return logFactorial(a + b) + logFactorial(c + d) + logFactorial(a + c) + logFactorial(b + d) - logFactorial(n) - logFactorial(a) - logFactorial(b) - logFactorial(c) - logFactorial(d);
}

/**
 * Fisher's exact test of [[a, b], [c, d]] (rows: group / rest; columns: failed / not failed).
 * Two-sided p: the sum over every table with these margins that is at most as likely as this one;
 * `greater`: P(at least `a` failures in the group).
 *
 * @example fisherExact(3, 1, 1, 3).twoSided // 0.4857 (Fisher's tea-tasting table)
 */
export function fisherExact(a: number, b: number, c: number, d: number): { twoSided: number; greater: number; less: number } {
  for (const v of [a, b, c, d]) if (!Number.isInteger(v) || v < 0) throw new RangeError(`fisherExact: counts must be whole numbers >= 0, got ${[a, b, c, d].join(', ')}`);
  const row1 = a + b, col1 = a + c, n = a + b + c + d;
  const lo = Math.max(0, col1 - (n - row1)), hi = Math.min(row1, col1);
  const observed = logHyper(a, b, c, d);
  let two = 0, greater = 0, less = 0;
  for (let x = lo; x <= hi; x++) {
    const lp = logHyper(x, row1 - x, col1 - x, n - row1 - col1 + x);
    const p = Math.exp(lp);
    if (lp <= observed + 1e-7) two += p;
    if (x >= a) greater += p;
    if (x <= a) less += p;
  }
  const clamp = (p: number) => Math.min(1, Math.max(0, p));
  return { twoSided: clamp(two), greater: clamp(greater), less: clamp(less) };
}

/** ln Gamma (Lanczos, g = 7). */
function logGamma(x: number): number {
  const g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let s = g[0];
  for (let i = 1; i < 9; i++) s += g[i] / (x + i);
  const t = x + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Regularised upper incomplete gamma Q(s, x) (series below s + 1, continued fraction above). */
function gammaQ(s: number, x: number): number {
  if (x <= 0) return 1;
  const lg = logGamma(s);
  if (x < s + 1) {
    let sum = 1 / s, term = sum;
    for (let k = 1; k < 1000; k++) {
      term *= x / (s + k);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return Math.max(0, 1 - sum * Math.exp(-x + s * Math.log(x) - lg));
  }
  let b = x + 1 - s, c = 1e300, d = 1 / b, f = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - s);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const delta = d * c;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.min(1, f * Math.exp(-x + s * Math.log(x) - lg));
}

/** Upper tail of the chi-square distribution with `df` degrees of freedom. */
export function chiSquareSurvival(statistic: number, df: number): number {
  return gammaQ(df / 2, statistic / 2);
}

/** Pearson's chi-square test that every group has the same failure rate (groups: [failed, total]). */
export function chiSquareHomogeneity(groups: Array<{ failed: number; total: number }>): { statistic: number; df: number; pValue: number } {
  const used = groups.filter((g) => g.total > 0);
  const N = used.reduce((s, g) => s + g.total, 0);
  const F = used.reduce((s, g) => s + g.failed, 0);
  if (used.length < 2 || F === 0 || F === N) return { statistic: 0, df: Math.max(0, used.length - 1), pValue: 1 };
  let x2 = 0;
  for (const g of used) {
    const ef = (g.total * F) / N, eo = g.total - ef;
    x2 += (g.failed - ef) ** 2 / ef + (g.total - g.failed - eo) ** 2 / eo;
  }
  const df = used.length - 1;
  return { statistic: x2, df, pValue: chiSquareSurvival(x2, df) };
}

/** Holm-Bonferroni adjusted p-values (family-wise error), in the input order. */
export function holmAdjust(p: number[]): number[] {
  const order = p.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(p.length);
  let running = 0;
  order.forEach(([v, i], k) => {
    running = Math.max(running, Math.min(1, (p.length - k) * v));
    out[i] = running;
  });
  return out;
}

/** Benjamini-Hochberg adjusted p-values (false discovery rate), in the input order. */
export function bhAdjust(p: number[]): number[] {
  const m = p.length;
  const order = p.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
  const out = new Array<number>(m);
  let running = 1;
  order.forEach(([v, i], k) => {
    const rank = m - k;
    running = Math.min(running, (v * m) / rank);
    out[i] = Math.min(1, running);
  });
  return out;
}

/** Wilson score interval of a proportion (95% by default). */
export function wilsonInterval(successes: number, n: number, z = 1.959964): [number, number] {
  if (n === 0) return [0, 1];
  const p = successes / n;
  const d = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / d;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}
