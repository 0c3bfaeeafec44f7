/**
 * Generates src/source/model-card.generated.ts (the TypeScript type of a model card) from
 * schemas/model-card.schema.json with json-schema-to-typescript. `npm run gen:card-type` writes it;
 * src/source/card-contract.test.ts fails when the checked-in file is not what this produces.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compile, type JSONSchema } from 'json-schema-to-typescript';

export const GENERATED_FILE = fileURLToPath(new URL('../src/source/model-card.generated.ts', import.meta.url));
const SCHEMA_FILE = fileURLToPath(new URL('../schemas/model-card.schema.json', import.meta.url));

export async function generateModelCardType(): Promise<string> {
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as JSONSchema;
  return compile(schema, 'ModelCardDocument', {
    bannerComment: '/* Generated from schemas/model-card.schema.json by scripts/gen-model-card-type.ts (npm run gen:card-type). Do not edit. */',
    additionalProperties: false,
    ignoreMinAndMaxItems: true,
    style: { singleQuote: true, printWidth: 160 },
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(GENERATED_FILE, await generateModelCardType());
  process.stdout.write(`wrote ${GENERATED_FILE}\n`);
}
