// Plan generator shared by the tests and the child process of the kill test (plain JS,
// so a bare `node` can run it). `finalizeBundle` is passed in from whichever build of
// src/write the caller loaded.

/** Bundle `i` of `variant` ('A' or 'B'): B changes every bundle, and drops/adds a file in odd ones. */
export function makeDraft(i, variant = 'A', extra = {}) {
  const files = [
    { path: 'run.sh', content: Buffer.from(`#!/bin/sh\n# ${variant}\necho bundle ${i}\n`), mode: 0o755 },
    { path: 'config.yaml', content: Buffer.from(`index: ${i}\nvariant: ${variant}\n`), mode: 0o644 },
  ];
  if (variant === 'B' && i % 2 === 1) files.push({ path: 'data/other.txt', content: Buffer.from(`other ${i}\n`), mode: 0o644 });
  else files.push({ path: 'data/input.txt', content: Buffer.from(`input ${i} ${'x'.repeat(i % 7)}\n`), mode: 0o644 });
  return {
    id: `b${String(i).padStart(4, '0')}`,
    dir: `b${String(i).padStart(4, '0')}`,
    index: i,
    params: { i, variant },
    script: 'run.sh',
    scheduler: 'bash',
    files,
    inputs: { template: 'ab'.repeat(32) },
    env: { used: ['HOME'], deferred: [] },
    eegenVersion: '0.1.0',
    schemaVersion: '1',
    ...extra,
  };
}

export function makePlan(finalizeBundle, n, variant = 'A', first = 0) {
  const bundles = [];
  for (let i = first; i < first + n; i++) bundles.push(finalizeBundle(makeDraft(i, variant)));
  const index = JSON.stringify(bundles.map((b) => ({ id: b.id, hash: b.hash })), null, 2) + '\n';
  return {
    bundles,
    sideFiles: [{ path: 'index.json', content: Buffer.from(index), mode: 0o644 }],
    diagnostics: [],
  };
}
