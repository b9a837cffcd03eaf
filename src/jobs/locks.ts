import os from 'node:os';
import { uuidArray } from '../db/index.js';
import { sql } from 'drizzle-orm';
import type { Hub } from '../hub.js';

export type Lane = 'fetch' | 'send';

const LEASE_SECONDS = 60;

/** Host and process in the lease, so a restarted hub can tell the leases of its dead predecessors on this machine. */
function leaseOwner(hub: Hub): string {
  return `${os.hostname()}/${hub.owner}`;
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
  const host = `${os.hostname()}/`;
  const mine = leaseOwner(hub);
  const rows = await hub.db.rows<{ job_id: string; owner: string }>(sql`select job_id, owner from connection_locks`);
  const dead = rows.filter((r) => {
    if (!r.owner.startsWith(host) || r.owner === mine) return false;
    const pid = Number(r.owner.slice(host.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0) return false;
    // Our own pid under another owner name: a previous process that had the same pid (a restarted container).
    return pid === process.pid || !alive(pid);
  }).map((r) => r.job_id);
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
          where connection_locks.expires_at < now() or connection_locks.job_id = excluded.job_id
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

export async function renew(hub: Hub, jobId: string): Promise<void> {
  await hub.db.rows(sql`update connection_locks set expires_at = now() + make_interval(secs => ${LEASE_SECONDS})
    where job_id = ${jobId}`);
}

export async function release(hub: Hub, jobId: string): Promise<void> {
  await hub.db.rows(sql`delete from connection_locks where job_id = ${jobId}`);
}
