import { sqliteBackend } from './backends.js';
import { defineBulkSuite } from './bulk.suite.js';

defineBulkSuite(sqliteBackend);
