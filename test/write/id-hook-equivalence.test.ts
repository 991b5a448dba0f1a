/**
 * Fast paths outside src/write that feed bundle bytes: canonicalJson (input keys and id
 * hashes), canonicalJsonWith, and insertHook. Each must equal its straightforward version.
 */
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalJsonWith } from '../../src/bundle/id.js';
import { insertHook, WRAPPER_HOOK } from '../../src/bundle/wrapper.js';
import type { Mapping, Value } from '../../src/types.js';

function referenceJson(v: Value): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(referenceJson).join(',')}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${referenceJson(v[k]!)}`)
    .join(',')}}`;
}

function referenceHook(script: string): string {
  const eol = script.includes('\r\n') ? '\r\n' : '\n';
  const lines = script.split(/\r?\n/);
  if (lines.some((l) => l.trim() === WRAPPER_HOOK)) return script;
  const at = lines.findIndex((l) => {
    const t = l.trim();
    return t !== '' && !t.startsWith('#');
  });
  if (at >= 0) {
    lines.splice(at, 0, WRAPPER_HOOK);
    return lines.join(eol);
  }
  const body = script === '' || script.endsWith('\n') ? script : script + eol;
  return `${body}${WRAPPER_HOOK}${eol}`;
}

const VALUES: unknown[] = [
  null,
  true,
  0,
  -0,
  1.5,
  1e21,
  NaN,
  Infinity,
  '',
  'plain',
  'q"\\\n\u0000\u001f\u2028',
  'é\u{1F600}',
  '\ud800',
  [],
  {},
  [1, [2, [3]], { b: 1, a: 2 }],
  { '10': 1, '2': 2, b: { z: [], a: {} }, a: null, é: 'x', '\u{1F600}': 1, '\uFFFF': 2 },
  { u: undefined, list: [undefined, 1] },
  // eslint-disable-next-line no-sparse-arrays
  [1, , 3],
  { epoch: 30, lr: 0.001, batch: 'x', repeat: [1, 2] },
];

describe('canonicalJson', () => {
  it('equals the map/sort/join version', () => {
    for (const v of VALUES) expect(canonicalJson(v as Value)).toBe(referenceJson(v as Value));
  });

  it('canonicalJsonWith(base, key)(v) equals canonicalJson({ ...base, [key]: v })', () => {
    const bases: Mapping[] = [{}, { experiment: { old: 1 } }, { z: 1, a: { y: [1, 'x'] }, application: { name: 'n' }, run: { command: 'echo {experiment.epoch}' } }, { '10': 1, '2': 2, é: 3 }];
    for (const base of bases) {
      for (const key of ['experiment', 'a', '0', 'zz', '']) {
        const f = canonicalJsonWith(base, key);
        for (const v of VALUES) expect(f(v as Value)).toBe(canonicalJson({ ...base, [key]: v as Value }));
      }
    }
  });
});

describe('insertHook', () => {
  it('equals the split/join version for every kind of script', () => {
    const scripts = [
      '',
      '\n',
      '#!/bin/bash\n',
      '#!/bin/bash',
      '#!/bin/bash\n#SBATCH -n 1\n\necho hi\n',
      '#!/bin/bash\n#SBATCH -n 1\n\necho hi',
      '  \n\t# c\n   echo x\n',
      '#!/bin/bash\r\n#SBATCH -n 1\r\necho hi\r\n',
      '#!/bin/bash\r\n#SBATCH -n 1\necho hi\n',
      '#!/bin/bash\r\n# only comments\r\n',
      '#!/bin/bash\n# only comments',
      `#!/bin/bash\n${WRAPPER_HOOK}\necho hi\n`,
      `#!/bin/bash\n  ${WRAPPER_HOOK}  \necho hi\n`,
      `#!/bin/bash\necho "${WRAPPER_HOOK}"\n`,
      '#!/bin/bash\n\recho lone-cr\n',
      '#!/bin/bash\n\u00a0\u2028\necho unicode-space\n',
      'echo first\n#!/bin/bash\n',
    ];
    for (const s of scripts) expect(insertHook(s)).toBe(referenceHook(s));
  });
});
