import { writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/registry/index.js';
import { sqliteBackend, tempDir } from './backends.js';
import { defineRegistrySuite } from './registry.suite.js';

defineRegistrySuite(sqliteBackend);

describe('SQLite file', () => {
  it('refuses a file that is not a SQLite database, naming it', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'registry.sqlite'), 'this is not a database file, just text '.repeat(10));
    await expect(openRegistry({ dataDir: dir })).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringContaining(`${path.join(dir, 'registry.sqlite')}: cannot open SQLite database`) });
  });

  it('stores a 10000 x 10000 scan as one capture', async () => {
    const png = await sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: { r: 90, g: 90, b: 90 } } }).greyscale().png({ compressionLevel: 1 }).toBuffer();
    const reg = await openRegistry({ dataDir: tempDir() });
    try {
      await reg.parts.create({ serial: 'BIG-1' });
      const cap = await reg.captures.add('BIG-1', png, { pixelSizeUm: 5.3 }, { name: 'scan.png' });
      expect([cap.width, cap.height, cap.format]).toEqual([10_000, 10_000, 'png']);
      expect((await reg.captures.readImage(cap)).length).toBe(png.length);
    } finally {
      await reg.close();
    }
  });

  it('opens a database file named by a sqlite: URL', async () => {
    const dir = tempDir();
    const reg = await openRegistry({ dataDir: dir, databaseUrl: `sqlite:${path.join(dir, 'other.db')}` });
    await reg.parts.create({ serial: 'U-1' });
    await reg.close();
    const again = await openRegistry({ dataDir: dir, databaseUrl: `sqlite:${path.join(dir, 'other.db')}` });
    expect(await again.parts.count()).toBe(1);
    await again.close();
    await expect(openRegistry({ dataDir: dir, databaseUrl: 'mysql://x' })).rejects.toMatchObject({ code: 'CONFIG' });
  });
});
