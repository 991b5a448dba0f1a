import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { deferredRef } from '../../src/syntax/deferred.js';
import { placeValue } from '../../src/shell/context.js';
import { shellQuote, ShellQuoteError } from '../../src/shell/quote.js';
import { scanShell } from '../../src/shell/scan.js';

describe('shellQuote', () => {
  it('leaves safe words bare and single-quotes the rest', () => {
    expect(shellQuote('abc')).toBe('abc');
    expect(shellQuote('/data/x-1_2.csv')).toBe('/data/x-1_2.csv');
    expect(shellQuote('a=b,c:d@e%f+g')).toBe('a=b,c:d@e%f+g');
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('~')).toBe("'~'");
    expect(shellQuote('*')).toBe("'*'");
    expect(shellQuote('$(x)')).toBe("'$(x)'");
    expect(shellQuote('ü')).toBe("'ü'");
  });

  it('scalars, null and lists', () => {
    expect(shellQuote(30)).toBe('30');
    expect(shellQuote(0.001)).toBe('0.001');
    expect(shellQuote(true)).toBe('true');
    expect(shellQuote(null)).toBe("''");
    expect(shellQuote(['a b', 1])).toBe("'a b' 1");
  });

  it('joins deferred values as "${NAME}" to quoted text', () => {
    expect(shellQuote(`/scratch/${deferredRef('USER')}/x`)).toBe(`'/scratch/'"\${USER}"'/x'`);
    expect(shellQuote(deferredRef('HOME'))).toBe('"${HOME}"');
    const out = spawnSync('bash', ['-c', `printf '%s' ${shellQuote(`/s/${deferredRef('USER')} x`)}`], { encoding: 'utf8', env: { USER: 'a b' } });
    expect(out.stdout).toBe('/s/a b x');
  });

  it('refuses control characters, and newlines on single lines', () => {
    expect(() => shellQuote('a\u0007')).toThrow(ShellQuoteError);
    expect(() => shellQuote('a\r')).toThrow(/U\+000D/);
    expect(shellQuote('a\tb\nc')).toBe("'a\tb\nc'");
    expect(() => shellQuote('a\nb', { singleLine: true })).toThrow(/single line/);
  });

  it('round-trips arbitrary printable text through bash', () => {
    const samples = ["'''", '\\', '"\'"', '$$ `x` $(y) ${z}', 'a\nb', '!', ' ', '-e', '\t'];
    for (const s of samples) {
      const out = spawnSync('bash', ['-c', `printf '%s' ${shellQuote(s)}`], { encoding: 'utf8' });
      expect(out.stdout).toBe(s);
    }
  });
});

describe('scanShell positions', () => {
  const ctx = (text: string): string[] => scanShell(text).slots.map((s) => s.context + (s.inBackticks ? '+`' : ''));

  it('finds the quoting around each placeholder', () => {
    expect(ctx(`echo {a} '{a}' "{a}" $'{a}' "$(echo {a} '{a}')" \`echo {a}\` \${X:-{a}} "\${X:-{a}}"`)).toEqual([
      'unquoted',
      'single',
      'double',
      'ansi',
      'unquoted',
      'single',
      'unquoted+`',
      'param',
      'param',
    ]);
    expect(ctx('#SBATCH --x={a}\n# {a}\necho {a} # {a}\necho a#{a}\n')).toEqual(['directive', 'comment', 'unquoted', 'comment', 'unquoted']);
    expect(ctx("cat <<EOF; cat <<'X'\n{a} '{a}' $(echo {a})\nEOF\n{a}\nX\n{a}\n")).toEqual(['heredoc', 'heredoc', 'unquoted', 'heredoc-quoted', 'unquoted']);
    expect(ctx('cat <<-EOF\n\t{a}\n\tEOF\necho {a}\n')).toEqual(['heredoc', 'unquoted']);
    expect(ctx('echo $(( 1 << {a} ))\n(( x << 2 ))\necho {a}\n')).toEqual(['unquoted', 'unquoted']);
  });

  it('reports text that ends inside a construct', () => {
    expect(scanShell("echo 'x").problems[0]!.message).toContain('single-quoted string opened on line 1');
    expect(scanShell('echo "$(x').problems).toHaveLength(2);
    expect(scanShell('cat <<EOF\nbody\n').problems[0]!.message).toContain('<<EOF');
  });

  it('placeValue escapes for the position', () => {
    const v = `a'b"c$d\`e\\f`;
    expect(placeValue(v, { context: 'single', inBackticks: false })).toBe(`a'\\''b"c$d\`e\\f`);
    expect(placeValue(v, { context: 'double', inBackticks: false })).toBe('a\'b\\"c\\$d\\`e\\\\f');
    expect(placeValue(v, { context: 'heredoc', inBackticks: false })).toBe('a\'b"c\\$d\\`e\\\\f');
    expect(placeValue(v, { context: 'heredoc-quoted', inBackticks: false })).toBe(v);
    expect(placeValue(v, { context: 'comment', inBackticks: false })).toBe(v);
    expect(() => placeValue('a b', { context: 'param', inBackticks: false })).toThrow(ShellQuoteError);
  });
});
