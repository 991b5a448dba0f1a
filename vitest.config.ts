import { configDefaults, defineConfig } from 'vitest/config';
import { REAL_INCLUDE, UNIT_EXCLUDE, UNIT_INCLUDE } from './test/support/tiers.js';

// Two tiers (test/support/tiers.ts): `vitest run --project unit` is the fast one,
// `--project real` talks to Slurm/sshd/rsync/PyYAML or runs jobs; plain `vitest run`
// runs both (what npm test and CI do).
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Fails fast when dist/ (what the CLI and worker threads run) is older than src/.
    globalSetup: ['./test/support/dist-fresh.ts'],
    // Two cores here and in CI; real-component tests share one Slurm cluster and sshd.
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT_INCLUDE, exclude: [...configDefaults.exclude, ...UNIT_EXCLUDE] } },
      { extends: true, test: { name: 'real', include: REAL_INCLUDE } },
    ],
  },
});
