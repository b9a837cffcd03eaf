import { describe, expect, it } from 'vitest';
import { DATABASES } from './helpers/hub.js';
import { describeResult, runSeed } from './model/world.js';

// A webshop and two or three marketplaces, random edits, orders, rules, absorb toggles, a
// marketplace connected mid-way, injected 5xx / 429 / lost answers and hub kill -9: at every
// quiescence each platform equals the reference model (test/model/world.ts). Many more seeds:
// `npm run soak:convergence -- --seeds 200`; a failing seed prints its replay command.
const SEEDS = [1, 2];
const STEPS = 36;

describe.each(DATABASES)('convergence against a reference model (%s)', (db) => {
  it.each(SEEDS)('seed %i converges', async (seed) => {
    const result = await runSeed(seed, { db, steps: STEPS });
    expect(result.ok, describeResult(result)).toBe(true);
  }, 180_000);
});
