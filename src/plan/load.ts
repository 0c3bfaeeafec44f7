/**
 * Reading plans and check files (JSON or YAML), checked against schemas/inspection-plan.schema.json
 * and schemas/inspection-check.schema.json (the one definition of each), plus the rules a schema
 * cannot say (unique position ids, min <= max).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { PartprintError } from '../core/index.js';
import type { InspectionPlan, PositionObservation } from './types.js';

const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new Map<string, ValidateFunction>();

function validator(file: string): ValidateFunction {
  let v = compiled.get(file);
  if (!v) {
    const schema = JSON.parse(readFileSync(new URL(`../../schemas/${file}`, import.meta.url), 'utf8')) as object;
    v = ajv.compile(schema);
    compiled.set(file, v);
  }
  return v;
}

function bad(message: string): PartprintError {
  return new PartprintError(message, { code: 'BAD_INPUT' });
}

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : ''}${e.keyword === 'enum' ? ` (${((e.params as { allowedValues?: unknown[] }).allowedValues ?? []).join(', ')})` : ''}`).join('; ');
}

/** Parses JSON, or YAML when the name ends in .yaml/.yml or the text is not JSON. */
export function parseDocument(text: string, name: string): unknown {
  const yaml = /\.ya?ml$/i.test(name);
  try {
    return yaml ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    if (!yaml) {
      try {
        return parseYaml(text);
      } catch {
        /* report the JSON error below */
      }
    }
    throw new PartprintError(`${name}: not valid ${yaml ? 'YAML' : 'JSON or YAML'}: ${(err as Error).message}`, { code: 'BAD_INPUT', cause: err });
  }
}

/** Checks a parsed plan; throws BAD_INPUT naming every problem. */
export function validatePlan(value: unknown, name = 'plan'): InspectionPlan {
  const v = validator('inspection-plan.schema.json');
  if (!v(value)) throw bad(`${name}: not a valid inspection plan: ${describeErrors(v.errors)}`);
  const plan = value as InspectionPlan;
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const p of plan.positions) {
    if (seen.has(p.id)) problems.push(`position "${p.id}" appears twice`);
    seen.add(p.id);
    if (p.torqueNm && p.torqueNm.min > p.torqueNm.max) problems.push(`position "${p.id}": torque min ${p.torqueNm.min} is above max ${p.torqueNm.max}`);
  }
  if (problems.length > 0) throw bad(`${name}: ${problems.join('; ')}`);
  return plan;
}

export async function readPlan(file: string): Promise<InspectionPlan> {
  const text = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new PartprintError(`plan ${file}: ${(err as Error).message}`, { code: 'NOT_FOUND', cause: err });
  });
  return validatePlan(parseDocument(text, file), file);
}

export interface CheckFile {
  assembly?: string;
  actor?: string;
  place?: string;
  occurredAt?: string;
  positions: Record<string, { image?: string; torqueNm?: number; inspection?: 'pass' | 'fail' }>;
}

export function validateCheckFile(value: unknown, name = 'check file'): CheckFile {
  const v = validator('inspection-check.schema.json');
  if (!v(value)) throw bad(`${name}: not a valid check file: ${describeErrors(v.errors)}`);
  const c = value as CheckFile;
  return { ...c, positions: c.positions ?? {} };
}

/** Reads a check file and the images it names (relative to its folder). */
export async function readCheckFile(file: string): Promise<{ meta: Omit<CheckFile, 'positions'>; observations: Record<string, PositionObservation> }> {
  const text = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new PartprintError(`check file ${file}: ${(err as Error).message}`, { code: 'NOT_FOUND', cause: err });
  });
  const { positions, ...meta } = validateCheckFile(parseDocument(text, file), file);
  const observations: Record<string, PositionObservation> = {};
  for (const [id, o] of Object.entries(positions)) {
    observations[id] = { torqueNm: o.torqueNm, inspection: o.inspection };
    if (o.image) observations[id].image = await readImageFile(path.resolve(path.dirname(file), o.image));
  }
  return { meta, observations };
}

export async function readImageFile(file: string): Promise<{ bytes: Uint8Array; name: string }> {
  const bytes = await readFile(file).catch((err: unknown) => {
    throw new PartprintError(`image ${file}: ${(err as Error).message}`, { code: 'NOT_FOUND', cause: err });
  });
  return { bytes: new Uint8Array(bytes), name: path.basename(file) };
}
