import { sqliteBackend } from './backends.js';
import { defineRegistrySuite } from './registry.suite.js';

defineRegistrySuite(sqliteBackend);
