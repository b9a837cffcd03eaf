import { EventEmitter } from 'node:events';
import os from 'node:os';
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from './db/index.js';
import type { SecretBox } from './secrets.js';

/** What every part of the hub shares in one process. */
export interface Hub {
  db: Database;
  secrets: SecretBox;
  log: Logger;
  /** Job progress and connection changes, for server-sent events. */
  events: EventEmitter;
  /** This process's name in leases: unique to this start of this process (see processOwner). */
  owner: string;
  /** Wakes the local workers when a job was queued (set by the queue). */
  wake?: () => void;
}

/**
 * A name for this process, made at start: `<host>/<pid>-<128 random bits>`. Host and pid
 * are there for people reading a lease; nothing decides from them (a process in another
 * container can have the same host name and pid). Leases are only ever compared whole, and
 * a job is taken from another owner only once its lease expired.
 */
export function processOwner(): string {
  return `${os.hostname()}/${process.pid}-${crypto.randomBytes(16).toString('hex')}`;
}
