/**
 * Runs the Python trainer (`trainer/`, PyTorch) as a child process: /usr/bin/python3 -m
 * partprint_trainer.<module> with PYTHONPATH pointing at the repository's trainer folder.
 * Small CPU runs happen here; large runs go to a GPU host (see ARCHITECTURE.md).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SourceError } from '../core/index.js';

export const PYTHON = process.env.PARTPRINT_PYTHON ?? '/usr/bin/python3';

/** The repository's trainer/ folder (holds the partprint_trainer package). */
export function trainerDir(): string {
  return fileURLToPath(new URL('../../trainer', import.meta.url));
}

/** Which of the given Python modules the trainer's interpreter lacks ([] = all present). */
export function missingPythonModules(modules: string[]): string[] {
  if (!existsSync(PYTHON)) return modules;
  const missing: string[] = [];
  for (const m of modules) {
    const r = spawnSync(PYTHON, ['-c', `import ${m}`], { stdio: 'ignore', timeout: 60_000 });
    if (r.status !== 0) missing.push(m);
  }
  return missing;
}

export interface RunTrainerOptions {
  /** Called with each line the trainer prints (stdout and stderr). */
  onLine?: (line: string) => void;
  env?: Record<string, string>;
}

/**
 * Runs `python3 -m partprint_trainer.<module> ...args`; resolves when it exits 0, otherwise throws
 * a SourceError with the last lines of its output.
 *
 * @example
 *   await runTrainer('train', ['--dataset', 'ds', '--out', 'models/m1', '--epochs', '2']);
 */
export async function runTrainer(module: string, args: string[], options: RunTrainerOptions = {}): Promise<void> {
  const dir = trainerDir();
  if (!existsSync(dir)) throw new SourceError(`the trainer package is missing (${dir})`, { code: 'NOT_FOUND' });
  if (!existsSync(PYTHON)) throw new SourceError(`${PYTHON} not found: install python3 with python3-torch (scripts/install-system-deps.sh)`, { code: 'NOT_FOUND' });
  const tail: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(PYTHON, ['-m', `partprint_trainer.${module}`, ...args], {
      env: { ...process.env, PYTHONPATH: [dir, process.env.PYTHONPATH].filter(Boolean).join(':'), PYTHONUNBUFFERED: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        options.onLine?.(line);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => reject(new SourceError(`cannot start ${PYTHON}: ${err.message}`, { code: 'INTERNAL', cause: err })));
    child.on('close', (code) => {
      if (buffer) {
        tail.push(buffer);
        options.onLine?.(buffer);
      }
      if (code === 0) resolve();
      else reject(new SourceError(`trainer (partprint_trainer.${module}) exited with code ${code}:\n${tail.join('\n')}`, { code: code === 2 ? 'BAD_INPUT' : 'INTERNAL' }));
    });
  });
}
