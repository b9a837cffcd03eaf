/**
 * Long runs of the crash and convergence tests, many seeds at a time. A small dispatcher:
 * `npm run soak -- <suite> [options]`; with no suite, the kill loop.
 *
 * @example
 * npm run soak                                           # kill loop: 200 kills, seed 1, PGlite then PostgreSQL
 * npm run soak -- kill-loop --kills 200 --seeds 5        # seeds 1..5
 * npm run soak -- kill-loop --db postgres --seed 17 --kills 200   # replay one seed, step by step
 * npm run soak -- convergence --seeds 200                # the model-based convergence test (scripts/soak-convergence.ts)
 * npm run soak -- all                                    # every suite with its defaults (no options)
 */
import type { DbKind } from '../test/helpers/hub.js';

process.env.CHANNELSYNC_ALLOW_PRIVATE_TARGETS = '1';

type Suite = (argv: string[]) => Promise<number>;

/** The kill -9 / restart loop (test/helpers/kill-loop.ts); resolves to the number of failing runs. */
async function killLoop(argv: string[]): Promise<number> {
  const o = { kills: 200, seeds: 1, from: 1, seed: null as number | null, db: ['pglite', 'postgres'] as DbKind[], products: 30, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const whole = (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${a} must be a whole number`);
      return n;
    };
    if (a === '--kills') o.kills = whole(value());
    else if (a === '--seeds') o.seeds = whole(value());
    else if (a === '--from') o.from = whole(value());
    else if (a === '--seed') o.seed = whole(value());
    else if (a === '--products') o.products = whole(value());
    else if (a === '--db') {
      const v = value();
      if (v !== 'pglite' && v !== 'postgres' && v !== 'both') throw new Error('--db is pglite, postgres or both');
      o.db = v === 'both' ? ['pglite', 'postgres'] : [v];
    } else if (a === '--verbose' || a === '-v') o.verbose = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: soak kill-loop [--kills N] [--seeds N] [--from S] [--seed S] [--db pglite|postgres|both] [--products N] [--verbose]');
      return 0;
    } else throw new Error(`unknown argument ${a}`);
  }
  const { runKillLoop, describeKillLoop } = await import('../test/helpers/kill-loop.js');
  const seeds = o.seed !== null ? [o.seed] : Array.from({ length: o.seeds }, (_, k) => o.from + k);
  const verbose = o.verbose || o.seed !== null;
  const failed: string[] = [];
  const began = Date.now();
  for (const seed of seeds) {
    for (const db of o.db) {
      const r = await runKillLoop({ db, seed, kills: o.kills, products: o.products, ...(verbose ? { onLog: (l: string) => console.log(`  ${l}`) } : {}) });
      console.log(describeKillLoop(r));
      if (!r.ok) failed.push(`${seed} ${db}: ${r.replay}`);
    }
  }
  const runs = seeds.length * o.db.length;
  console.log(`\nkill-loop: ${runs - failed.length}/${runs} runs held in ${((Date.now() - began) / 1000).toFixed(0)} s`);
  if (failed.length) console.log(`failing (replay):\n${failed.map((f) => `  ${f}`).join('\n')}`);
  return failed.length;
}

async function convergence(argv: string[]): Promise<number> {
  const { soakConvergence } = await import('./soak-convergence.js');
  return soakConvergence(argv);
}

const SUITES: Record<string, Suite> = {
  'kill-loop': killLoop,
  convergence,
  all: async () => {
    let failed = 0;
    for (const [name, suite] of Object.entries(SUITES)) if (name !== 'all') failed += await suite([]);
    return failed;
  },
};

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h') {
    console.log(`usage: npm run soak -- [${Object.keys(SUITES).join(' | ')}] [options]   (default: kill-loop; <suite> --help for its options)`);
    return 0;
  }
  if (first !== undefined && !first.startsWith('-')) {
    const suite = SUITES[first];
    if (!suite) throw new Error(`unknown soak suite ${first}: one of ${Object.keys(SUITES).join(', ')}`);
    return suite(rest);
  }
  return killLoop(argv);
}

main(process.argv.slice(2)).then((n) => process.exit(n > 0 ? 1 : 0), (err) => {
  console.error(err);
  process.exit(2);
});
