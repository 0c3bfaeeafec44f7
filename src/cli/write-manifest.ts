/** Build step after tsc: writes dist/cli/commands.json (see ./manifest.ts). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildCommandManifest, MANIFEST_FILE } from './manifest.js';

const manifest = await buildCommandManifest();
writeFileSync(MANIFEST_FILE, `${JSON.stringify(manifest, null, 2)}\n`);
process.stdout.write(`wrote ${path.relative(process.cwd(), MANIFEST_FILE)} (${Object.keys(manifest.commands).length} commands)\n`);
