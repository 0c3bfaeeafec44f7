import type { Command } from 'commander';
import { probeImage } from '../../imaging/index.js';

export function register(program: Command): void {
  program
    .command('image-info')
    .description('Show format, size and bit depth of an image file (checks that partprint can read it)')
    .argument('<file>', 'image file (PNG, TIFF, JPEG, PGM/PPM)')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const info = await probeImage(file);
      if (opts.json) process.stdout.write(`${JSON.stringify({ file, ...info })}\n`);
      else process.stdout.write(`${file}: ${info.format} ${info.width}x${info.height} ${info.bitDepth}-bit, ${info.channels} channel(s)\n`);
    });
}
