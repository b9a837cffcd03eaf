import { pgErrorCode } from '../db/index.js';
import { ConnectorError } from '../connectors/types.js';
import { shortText } from '../model/text.js';

/** Longest error a job shows. */
export const JOB_ERROR_MAX = 500;

/**
 * A database error met while storing what a job read or wrote: the job shows this
 * sentence; the statement, its parameters and the records are in the hub log only.
 */
export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/** Whether an error came from the database (a SQLSTATE, or a statement drizzle could not run). */
export function isDatabaseError(err: unknown): boolean {
  if (pgErrorCode(err) !== undefined) return true;
  const seen = new Set<unknown>();
  for (let e = err; e && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    if (typeof (e as Error).message === 'string' && (e as Error).message.startsWith('Failed query:')) return true;
  }
  return false;
}

/**
 * The short sentence a failed job shows: a connector's message, a store error's, or for
 * anything else a plain sentence. Never a statement, its parameters or a platform's
 * data; no control characters; at most JOB_ERROR_MAX characters.
 */
export function jobErrorText(err: unknown): string {
  if (err instanceof ConnectorError || err instanceof StoreError) return shortText(err.message, JOB_ERROR_MAX);
  if (isDatabaseError(err)) return 'The database refused a write; see the hub log for the details';
  const message = err instanceof Error ? err.message : String(err);
  return shortText(`Unexpected error: ${message}`, JOB_ERROR_MAX);
}
