/**
 * Test helper: validates a document against GS1's EPCIS 2.0 JSON schema (from ../shared) and
 * partprint's checks. Without the schema file the tests that use it fail (GS1's schema is what
 * "valid EPCIS" means here), unless PARTPRINT_REQUIRE_ALL is unset, where partprint's checks alone run.
 */
import { gs1Schema, gs1SchemaCandidates, validateEpcisDocument } from './epcis-validate.js';

if (!gs1Schema()) {
  const where = gs1SchemaCandidates().join(', ');
  if (process.env.PARTPRINT_REQUIRE_ALL === '1') throw new Error(`PARTPRINT_REQUIRE_ALL=1 but GS1's EPCIS JSON schema is not at any of ${where}`);
  process.stderr.write(`GS1's EPCIS JSON schema not found (${where}): EPCIS documents are checked by partprint's own checks only\n`);
}

/** Schema errors as "path: message" lines; empty when the document is valid. */
export function epcisSchemaErrors(doc: unknown): string[] {
  return validateEpcisDocument(doc).errors;
}
