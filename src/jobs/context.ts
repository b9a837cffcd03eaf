import type { Hub } from '../hub.js';

export type Phase = 'scan' | 'analyse' | 'propagate' | 'send';

/** What a running job gives the engine: progress reporting and the points where it may stop. */
export interface JobContext {
  hub: Hub;
  jobId: string;
  signal: AbortSignal;
  /** Reports progress in one lane (fetch or send); sync adds both lanes up. */
  progress(lane: 'fetch' | 'send', phase: Phase, done: number, total: number | null): void;
  /** Throws JobStopped when the connection was paused or the job cancelled: call it at each page. */
  checkpoint(): Promise<void>;
  /** What part of the connection this job covers; absent: everything. */
  scope?: JobScope;
}

/**
 * What part of a connection a job covers: a schedule runs orders or the catalog
 * alone, a webhook only the records it names. Absent (a button): everything.
 *
 * @example { entities: ['products'], full: true } // the scheduled full catalog rescan
 */
export interface JobScope {
  /** Only these entities (default: both). */
  entities?: ('products' | 'orders')[];
  /** Products: a full rescan from no cursor (so what is missing is marked gone), whatever the clock says. */
  full?: boolean;
  /** Only these records, by the platform's ids (a webhook's hint): nothing is inferred gone and no clock moves. */
  ids?: { products?: string[]; orders?: string[] };
  /** A webhook job: when it starts it takes the connection's received webhook events as its `ids`. */
  webhooks?: boolean;
}

/** Raised at a safe point when the connection was paused (or the process is shutting down). */
export class JobStopped extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'JobStopped';
  }
}

/**
 * A pause check for a loop that waits on a platform: it calls `checkpoint` at most every
 * `everyMs`, so a slow platform filling a page of records does not hold a pause back
 * until the page is full. What was read but not yet analysed is simply dropped.
 *
 * @example const poll = pausePoll(ctx); for await (const ev of read()) { await poll(); ... }
 */
export function pausePoll(ctx: Pick<JobContext, 'checkpoint'>, everyMs = 250): () => Promise<void> {
  let checkedAt = Date.now();
  return async () => {
    if (Date.now() - checkedAt < everyMs) return;
    await ctx.checkpoint();
    checkedAt = Date.now();
  };
}
