import { postgresBackend } from './backends.js';
import { defineTraceSuite } from './trace.suite.js';

defineTraceSuite(postgresBackend());
