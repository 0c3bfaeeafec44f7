import { postgresBackend } from './backends.js';
import { defineBulkSuite } from './bulk.suite.js';

defineBulkSuite(postgresBackend());
