import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { archiveDate, writeArchive } from '../../src/archive/index.js';
import { makePlan, tempDir } from './helpers.js';

const run = promisify(execFile);

describe('writeArchive', () => {
  it.each(['tar.gz', 'zip'] as const)('writes byte-identical %s archives for the same plan', async (format) => {
    const dir = await tempDir();
    const [a, b] = [join(dir, `a.${format}`), join(dir, `b.${format}`)];
    await writeArchive(makePlan(3), a, format);
    await new Promise((r) => setTimeout(r, 1100)); // a clock-dependent writer would differ now
    await writeArchive(makePlan(3), b, format);
    expect((await readFile(a)).equals(await readFile(b))).toBe(true);
    expect((await readdir(dir)).sort()).toEqual([`a.${format}`, `b.${format}`]); // no temp files left

    // Nor may the time zone (zip stores local-looking DOS times). Node re-reads TZ when it is set.
    const tz = process.env.TZ;
    process.env.TZ = 'Pacific/Kiritimati';
    try {
      await writeArchive(makePlan(3), join(dir, 'c'), format);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
    expect((await readFile(join(dir, 'c'))).equals(await readFile(a))).toBe(true);
  });

  it('lists in tar with fixed owner, modes and date', async () => {
    const file = join(await tempDir(), 'build.tar.gz');
    await writeArchive(makePlan(2), file, 'tar.gz');
    const { stdout } = await run('tar', ['--utc', '-tzvf', file]);
    const lines = stdout.trim().split('\n').map((l) => l.replace(/\s+/g, ' '));
    expect(lines[0]).toMatch(/^drwxr-xr-x 0\/0 0 1980-01-01 00:00 b0000\/$/);
    expect(lines.some((l) => /^-rwxr-xr-x 0\/0 \d+ 1980-01-01 00:00 b0000\/run\.sh$/.test(l))).toBe(true);
    expect(lines.some((l) => /^-rw-r--r-- 0\/0 \d+ 1980-01-01 00:00 b0001\/data\/input\.txt$/.test(l))).toBe(true);
    const names = lines.map((l) => l.split(' ').pop());
    expect(names).toEqual([
      'b0000/', 'b0000/SHA256SUMS', 'b0000/config.yaml', 'b0000/data/', 'b0000/data/input.txt', 'b0000/manifest.json', 'b0000/run.sh',
      'b0001/', 'b0001/SHA256SUMS', 'b0001/config.yaml', 'b0001/data/', 'b0001/data/input.txt', 'b0001/manifest.json', 'b0001/run.sh',
      'index.json',
    ]);
    const gz = await readFile(file);
    expect(gz.readUInt32LE(4)).toBe(0); // no gzip mtime
    expect(gz[3]! & 0x08).toBe(0); // no file name
    expect(gz[9]).toBe(3); // OS byte pinned to Unix
  });

  it('lists in unzip, and the extracted bundles pass sha256sum -c', async () => {
    const dir = await tempDir();
    const file = join(dir, 'build.zip');
    await writeArchive(makePlan(2), file, 'zip');
    const { stdout } = await run('unzip', ['-l', file]);
    expect(stdout).toContain('1980-01-01 00:00   b0001/run.sh');
    expect(stdout).toContain('15 files');
    await run('unzip', ['-q', file, '-d', join(dir, 'x')]);
    await run('sha256sum', ['-c', 'SHA256SUMS'], { cwd: join(dir, 'x', 'b0001') });
  });

  it('honours SOURCE_DATE_EPOCH', () => {
    expect(archiveDate('tar.gz', { SOURCE_DATE_EPOCH: '1700000000' }).toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(archiveDate('zip', { SOURCE_DATE_EPOCH: '0' }).toISOString()).toBe('1980-01-01T00:00:00.000Z');
    expect(archiveDate('tar.gz', {}).toISOString()).toBe('1980-01-01T00:00:00.000Z');
  });
});
