/**
 * Trace through the aggregation relation: which part is inside which assembly (or case, pallet),
 * from the effective `packed` / `unpacked` events. A part is inside its parent from its latest
 * effective `packed` event until an `unpacked` one; `at` asks the same question for a past moment.
 * Forward: what is inside X (recursively). Backward: what contains a part, or contains any part
 * with an attribute (e.g. build=B-17), up to the outermost container.
 */
import type { Kysely } from 'kysely';
import { TraceError } from '../core/index.js';
import type { Database } from '../registry/index.js';
import { partForEpc } from './epc.js';
import { getEpcRule } from './settings.js';
import { parseEventTime } from './time.js';

type Db = Kysely<Database>;

/** One "child is inside parent" link. */
export interface ContainmentLink {
  child: string;
  parent: string;
  /** When it was packed (ISO 8601 UTC). */
  since: string;
  /** The parent's EPC as the EPCIS document wrote it (when the parent was named by one). */
  parentEpc?: string;
  /** Id of the `packed` event. */
  eventId: number;
}

/** A node of a trace answer: a part's serial, or the EPC of a container that is no registered part. */
export interface TraceNode {
  key: string;
  /** Registered part? (then `key` is its serial) */
  registered: boolean;
  partNumber: string | null;
  /** The EPC a document named it by (an SSCC URN, a Digital Link), when known. */
  epc?: string;
  /** When it went into its parent (absent at the root of `contents`). */
  since?: string;
}

export interface ContentsNode extends TraceNode {
  children: ContentsNode[];
}

export interface ContainersAnswer {
  /** The parts asked about, each with its containers from the innermost out. */
  parts: Array<TraceNode & { containers: TraceNode[] }>;
  /** Every container that holds at least one of those parts (directly or through an inner container), outermost last. */
  containers: Array<TraceNode & { parts: string[]; level: number }>;
}

export interface TraceOptions {
  /** The moment asked about (ISO 8601 with offset); default now. */
  at?: string;
}

/** The links in force at `at`: per child, its latest effective packed/unpacked event decides. */
export async function containmentLinks(db: Db, options: TraceOptions = {}): Promise<Map<string, ContainmentLink>> {
  const at = options.at === undefined ? undefined : parseEventTime(options.at, 'at').utc;
  let q = db
    .selectFrom('events as e')
    .innerJoin('parts as p', 'p.id', 'e.part_id')
    .leftJoin('events as c', 'c.corrects_event_id', 'e.id')
    .select(['e.id', 'e.type', 'e.fields', 'e.occurred_at', 'p.serial'])
    .where('e.type', 'in', ['packed', 'unpacked'])
    .where('c.id', 'is', null);
  if (at !== undefined) q = q.where('e.occurred_at', '<=', at);
  const rows = await q.orderBy('e.occurred_at').orderBy('e.id').execute();
  const links = new Map<string, ContainmentLink>();
  for (const r of rows) {
    const f = JSON.parse(r.fields || '{}') as { parent?: string; _epcis?: { parentID?: string } };
    const parent = f.parent;
    if (r.type === 'unpacked') {
      // Unpacking from another parent than the current one leaves the current link alone.
      if (links.get(r.serial)?.parent === parent) links.delete(r.serial);
    } else if (parent !== undefined) {
      links.set(r.serial, { child: r.serial, parent, since: r.occurred_at, eventId: Number(r.id), ...(f._epcis?.parentID ? { parentEpc: f._epcis.parentID } : {}) });
    }
  }
  return links;
}

async function describe(db: Db, keys: string[], links: Map<string, ContainmentLink>): Promise<Map<string, TraceNode>> {
  const epcOf = new Map<string, string>();
  for (const l of links.values()) if (l.parentEpc) epcOf.set(l.parent, l.parentEpc);
  const out = new Map<string, TraceNode>(keys.map((k) => [k, { key: k, registered: false, partNumber: null, ...(epcOf.has(k) ? { epc: epcOf.get(k) } : {}) }]));
  for (let i = 0; i < keys.length; i += 500) {
    const rows = await db.selectFrom('parts').select(['serial', 'part_number']).where('serial', 'in', keys.slice(i, i + 500)).execute();
    for (const r of rows) out.set(r.serial, { ...out.get(r.serial)!, registered: true, partNumber: r.part_number });
  }
  return out;
}

/**
 * Forward trace: what is inside `key` (a part's serial or a container's EPC), as a tree.
 *
 * @example const tree = await traceContents(reg, 'ASM-7'); // tree.children: the parts fitted into ASM-7
 */
export async function traceContents(registry: { db: Db }, asked: string, options: TraceOptions = {}): Promise<ContentsNode> {
  const key = await resolveKey(registry, asked);
  const links = await containmentLinks(registry.db, options);
  const childrenOf = new Map<string, ContainmentLink[]>();
  for (const l of links.values()) childrenOf.set(l.parent, [...(childrenOf.get(l.parent) ?? []), l]);
  const seen = new Set<string>([key]);
  const keys = [key];
  interface Branch { link: ContainmentLink; kids: Branch[] }
  const walk = (k: string): Branch[] => {
    const fresh = (childrenOf.get(k) ?? []).filter((l) => !seen.has(l.child));
    for (const l of fresh) {
      seen.add(l.child);
      keys.push(l.child);
    }
    return fresh.map((link) => ({ link, kids: walk(link.child) }));
  };
  const tree = walk(key);
  const info = await describe(registry.db, keys, links);
  if (!info.get(key)!.registered && tree.length === 0 && !(await knownAsParent(registry.db, key))) {
    throw new TraceError(`"${key}" is neither a registered part nor a container named by any packed event`, { code: 'NOT_FOUND' });
  }
  const build = (nodes: Branch[]): ContentsNode[] =>
    nodes.sort((a, b) => a.link.child.localeCompare(b.link.child)).map(({ link, kids }) => ({ ...info.get(link.child)!, since: link.since, children: build(kids) }));
  return { ...info.get(key)!, children: build(tree) };
}

/** An EPC the registry's rule maps to a serial is asked about as that serial (parents are stored so). */
async function resolveKey(registry: { db: Db }, key: string): Promise<string> {
  if (!key.includes(':')) return key;
  return partForEpc(key, await getEpcRule(registry))?.serial ?? key;
}

async function knownAsParent(db: Db, key: string): Promise<boolean> {
  const rows = await db.selectFrom('events').select('fields').where('type', 'in', ['packed', 'unpacked']).execute();
  return rows.some((r) => (JSON.parse(r.fields || '{}') as { parent?: string }).parent === key);
}

/** Serials of the parts with attribute `name` = `value` (e.g. build = B-17). */
async function partsWithAttribute(db: Db, name: string, value: string): Promise<string[]> {
  const rows = await db
    .selectFrom('part_attributes as a')
    .innerJoin('parts as p', 'p.id', 'a.part_id')
    .select('p.serial')
    .where('a.name', '=', name)
    .where('a.value', '=', value)
    .orderBy('p.serial')
    .execute();
  return rows.map((r) => r.serial);
}

/**
 * Backward trace: which containers hold the given parts, or every part with an attribute value
 * ("which assemblies contain parts of build B-17?"), from the innermost container out.
 *
 * @example await traceContainers(reg, { attribute: { name: 'build', value: 'B-17' } })
 */
export async function traceContainers(
  registry: { db: Db },
  query: { serials?: string[]; attribute?: { name: string; value: string } } & TraceOptions,
): Promise<ContainersAnswer> {
  const asked = await Promise.all((query.serials ?? []).map((s) => resolveKey(registry, s)));
  const serials = [...new Set([...asked, ...(query.attribute ? await partsWithAttribute(registry.db, query.attribute.name, query.attribute.value) : [])])];
  if (query.serials === undefined && query.attribute === undefined) throw new TraceError('name the parts: serials or an attribute (name = value)', { code: 'BAD_INPUT' });
  const links = await containmentLinks(registry.db, query);
  const chains = serials.map((serial) => {
    const chain: ContainmentLink[] = [];
    const seen = new Set([serial]);
    for (let l = links.get(serial); l && !seen.has(l.parent); l = links.get(l.parent)) {
      chain.push(l);
      seen.add(l.parent);
    }
    return { serial, chain };
  });
  const info = await describe(registry.db, [...new Set([...serials, ...chains.flatMap((c) => c.chain.map((l) => l.parent))])], links);
  for (const s of asked) if (!info.get(s)!.registered) throw new TraceError(`part "${s}" is not registered`, { code: 'NOT_FOUND' });
  const byContainer = new Map<string, { parts: Set<string>; level: number }>();
  for (const { serial, chain } of chains) {
    chain.forEach((l, i) => {
      const c = byContainer.get(l.parent) ?? { parts: new Set<string>(), level: i + 1 };
      c.parts.add(serial);
      c.level = Math.max(c.level, i + 1);
      byContainer.set(l.parent, c);
    });
  }
  return {
    parts: chains.map(({ serial, chain }) => ({
      ...info.get(serial)!,
      // `since`: when the thing one level in went into this container.
      containers: chain.map((l) => ({ ...info.get(l.parent)!, since: l.since })),
    })),
    containers: [...byContainer].map(([key, c]) => ({ ...info.get(key)!, parts: [...c.parts].sort(), level: c.level })).sort((a, b) => a.level - b.level || a.key.localeCompare(b.key)),
  };
}
