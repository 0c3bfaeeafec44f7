/**
 * Every migration, in order. A capability that needs a table adds a file
 * `<epoch-ms>-<Name>.ts` (exporting `up` and `down`) beside this one and one line below;
 * landed files are never edited.
 */
import type { Migration } from 'kysely';
import * as m1795250000000 from './1795250000000-Initial.js';
import * as m1795258415832 from './1795258415832-AttributeLookupIndex.js';
import * as m1795258733089 from './1795258733089-EventCorrectionsUnique.js';
import * as m1795259387649 from './1795259387649-ServerTables.js';
import * as m1795277284555 from './1795277284555-FingerprintVersionIndex.js';
import * as m1795300000000 from './1795300000000-Settings.js';
import * as m1795310000000 from './1795310000000-FieldWorkflows.js';

export const MIGRATIONS: Record<string, Migration> = {
  '1795250000000-Initial': m1795250000000,
  '1795258415832-AttributeLookupIndex': m1795258415832,
  '1795258733089-EventCorrectionsUnique': m1795258733089,
  '1795259387649-ServerTables': m1795259387649,
  '1795277284555-FingerprintVersionIndex': m1795277284555,
  '1795300000000-Settings': m1795300000000,
  '1795310000000-FieldWorkflows': m1795310000000,
};
