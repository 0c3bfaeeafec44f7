/**
 * One contract for the model card: the checked-in TypeScript type is what the schema generates,
 * and cards are validated by Ajv (strict), so every constraint in the schema is enforced.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED_FILE, generateModelCardType } from '../../scripts/gen-model-card-type.js';
import { validateModelCard } from './card.js';

const bundled = JSON.parse(readFileSync(new URL('../../models/neu-det-mnv3s/model.json', import.meta.url), 'utf8')) as Record<string, unknown>;

describe('model card contract', () => {
  it('model-card.generated.ts is up to date with schemas/model-card.schema.json (npm run gen:card-type)', async () => {
    expect(readFileSync(GENERATED_FILE, 'utf8')).toBe(await generateModelCardType());
  });

  it('accepts the bundled card and enforces maximum, exclusiveMinimum, enum and nested schemas', () => {
    expect(validateModelCard(bundled).name).toBe(bundled.name);
    const training = bundled.training as Record<string, unknown>;
    expect(() => validateModelCard({ ...bundled, training: { ...training, lr: 50 } })).toThrow(/training\.lr: must be <= 1/);
    expect(() => validateModelCard({ ...bundled, training: { ...training, lr: 0 } })).toThrow(/training\.lr/);
    expect(() => validateModelCard({ ...bundled, training: { ...training, optimizer: 'sgd' } })).toThrow(/training\.optimizer/);
    expect(() => validateModelCard({ ...bundled, inputCheck: { statistic: 'roi-mean-and-log-contrast-z', perClass: { a: { mean: [0.5, -2], sd: [0, 1] } }, threshold: 3 } })).toThrow(/inputCheck\.perClass\.a\.sd\.0/);
    expect(() => validateModelCard({ ...bundled, calibration: { temperature: -1 } })).toThrow(/calibration\.temperature/);
  });
});
