/**
 * Runs the model-based convergence test (test/model/world.ts) on many seeds. The same as
 * `npm run soak -- convergence <options>` (scripts/soak.ts hands its options here).
 *
 * @example
 * npm run soak:convergence -- --seeds 200              # seeds 1..200, on PGlite then PostgreSQL
 * npm run soak:convergence -- --seed 17 --db postgres  # replay one seed, printing its steps as they run
 * npm run soak:convergence -- --seeds 50 --from 1000 --db pglite --steps 60
 */
import { runSeed, describeResult } from '../test/model/world.js';
import type { DbKind } from '../test/helpers/hub.js';

process.env.CHANNELSYNC_ALLOW_PRIVATE_TARGETS = '1';

function parse(argv: string[]) {
  const out: { seeds: number; from: number; seed: number | null; db: DbKind[]; steps: number; checkEvery: number; kills: boolean; killQueued: boolean; marketEdits: boolean; marketStock: boolean; verbose: boolean } = {
    seeds: 20, from: 1, seed: null, db: ['pglite', 'postgres'], steps: 36, checkEvery: 12, kills: true, killQueued: true, marketEdits: true, marketStock: false, verbose: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--seeds') out.seeds = Number(value());
    else if (a === '--from') out.from = Number(value());
    else if (a === '--seed') out.seed = Number(value());
    else if (a === '--db') {
      const v = value();
      if (v !== 'pglite' && v !== 'postgres' && v !== 'both') throw new Error('--db is pglite, postgres or both');
      out.db = v === 'both' ? ['pglite', 'postgres'] : [v];
    } else if (a === '--steps') out.steps = Number(value());
    else if (a === '--check-every') out.checkEvery = Number(value());
    else if (a === '--no-kills') out.kills = false;
    else if (a === '--no-kill-queued') out.killQueued = false;
    else if (a === '--no-market-edits') out.marketEdits = false;
    else if (a === '--market-stock') out.marketStock = true;
    else if (a === '--verbose' || a === '-v') out.verbose = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: soak-convergence [--seeds N] [--from S] [--seed S] [--db pglite|postgres|both] [--steps N] [--check-every N] [--no-kills] [--no-kill-queued] [--no-market-edits] [--market-stock] [--verbose]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  for (const [k, v] of Object.entries(out)) if (typeof v === 'number' && !(Number.isInteger(v) && v >= 0)) throw new Error(`--${k} must be a whole number`);
  return out;
}

/** Runs the seeds; resolves to the number of failing (seed, database) pairs. */
export async function soakConvergence(argv: string[]): Promise<number> {
  const o = parse(argv);
  const seeds = o.seed !== null ? [o.seed] : Array.from({ length: o.seeds }, (_, k) => o.from + k);
  const verbose = o.verbose || o.seed !== null;
  const failed: string[] = [];
  const started = Date.now();
  for (const seed of seeds) {
    for (const db of o.db) {
      const r = await runSeed(seed, { db, steps: o.steps, checkEvery: o.checkEvery, kills: o.kills, killQueued: o.killQueued, marketEdits: o.marketEdits, marketStock: o.marketStock, ...(verbose ? { onLog: (l) => console.log(`  ${l}`) } : {}) });
      if (r.ok) console.log(describeResult(r));
      else {
        console.log(describeResult(r));
        failed.push(`${seed} ${db}: ${r.replay}`);
      }
    }
  }
  console.log(`\n${seeds.length * o.db.length - failed.length}/${seeds.length * o.db.length} runs converged in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (failed.length) console.log(`failing:\n${failed.map((f) => `  ${f}`).join('\n')}`);
  return failed.length;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  soakConvergence(process.argv.slice(2)).then((n) => process.exit(n > 0 ? 1 : 0), (err) => {
    console.error(err);
    process.exit(2);
  });
}
