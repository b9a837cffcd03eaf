import { describe, expect, it } from 'vitest';
import { DATABASES } from './helpers/hub.js';
import { describeKillLoop, runKillLoop } from './helpers/kill-loop.js';

// A busy hub killed with SIGKILL at random moments and started again, 20 times: every start
// starts, and after a quiet run each marketplace lists every webshop product exactly once.
// Many more: `npm run soak -- kill-loop --kills 200 --seeds 5`; a failing seed prints its replay command.
const KILLS = Number(process.env.KILL_LOOP_KILLS ?? 20);
const SEED = Number(process.env.KILL_LOOP_SEED ?? 1);

describe.each(DATABASES)('kill -9 / restart loop (%s)', (db) => {
  it(`${KILLS} kills, seed ${SEED}: every start starts, nothing listed twice`, async () => {
    const result = await runKillLoop({ db, kills: KILLS, seed: SEED });
    console.log(describeKillLoop(result));
    expect(result.problems, describeKillLoop(result)).toEqual([]);
    expect(result.kills).toBe(KILLS);
    expect(result.starts).toBe(KILLS + 1);
    expect(result.refusedStarts).toEqual([]);
    expect(result.killsMidWrite).toBeGreaterThan(0);
  }, 900_000);
});
