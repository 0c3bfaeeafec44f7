import { sqliteBackend } from './backends.js';
import { defineTraceSuite } from './trace.suite.js';

defineTraceSuite(sqliteBackend);
