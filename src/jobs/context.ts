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
}

/** Raised at a safe point when the connection was paused (or the process is shutting down). */
export class JobStopped extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'JobStopped';
  }
}
