import { postgresBackend } from './backends.js';
import { defineCrashSuite } from './crash.suite.js';

defineCrashSuite(postgresBackend());
