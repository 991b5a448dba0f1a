/**
 * A command that exits without reading its input (ssh to a host that refuses the
 * connection, handed a submit script) breaks the pipe the runner writes the input into.
 * That must be the command's exit code, never an uncaught EPIPE that ends eegen.
 */
import { describe, expect, it } from 'vitest';
import { realRunner } from '../../src/dispatch/process.js';

describe('realRunner: input a command does not read', () => {
  it('8 MiB into a command that exits at once: its exit code, no EPIPE', async () => {
    const uncaught: unknown[] = [];
    const onError = (e: unknown): void => void uncaught.push(e);
    process.on('uncaughtException', onError);
    try {
      for (const argv of [['true'], ['false'], ['sh', '-c', 'exit 7']]) {
        const r = await realRunner.run({ argv, input: 'x'.repeat(8 << 20), purpose: 'test' });
        expect(r.code, argv.join(' ')).toBe(argv[0] === 'true' ? 0 : argv[0] === 'false' ? 1 : 7);
      }
      // Give a late EPIPE its chance to surface.
      await new Promise((res) => setTimeout(res, 200));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onError);
    }
  });

  it('input that is read still arrives whole', async () => {
    const r = await realRunner.run({ argv: ['wc', '-c'], input: 'y'.repeat(3 << 20), purpose: 'test' });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(String(3 << 20));
  });
});
