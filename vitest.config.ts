import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    // The storefronts tests connect to run on 127.0.0.1: the hub refuses loopback targets unless allowed.
    env: { CHANNELSYNC_ALLOW_PRIVATE_TARGETS: '1' },
  },
});
