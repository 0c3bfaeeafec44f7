/**
 * Which positions, machines, builds (any part attribute or event field) fail more often than the
 * rest: per group, the failure rate of its events (e.g. inspections with result fail among all
 * inspections), a Wilson interval, Fisher's exact test of the group against all other groups, a
 * multiple-comparison correction over the groups, and the chi-square test over all groups at once.
 */
import { PartprintError } from '../core/index.js';
import type { Registry } from '../registry/index.js';
import { aggregateEvents, AGGREGATE_FIELDS, type AggregateField, type AggregateGroup } from '../trace/index.js';
import { bhAdjust, chiSquareHomogeneity, fisherExact, holmAdjust, wilsonInterval } from './stats.js';

export interface FailureRateQuery {
  /** `attribute:NAME`, `field:position|result|torqueNm`, `partNumber` or `type`. */
  groupBy: string;
  /** Events counted (default inspected). */
  type?: string;
  /** What makes an event a failure: field values (default { result: 'fail' }). */
  failWhere?: Partial<Record<AggregateField, string>>;
  since?: string;
  until?: string;
  /** Significance level (default 0.05). */
  alpha?: number;
  /** holm (family-wise, default) or bh (false discovery rate). */
  correction?: 'holm' | 'bh';
}

export interface FailureRateRow {
  key: string;
  total: number;
  failed: number;
  rate: number;
  /** 95% Wilson interval of the rate. */
  ci: [number, number];
  /** Failure rate of all other groups together. */
  restRate: number;
  /** Fisher's exact test, group vs rest, two-sided. */
  pValue: number;
  adjustedP: number;
  /** adjustedP < alpha. */
  significant: boolean;
  direction: 'higher' | 'lower' | 'same';
}

export interface FailureRateReport {
  groupBy: string;
  type: string;
  failWhere: Record<string, string>;
  total: number;
  failed: number;
  rate: number;
  alpha: number;
  correction: 'holm' | 'bh';
  /** All groups at once: do their rates differ at all? */
  chiSquare: { statistic: number; df: number; pValue: number };
  /** Worst first (significantly higher, then by rate). */
  rows: FailureRateRow[];
}

export function parseGroupBy(text: string): AggregateGroup {
  if (text === 'partNumber') return { partNumber: true };
  if (text === 'type') return { type: true };
  const i = text.indexOf(':');
  const kind = i > 0 ? text.slice(0, i) : '', name = i > 0 ? text.slice(i + 1) : '';
  if (kind === 'attribute' && name) return { attribute: name };
  if (kind === 'field' && (AGGREGATE_FIELDS as readonly string[]).includes(name)) return { field: name as AggregateField };
  throw new PartprintError(`group by "${text}": use attribute:NAME, field:${AGGREGATE_FIELDS.join('|')}, partNumber or type`, { code: 'BAD_INPUT' });
}

/**
 * @example
 *   await failureRates(registry, { groupBy: 'attribute:machine' })
 *   // rows: [{ key: 'M03', failed: 18, total: 60, rate: 0.3, restRate: 0.05, adjustedP: 2e-6, significant: true, direction: 'higher' }, ...]
 */
export async function failureRates(registry: Pick<Registry, 'db' | 'dialect'>, q: FailureRateQuery): Promise<FailureRateReport> {
  const groupBy = parseGroupBy(q.groupBy);
  const type = q.type ?? 'inspected';
  const failWhere = q.failWhere ?? { result: 'fail' };
  const alpha = q.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new PartprintError(`alpha ${alpha}: must be between 0 and 1`, { code: 'BAD_INPUT' });
  const correction = q.correction ?? 'holm';
  const base = { groupBy, type, since: q.since, until: q.until };
  const all = await aggregateEvents(registry, base);
  const fails = await aggregateEvents(registry, { ...base, where: failWhere });
  const failedBy = new Map(fails.map((r) => [r.key ?? '(none)', Number(r.events)]));
  const groups = all.map((r) => ({ key: r.key ?? '(none)', total: Number(r.events), failed: failedBy.get(r.key ?? '(none)') ?? 0 }));
  const total = groups.reduce((s, g) => s + g.total, 0);
  const failed = groups.reduce((s, g) => s + g.failed, 0);
  const raw = groups.map((g) => {
    const restTotal = total - g.total, restFailed = failed - g.failed;
    const p = fisherExact(g.failed, g.total - g.failed, restFailed, restTotal - restFailed).twoSided;
    const rate = g.total ? g.failed / g.total : 0;
    const restRate = restTotal ? restFailed / restTotal : 0;
    return { ...g, rate, restRate, pValue: p, ci: wilsonInterval(g.failed, g.total) };
  });
  const adjusted = (correction === 'holm' ? holmAdjust : bhAdjust)(raw.map((r) => r.pValue));
  const rows: FailureRateRow[] = raw.map((r, i) => ({
    ...r,
    adjustedP: adjusted[i],
    significant: adjusted[i] < alpha,
    direction: r.rate > r.restRate ? 'higher' : r.rate < r.restRate ? 'lower' : 'same',
  }));
  const score = (r: FailureRateRow) => (r.significant && r.direction === 'higher' ? 2 : r.significant ? 0 : 1);
  rows.sort((a, b) => score(b) - score(a) || b.rate - a.rate || a.key.localeCompare(b.key));
  return {
    groupBy: q.groupBy, type, failWhere: failWhere as Record<string, string>, total, failed, rate: total ? failed / total : 0, alpha, correction,
    chiSquare: chiSquareHomogeneity(groups), rows,
  };
}
