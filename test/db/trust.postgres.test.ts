import { postgresBackend } from './backends.js';
import { defineTrustSuite } from './trust.suite.js';

defineTrustSuite(postgresBackend());
