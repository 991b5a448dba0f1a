/**
 * Colour: on a terminal, never in a pipe, never with NO_COLOR (https://no-color.org),
 * on with FORCE_COLOR; the text is the same either way, less the escape codes.
 */
import { describe, expect, it } from 'vitest';
import { colorFor } from '../../src/cli/color.js';
import { eegen } from '../support/cli.js';

const BAD = 'fixtures/errors/schema-errors.yaml';
const noEnv = { NO_COLOR: undefined, FORCE_COLOR: undefined } as const;

describe('colour in diagnostics', () => {
  it('a pipe gets none; FORCE_COLOR gets the severity in colour; NO_COLOR wins over both', () => {
    const plain = eegen(['build', BAD], { env: { ...noEnv } });
    expect(plain.code).toBe(1);
    expect(plain.stderr).not.toContain('\x1b[');
    const forced = eegen(['build', BAD], { env: { ...noEnv, FORCE_COLOR: '1' } });
    expect(forced.code).toBe(1);
    expect(forced.stderr).toContain('\x1b[1;31merror\x1b[0m EG2001');
    expect(forced.stderr.replace(/\x1b\[[0-9;]*m/g, '')).toBe(plain.stderr);
    const no = eegen(['build', BAD], { env: { ...noEnv, FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(no.stderr).toBe(plain.stderr);
  });

  it('colorFor: a terminal yes, unless NO_COLOR or TERM=dumb; FORCE_COLOR=0 is no force', () => {
    expect(colorFor({ isTTY: true }, {})).toBe(true);
    expect(colorFor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorFor({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colorFor({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(colorFor({ isTTY: false }, {})).toBe(false);
    expect(colorFor({ isTTY: false }, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorFor({}, { FORCE_COLOR: '1' })).toBe(true);
  });
});
