import { sqliteBackend } from './backends.js';
import { defineTrustSuite } from './trust.suite.js';

defineTrustSuite(sqliteBackend);
