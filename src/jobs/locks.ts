import { sql } from 'drizzle-orm';
import type { Hub } from '../hub.js';

export type Lane = 'fetch' | 'send';

/**
 * How long a job's lease lasts without renewal: after that, a job whose process died is
 * taken up by another process (the only way a job changes hands). A running job renews
 * it every RENEW_MS (a third of it, so two renewals can fail before it lapses) and stops
 * itself when it could not renew in time (leaseHeld in the job).
 */
export const LEASE_SECONDS = Math.max(1, Number(process.env.CHANNELSYNC_LEASE_SECONDS ?? 30) || 30);
export const RENEW_MS = Math.max(250, (LEASE_SECONDS * 1000) / 3);

/**
 * This process's name in leases (see processOwner in src/hub.ts): compared whole, never
 * read for a host or a pid.
 */
export function leaseOwner(hub: Hub): string {
  return hub.owner;
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
