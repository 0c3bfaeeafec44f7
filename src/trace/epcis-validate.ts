/**
 * Strict validation of incoming EPCIS 2.0 documents: GS1's own JSON schema, loaded at run time
 * from the shared data folder (GS1's repository carries no licence that lets partprint ship a
 * copy), plus the checks partprint always makes itself (an @context, CBV terms, numeric
 * quantities), so a document is refused even where the schema file is not installed.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { TraceError } from '../core/index.js';
import { cbvProblem } from './cbv.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Where GS1's EPCIS-JSON-Schema.json is looked for: PARTPRINT_EPCIS_SCHEMA, then ../shared beside the checkout or the working directory. */
export function gs1SchemaCandidates(): string[] {
  const fromEnv = process.env.PARTPRINT_EPCIS_SCHEMA;
  const rel = path.join('shared', 'data', 'epcis-gs1-examples', 'EPCIS-JSON-Schema.json');
  const repoRoot = path.resolve(import.meta.dirname, '..', '..');
  return [
    ...(fromEnv ? [path.resolve(fromEnv)] : []),
    path.resolve(repoRoot, '..', rel),
    path.resolve(process.cwd(), '..', rel),
    path.resolve(process.cwd(), rel),
  ];
}

let cached: { file: string; validate: ValidateFunction } | null | undefined;

/** GS1's schema, compiled once; null when no candidate file exists. */
export function gs1Schema(): { file: string; validate: ValidateFunction } | null {
  if (cached !== undefined) return cached;
  const file = gs1SchemaCandidates().find((f) => existsSync(f));
  if (!file) return (cached = null);
  let schema: object;
  try {
    schema = JSON.parse(readFileSync(file, 'utf8')) as object;
  } catch (err) {
    throw new TraceError(`${file}: GS1's EPCIS JSON schema cannot be read (${(err as Error).message})`, { code: 'CONFIG', cause: err });
  }
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  cached = { file, validate: ajv.compile(schema) };
  return cached;
}

export interface EpcisValidation {
  /** "gs1-schema" when GS1's schema was applied (with partprint's checks); "partprint" when only partprint's own checks ran. */
  validator: 'gs1-schema' | 'partprint';
  schemaFile: string | null;
  /** "JSON pointer: message" lines; empty when the document is valid. */
  errors: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The events of an EPCISDocument or EPCISQueryDocument with their JSON pointer. */
export function documentEvents(doc: unknown): { pointer: string; events: unknown[] } | null {
  if (!isObj(doc) || !isObj(doc.epcisBody)) return null;
  const body = doc.epcisBody;
  if (Array.isArray(body.eventList)) return { pointer: '/epcisBody/eventList', events: body.eventList };
  const results = isObj(body.queryResults) && isObj(body.queryResults.resultsBody) ? body.queryResults.resultsBody : null;
  if (results && Array.isArray(results.eventList)) return { pointer: '/epcisBody/queryResults/resultsBody/eventList', events: results.eventList };
  return null;
}

function quantityProblems(list: unknown, at: string, out: string[]): void {
  if (!Array.isArray(list)) return;
  list.forEach((q, i) => {
    if (isObj(q) && q.quantity !== undefined && (typeof q.quantity !== 'number' || !Number.isFinite(q.quantity))) {
      out.push(`${at}/${i}/quantity: must be a number, got ${JSON.stringify(q.quantity)}`);
    }
  });
}

/** partprint's own checks, made whether or not GS1's schema is present. */
export function partprintProblems(doc: unknown): string[] {
  const out: string[] = [];
  if (!isObj(doc)) return ['/: an EPCIS document must be a JSON object'];
  if (doc.type !== 'EPCISDocument' && doc.type !== 'EPCISQueryDocument') out.push(`/type: must be "EPCISDocument" or "EPCISQueryDocument", got ${JSON.stringify(doc.type)}`);
  if (doc['@context'] === undefined) out.push("/: must have required property '@context' (JSON-LD needs it to read the terms)");
  if (typeof doc.schemaVersion !== 'string' || !doc.schemaVersion.startsWith('2.')) out.push(`/schemaVersion: ${JSON.stringify(doc.schemaVersion)} is not 2.x (partprint reads EPCIS 2)`);
  const list = documentEvents(doc);
  if (!list) {
    out.push('/epcisBody: must hold eventList');
    return out;
  }
  list.events.forEach((e, i) => {
    const at = `${list.pointer}/${i}`;
    if (!isObj(e)) return void out.push(`${at}: an event must be an object`);
    for (const kind of ['bizStep', 'disposition'] as const) {
      const v = e[kind];
      if (v === undefined) continue;
      const problem = typeof v === 'string' ? cbvProblem(kind, v) : `${kind} must be text`;
      if (problem) out.push(`${at}/${kind}: ${problem}`);
    }
    for (const name of ['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList']) quantityProblems(e[name], `${at}/${name}`, out);
  });
  return out;
}

/**
 * Validates a document strictly: GS1's JSON schema when it is found, and partprint's own checks.
 *
 * @example const { errors } = validateEpcisDocument(doc); if (errors.length) console.error(errors.join('\n'));
 */
export function validateEpcisDocument(doc: unknown): EpcisValidation {
  const errors = partprintProblems(doc);
  const gs1 = gs1Schema();
  if (gs1 && !gs1.validate(doc)) {
    for (const e of gs1.validate.errors ?? []) {
      // The schema's if/then and anyOf wrappers repeat their branches' messages; keep the leaves.
      if (e.keyword === 'if' || e.keyword === 'anyOf' || e.keyword === 'allOf' || e.keyword === 'oneOf') continue;
      const line = `${e.instancePath || '/'}: ${e.message}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as string[]).slice(0, 8).join(', ')}...)` : ''}`;
      if (!errors.includes(line)) errors.push(line);
    }
  }
  return { validator: gs1 ? 'gs1-schema' : 'partprint', schemaFile: gs1?.file ?? null, errors };
}

/** Throws BAD_INPUT naming the first problems when the document is not valid. */
export function assertValidEpcisDocument(doc: unknown): EpcisValidation {
  const v = validateEpcisDocument(doc);
  if (v.errors.length > 0) {
    const shown = v.errors.slice(0, 8).join('; ');
    const more = v.errors.length > 8 ? ` (and ${v.errors.length - 8} more)` : '';
    const by = v.validator === 'gs1-schema' ? "GS1's EPCIS 2.0 JSON schema and the CBV" : "partprint's EPCIS checks (GS1's schema file was not found)";
    throw new TraceError(`not a valid EPCIS 2.0 document (checked against ${by}): ${shown}${more}`, { code: 'BAD_INPUT' });
  }
  return v;
}
