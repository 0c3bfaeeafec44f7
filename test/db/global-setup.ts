/**
 * vitest globalSetup: reserves one folder for this run's PostgreSQL cluster (started lazily by
 * the first test that needs it, see pg-cluster.ts) and stops and removes it when the run ends.
 * Starts nothing when no test uses PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { stopPgCluster } from './pg-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgRunDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = path.join(os.tmpdir(), `pp-pg-run-${process.pid}-${randomBytes(4).toString('hex')}`);
  project.provide('pgRunDir', dir);
  return () => stopPgCluster(dir);
}
