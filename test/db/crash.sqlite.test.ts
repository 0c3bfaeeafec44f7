import { sqliteBackend } from './backends.js';
import { defineCrashSuite } from './crash.suite.js';

defineCrashSuite(sqliteBackend);
