import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The machine has two cores; real-component tests (Slurm, sshd) share one cluster.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
