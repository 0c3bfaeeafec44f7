/**
 * Balanced train / val / test split by part: every capture of a part goes to the part's split,
 * each class gets exactly the requested number of parts per split, and the split is refused
 * (with every reason) when a class has too few parts or a part would leak across splits.
 */
import { SourceError, createRng, deriveSeed } from '../core/index.js';

/** One image that could go into the dataset. */
export interface DatasetCandidate {
  serial: string;
  /** Value of the attribute being learnt (the class name). */
  label: string;
  /** Registry capture id, or null when read from a manifest. */
  captureId: number | null;
  /** Image file path. */
  image: string;
  pixelSizeUm: number | null;
  /** Other attributes of the part (e.g. tray_position for adjacency). */
  attributes?: Record<string, string>;
}

export type SplitName = 'train' | 'val' | 'test';

export interface SplitCounts {
  trainPerClass: number;
  valPerClass: number;
  testPerClass: number;
}

export interface SplitPlan {
  classes: string[];
  /** Candidates with their split, in a stable order (class, split, serial, capture). */
  items: Array<DatasetCandidate & { split: SplitName; label: string }>;
  /** Parts left out per class (more parts than requested). */
  unused: Record<string, number>;
}

export interface SplitOptions extends SplitCounts {
  seed: number;
  /** Only these classes (default: every value seen). */
  classes?: string[];
}

function shuffled<T>(items: T[], seed: number): T[] {
  const out = items.slice();
  const rng = createRng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Plans the split. Throws a SourceError (BAD_INPUT) that lists every reason when it cannot be
 * balanced or would leak.
 *
 * @example
 *   const plan = planSplit(candidates, { trainPerClass: 100, valPerClass: 10, testPerClass: 50, seed: 1 });
 */
export function planSplit(candidates: DatasetCandidate[], options: SplitOptions): SplitPlan {
  const problems: string[] = [];
  for (const [k, v] of Object.entries({ train: options.trainPerClass, val: options.valPerClass, test: options.testPerClass })) {
    if (!Number.isInteger(v) || v < 0) problems.push(`--${k}-per-class must be a whole number >= 0, got ${v}`);
  }
  // trainPerClass 0 builds an evaluation-only set (test, optionally val): parts for `source eval`, never for training.
  if (options.trainPerClass < 1 && options.testPerClass < 1 && options.valPerClass < 1) problems.push('a split needs at least one part per class in some split');
  else if (options.trainPerClass >= 1 && options.testPerClass < 1) problems.push('a training split needs at least one test part per class (or use --train-per-class 0 for an evaluation-only set)');
  const byPart = new Map<string, DatasetCandidate[]>();
  for (const c of candidates) {
    const list = byPart.get(c.serial) ?? [];
    list.push(c);
    byPart.set(c.serial, list);
  }
  const partsByClass = new Map<string, string[]>();
  for (const [serial, list] of byPart) {
    const labels = new Set(list.map((c) => c.label));
    if (labels.size > 1) {
      problems.push(`part ${serial} has captures with different labels (${[...labels].join(', ')})`);
      continue;
    }
    const label = list[0].label;
    partsByClass.set(label, [...(partsByClass.get(label) ?? []), serial]);
  }
  const classes = (options.classes ?? [...partsByClass.keys()]).slice().sort();
  if (classes.length < 2) problems.push(`a source model needs at least 2 classes, found ${classes.length}${classes.length ? ` (${classes.join(', ')})` : ''}`);
  const need = options.trainPerClass + options.valPerClass + options.testPerClass;
  for (const cls of classes) {
    const have = partsByClass.get(cls)?.length ?? 0;
    if (have < need) {
      problems.push(`class ${cls} has ${have} part(s), needs ${need} (${options.trainPerClass} train + ${options.valPerClass} val + ${options.testPerClass} test)`);
    }
  }
  if (problems.length > 0) throw new SourceError(`cannot build a balanced split:\n  ${problems.join('\n  ')}`, { code: 'BAD_INPUT' });

  const items: SplitPlan['items'] = [];
  const unused: Record<string, number> = {};
  for (const cls of classes) {
    const serials = shuffled((partsByClass.get(cls) ?? []).slice().sort(), deriveSeed(options.seed, 'split', cls));
    const take: Array<[SplitName, string[]]> = [
      ['train', serials.slice(0, options.trainPerClass)],
      ['val', serials.slice(options.trainPerClass, options.trainPerClass + options.valPerClass)],
      ['test', serials.slice(options.trainPerClass + options.valPerClass, need)],
    ];
    unused[cls] = serials.length - need;
    for (const [split, list] of take) {
      for (const serial of list.sort()) {
        const caps = (byPart.get(serial) ?? []).slice().sort((a, b) => (a.captureId ?? 0) - (b.captureId ?? 0) || a.image.localeCompare(b.image));
        for (const c of caps) items.push({ ...c, split });
      }
    }
  }
  checkNoLeak(items);
  return { classes, items, unused };
}

/** Throws when any part (serial) appears in more than one split. */
export function checkNoLeak(items: Array<{ serial: string; split: SplitName }>): void {
  const seen = new Map<string, SplitName>();
  const leaks = new Set<string>();
  for (const it of items) {
    const prev = seen.get(it.serial);
    if (prev !== undefined && prev !== it.split) leaks.add(`${it.serial} (${prev} and ${it.split})`);
    seen.set(it.serial, it.split);
  }
  if (leaks.size > 0) throw new SourceError(`split leaks parts across splits: ${[...leaks].slice(0, 10).join(', ')}${leaks.size > 10 ? ', ...' : ''}`, { code: 'BAD_INPUT' });
}
