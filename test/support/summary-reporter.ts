import type { Reporter, SerializedError, TestModule } from 'vitest/node';
import { REAL_SUFFIX, SLOW_UNIT_FILE_S } from './tiers.js';

/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, after
 * vitest's own summary, so CI logs state the outcome in a runner-neutral form
 * (the outcome itself is vitest's exit status; errors outside tests, or no test
 * file run at all, are added to the line). Before it, unit-tier files that
 * ran longer than SLOW_UNIT_FILE_S are named: they belong in the real tier.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError> = []): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const slow: string[] = [];
    for (const m of testModules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0) failed++;
      const d = m.diagnostic();
      const seconds = (d.collectDuration + d.duration) / 1000;
      if (m.project.name === 'unit' && seconds > SLOW_UNIT_FILE_S) slow.push(`${m.relativeModuleId} (${seconds.toFixed(1)} s)`);
    }
    if (slow.length) {
      process.stdout.write(
        `\nslow unit-tier files (over ${SLOW_UNIT_FILE_S} s; rename to *${REAL_SUFFIX} if that is their normal pace, see DEVELOPERS.md): ${slow.join(', ')}\n`,
      );
    }
    // Errors outside any test fail the run too; so does a globalSetup that throws (the
    // stale-dist check), which vitest reports before any file runs.
    let errors = unhandledErrors.length ? `, ${unhandledErrors.length} error${unhandledErrors.length === 1 ? '' : 's'} outside tests` : '';
    if (testModules.length === 0) errors += ', no test file ran';
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped${errors}\n`);
  }
}
