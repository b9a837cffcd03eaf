import fs from 'node:fs';
import path from 'node:path';

export interface DataLock {
  release(): void;
}

export class DataDirInUseError extends Error {
  constructor(readonly dataDir: string, readonly pid: number) {
    super(
      `The data folder ${path.resolve(dataDir)} is already in use by process ${pid}. ` +
      'The embedded database can be opened by one process only: stop the other hub, ' +
      'use another CHANNELSYNC_DATA folder, or set DATABASE_URL to share a PostgreSQL server.',
    );
    this.name = 'DataDirInUseError';
  }
}

/** Who holds a lock: a pid, and what makes that process unique beyond its pid (null where the system does not say). */
export interface LockHolder {
  pid: number;
  /** The process's start time (Linux: /proc/<pid>/stat field 22, clock ticks since boot). */
  start: string | null;
  /** The machine's boot (Linux: /proc/sys/kernel/random/boot_id): a start time counts within one boot. */
  boot: string | null;
}

function readOr(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** A process's start time, or null where there is no /proc (not Linux) or no such process. */
export function processStartTime(pid: number): string | null {
  const stat = readOr(`/proc/${pid}/stat`);
  if (!stat) return null;
  // The command name (field 2) is in parentheses and may hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = fields[22 - 3];
  return start && /^\d+$/.test(start) ? start : null;
}

export function bootId(): string | null {
  return readOr('/proc/sys/kernel/random/boot_id');
}

/** This process, as it is written into a lock. */
export function currentHolder(): LockHolder {
  return { pid: process.pid, start: processStartTime(process.pid), boot: bootId() };
}

/** The lock file's text: `<pid> <start time> <boot id>` (the last two `-` where unknown). */
export function formatHolder(h: LockHolder): string {
  return `${h.pid} ${h.start ?? '-'} ${h.boot ?? '-'}`;
}

/** Reads a lock file's text; a lock of an older version holds the pid alone. */
export function parseHolder(text: string): LockHolder | null {
  const [pid, start, boot] = text.trim().split(/\s+/);
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return null;
  return { pid: n, start: start && start !== '-' ? start : null, boot: boot && boot !== '-' ? boot : null };
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the process that wrote a lock still runs. A pid alone is not enough: after a
 * restart the same pid is another process (pid 1 in a container, every time), so the
 * process's start time and the machine's boot must match too. Where the system does not
 * say (no /proc), the pid alone decides.
 */
export function holderAlive(h: LockHolder): boolean {
  const me = currentHolder();
  if (h.boot && me.boot && h.boot !== me.boot) return false; // written before this machine booted
  if (h.pid === process.pid) {
    // Our pid: live only if it is this very process (a lock taken twice in one process), not
    // an earlier process that had the same pid (a restarted container's pid 1).
    if (me.start === null) return true; // no /proc: the pid decides
    return h.start === me.start;
  }
  if (!pidExists(h.pid)) return false;
  if (h.start === null) return true; // an older lock, or no /proc where it was written: the pid decides
  const start = processStartTime(h.pid);
  return start === null ? true : start === h.start;
}

/**
 * PGlite does not stop a second process from opening the same folder (the second
 * one silently loses its writes), so the hub holds a lock file beside it naming its
 * process: pid, start time and boot. A lock whose process no longer runs (a pid that is
 * gone, or reused by another process since) is taken over.
 */
export function acquireDataLock(dataDir: string): DataLock {
  const file = path.join(dataDir, 'channelsync.lock');
  const mine = formatHolder(currentHolder());
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, mine);
      fs.closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          if (fs.readFileSync(file, 'utf8') === mine) fs.unlinkSync(file);
        } catch { /* already gone */ }
      };
      process.once('exit', release);
      return { release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const text = readOr(file) ?? '';
      const holder = parseHolder(text);
      if (holder && holderAlive(holder)) throw new DataDirInUseError(dataDir, holder.pid);
      // Stale (or unreadable): taken over only if it is still the lock we judged.
      if ((readOr(file) ?? '') === text) fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`Could not lock the data folder ${path.resolve(dataDir)}`);
}
