/**
 * The two test tiers, by file name (vitest.config.ts builds its projects from this):
 *
 * - real: `test/**\/*.real.test.ts`. Talks to a real component (Slurm, the loopback
 *   sshd, rsync, PyYAML: anything behind `skipWithout`/`testEnv` in env.ts), or runs
 *   real processes against the clock (jobs run to completion, lock waits, kill/timeout
 *   paths, worker pools), or takes more than a few seconds.
 * - unit: every other `test/**\/*.test.ts`. In-process, or short spawns (a CLI build,
 *   `bash job.sh` of a rendered script). The whole tier runs in under a minute.
 *
 * test/support/tiers.test.ts (in the unit tier) fails when a unit-tier file, or a
 * helper it imports, uses the component probes or spawns sbatch/ssh/rsync/..., and the
 * summary reporter names unit-tier files that ran slowly.
 */
export const REAL_SUFFIX = '.real.test.ts';

export const UNIT_INCLUDE = ['test/**/*.test.ts'];
export const UNIT_EXCLUDE = [`test/**/*${REAL_SUFFIX}`];
export const REAL_INCLUDE = [`test/**/*${REAL_SUFFIX}`];

export type Tier = 'unit' | 'real';

/** The tier of a test file (a path ending in .test.ts). */
export function tierOf(file: string): Tier {
  return file.endsWith(REAL_SUFFIX) ? 'real' : 'unit';
}

/** A unit-tier file that ran longer than this (seconds) is named in the summary. */
export const SLOW_UNIT_FILE_S = 15;
