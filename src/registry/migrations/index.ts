/**
 * Every migration, in order. A capability that needs a table adds a file
 * `<epoch-ms>-<Name>.ts` (exporting `up` and `down`) beside this one and one line below;
 * landed files are never edited.
 */
import type { Migration } from 'kysely';
import * as m1795250000000 from './1795250000000-Initial.js';
import * as m1795257553595 from './1795257553595-ServerTables.js';
import * as m1795257820723 from './1795257820723-EventCorrectionsUnique.js';
import * as m1795258415832 from './1795258415832-AttributeLookupIndex.js';

export const MIGRATIONS: Record<string, Migration> = {
  '1795250000000-Initial': m1795250000000,
  '1795257553595-ServerTables': m1795257553595,
  '1795257820723-EventCorrectionsUnique': m1795257820723,
  '1795258415832-AttributeLookupIndex': m1795258415832,
};
