/** Small parsers for repeated command-line values. */
import { PartprintError } from '../core/index.js';

/** Collects repeated `--attr name=value` into an object. */
export function collectAttr(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new PartprintError(`--attr "${value}": expected name=value`, { code: 'CONFIG' });
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

export function parseNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new PartprintError(`${name} "${value}": not a number`, { code: 'CONFIG' });
    return n;
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
