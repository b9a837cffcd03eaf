import os from 'node:os';
import { uuidArray } from '../db/index.js';
import { sql } from 'drizzle-orm';
import type { Hub } from '../hub.js';

export type Lane = 'fetch' | 'send';

/**
 * How long a job's lease lasts without renewal (renewed every third of it): after
 * that, a job whose process died is taken up by another process.
 */
export const LEASE_SECONDS = Math.max(1, Number(process.env.CHANNELSYNC_LEASE_SECONDS ?? 60) || 60);

/** Host and process in the lease, so a restarted hub can tell the leases of its dead predecessors on this machine. */
export function leaseOwner(hub: Hub): string {
  return `${os.hostname()}/${hub.owner}`;
}

/** Whether a lease belongs to another process of this machine that no longer runs. */
export function isDeadLocalOwner(hub: Hub, owner: string): boolean {
  const host = `${os.hostname()}/`;
  if (!owner.startsWith(host) || owner === leaseOwner(hub)) return false;
  const pid = Number(owner.slice(host.length).split('-')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  // Our own pid under another owner name: a previous process that had the same pid (a restarted container).
  return pid === process.pid || !alive(pid);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Frees the leases of processes of this machine that no longer run (killed,
 * crashed) at once, rather than after the lease expires; returns their job ids.
 * Leases of other machines are left to expire.
 */
export async function reclaimDeadLeases(hub: Hub): Promise<string[]> {
  const rows = await hub.db.rows<{ job_id: string; owner: string }>(sql`select job_id, owner from connection_locks`);
  const dead = rows.filter((r) => isDeadLocalOwner(hub, r.owner)).map((r) => r.job_id);
  if (dead.length === 0) return [];
  await hub.db.rows(sql`delete from connection_locks
    where job_id = any(${uuidArray(dead)})`);
  return [...new Set(dead)];
}

/**
 * Takes the lanes a job needs on a connection (one fetch and one send at a time),
 * across every process sharing the database. A lease that was not renewed (its
 * process died) expires and can be taken over.
 */
export async function tryAcquire(hub: Hub, connectionId: string, lanes: Lane[], jobId: string): Promise<boolean> {
  return hub.db.tx(async (tx) => {
    for (const lane of lanes) {
      const rows = await hub.db.rows(sql`
        insert into connection_locks (connection_id, lane, job_id, owner, expires_at)
        values (${connectionId}, ${lane}, ${jobId}, ${leaseOwner(hub)}, now() + make_interval(secs => ${LEASE_SECONDS}))
        on conflict (connection_id, lane) do update
          set job_id = excluded.job_id, owner = excluded.owner, expires_at = excluded.expires_at
          where connection_locks.expires_at < now()
            or (connection_locks.job_id = excluded.job_id and connection_locks.owner = excluded.owner)
        returning lane`, tx);
      if (rows.length === 0) {
        // Roll back the lanes taken so far: all or nothing.
        throw new LaneBusy();
      }
    }
    return true;
  }).catch((err) => {
    if (err instanceof LaneBusy) return false;
    throw err;
  });
}

class LaneBusy extends Error {}

/**
 * Renews the leases of a running job (the job's and its lanes'); false when the job is
 * no longer this process's (its lease expired and another process took it over).
 */
export async function renew(hub: Hub, jobId: string): Promise<boolean> {
  const owner = leaseOwner(hub);
  const [held] = await hub.db.rows<{ id: string }>(sql`update jobs set lease_expires_at = now() + make_interval(secs => ${LEASE_SECONDS})
    where id = ${jobId} and state = 'running' and lease_owner = ${owner} returning id`);
  if (!held) return false;
  await hub.db.rows(sql`update connection_locks set expires_at = now() + make_interval(secs => ${LEASE_SECONDS})
    where job_id = ${jobId} and owner = ${owner}`);
  return true;
}

/** Frees this process's lanes of a job (a job another process took over keeps its own). */
export async function release(hub: Hub, jobId: string): Promise<void> {
  await hub.db.rows(sql`delete from connection_locks where job_id = ${jobId} and owner = ${leaseOwner(hub)}`);
}
