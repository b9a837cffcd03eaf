import type { Hub } from '../hub.js';
import { listConnections } from './connections.js';
import { replanAllProducts } from './plan.js';

interface ReplanState {
  running: Promise<void> | null;
  again: boolean;
}

// Per hub: tests (and embedders) run several hubs in one process.
const states = new WeakMap<Hub, ReplanState>();

/**
 * Settings changed: recomputes every pending change in the background, one pass at a
 * time per hub; a change made during a pass triggers one more pass.
 *
 * @example
 * replanInBackground(hub); await waitForReplan(hub);
 */
export function replanInBackground(hub: Hub): void {
  let state = states.get(hub);
  if (!state) states.set(hub, (state = { running: null, again: false }));
  if (state.running) { state.again = true; return; }
  const s = state;
  s.running = (async () => {
    do {
      s.again = false;
      await replanAllProducts(hub.db, await listConnections(hub));
    } while (s.again);
  })().catch((err) => hub.log.error({ err }, 'replan failed')).finally(() => { s.running = null; });
}

/** Resolves once no background replan of this hub runs: a send waits for it, so it sends the current plan. */
export async function waitForReplan(hub: Hub): Promise<void> {
  const state = states.get(hub);
  while (state?.running) await state.running;
}
