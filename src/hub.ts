import { EventEmitter } from 'node:events';
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
  /** This process's name in leases. */
  owner: string;
  /** Wakes the local workers when a job was queued (set by the queue). */
  wake?: () => void;
}

export function processOwner(): string {
  return `${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
}
