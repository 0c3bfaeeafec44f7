/** Reading the files a command names, with the README's exit codes (missing: 4; a folder or unreadable: 3). */
import { readFile } from 'node:fs/promises';
import { PartprintError } from '../core/index.js';

export async function readInputFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT') throw new PartprintError(`${file}: no such file (ENOENT)`, { code: 'NOT_FOUND', cause: err });
    if (code === 'EISDIR') throw new PartprintError(`${file}: is a folder, not a file`, { code: 'BAD_INPUT', cause: err });
    throw new PartprintError(`${file}: cannot read file (${code})`, { code: 'BAD_INPUT', cause: err });
  }
}
