import { sql } from 'drizzle-orm';
import type { Hub } from '../hub.js';

export type Lane = 'fetch' | 'send';

const LEASE_SECONDS = 60;

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
        values (${connectionId}, ${lane}, ${jobId}, ${hub.owner}, now() + make_interval(secs => ${LEASE_SECONDS}))
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
