import { sql } from 'drizzle-orm';
import { textArray, uuidArray, type Orm } from '../db/index.js';
import { ConnectorError } from '../connectors/types.js';
import type { JobContext } from '../jobs/context.js';
import type { LoadedConnection } from './connections.js';
import { fingerprint } from './diff.js';
import { raiseIssues, resolveIssues, type NewIssue } from './issues.js';

/**
 * What the product send (send.ts) and the order send (orders/forward.ts) share: walking a
 * connection's pending changes page by page, stopping when the platform is down, and
 * committing what each write did. Each send keeps what is its own: which rows it may write,
 * how it writes them, and what it says about them.
 */

/** Pending changes written per page: one transaction commits each page's outcomes. */
export const SEND_BATCH = 100;
/** Writes in flight at once on one connection. */
export const SEND_CONCURRENCY = 8;
/** After this many transient failures in a row the platform is down: stop, keep the rest pending. */
const MAX_TRANSIENT_STREAK = 10;

/** A pending change about to be written: its listing (equivalence) and record. */
export interface SendRow {
  equivalence_id: string;
  record_id: string;
  /** null: a planned create. */
  external_id: string | null;
  /** When the pending change was planned, as the send read it (`planned_at::text`): one planned since is not the one written. */
  planned?: string;
}

export type WriteOutcome<R extends SendRow, T> =
  | { row: R; ok: true; kind: 'created' | 'updated'; ack: T; externalId: string; fingerprint?: string }
  | { row: R; ok: true; kind: 'in_sync' }
  | { row: R; ok: false; error: ConnectorError };

export type Written<R extends SendRow, T> = Extract<WriteOutcome<R, T>, { kind: 'created' | 'updated' }>;
export type Failed<R extends SendRow, T> = Extract<WriteOutcome<R, T>, { ok: false }>;

/** Anything a connector threw, as a ConnectorError (an unexpected one is a bug: never certain it did nothing). */
export function asConnectorError(err: unknown): ConnectorError {
  return err instanceof ConnectorError ? err : new ConnectorError('bug', 'Unexpected error while writing', String(err));
}

/**
 * The equivalence ids of a connection's pending changes, a page at a time, in id order,
 * with a pause check before each page. A page first, alone: one range of the
 * (connection, equivalence) index, whatever the planner's statistics say.
 */
export async function* pendingPages(ctx: JobContext, connectionId: string, batch = SEND_BATCH): AsyncGenerator<string[]> {
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    await ctx.checkpoint();
    const page = await ctx.hub.db.rows<{ equivalence_id: string }>(sql`select equivalence_id from pending_changes
      where connection_id = ${connectionId} and equivalence_id > ${after}::uuid order by equivalence_id limit ${batch}`);
    if (page.length === 0) return;
    after = page[page.length - 1].equivalence_id;
    yield page.map((p) => p.equivalence_id);
  }
}

/**
 * Counts a page's outcomes, and ends the send when going on cannot help: the connection's
 * settings or credentials are refused, or the platform failed too many writes in a row.
 * What is not written stays pending for the next send.
 */
export class SendTally {
  created = 0;
  updated = 0;
  inSync = 0;
  failed = 0;
  private streak = 0;

  count<R extends SendRow, T>(outcomes: WriteOutcome<R, T>[]): void {
    for (const o of outcomes) {
      if (o.ok) {
        this.streak = 0;
        if (o.kind === 'created') this.created++;
        else if (o.kind === 'updated') this.updated++;
        else this.inSync++;
      } else {
        this.failed++;
        if (o.error.kind === 'config' || o.error.kind === 'auth') throw o.error;
        this.streak = o.error.retryable ? this.streak + 1 : 0;
        if (this.streak >= MAX_TRANSIENT_STREAK) throw o.error;
      }
    }
  }
}

/** What a send says about its rows, and what else a successful write does. */
export interface CommitHooks<R extends SendRow, T> {
  entity: 'product' | 'order';
  /** The issue when the platform answers a create with an id the connection holds for another record. */
  conflict(o: Written<R, T>): string;
  /** The issue when a write failed. */
  failure(o: Failed<R, T>): string;
  /** In the same transaction, after the acknowledged state of these rows was saved. */
  afterWritten?(tx: Orm, rows: { id: string; record_id: string; created: boolean }[]): Promise<void>;
}

/**
 * One transaction per page: each write's answer becomes the acknowledged state of its
 * listing (and its pending change goes), a row already in sync loses its pending change,
 * and a failure stays pending with an issue. A failed create the platform refused outright
 * did not happen; any other failed create might have, so it stays marked as attempted and
 * is looked up before it is ever sent again.
 */
export async function commitOutcomes<R extends SendRow, T>(
  ctx: JobContext, conn: LoadedConnection, outcomes: WriteOutcome<R, T>[], hooks: CommitHooks<R, T>,
): Promise<void> {
  if (outcomes.length === 0) return;
  const { db } = ctx.hub;
  const written = outcomes.filter((o): o is Written<R, T> => o.ok && o.kind !== 'in_sync');
  const inSyncRows = outcomes.filter((o) => o.ok && o.kind === 'in_sync').map((o) => ({ id: o.row.equivalence_id, planned: o.row.planned }));
  const inSync = inSyncRows.map((r) => r.id);
  const failed = outcomes.filter((o): o is Failed<R, T> => !o.ok);
  await db.tx(async (tx) => {
    if (written.length > 0) {
      const rows = written.map((o) => ({
        id: o.row.equivalence_id, record_id: o.row.record_id, external_id: o.externalId, ack: o.ack,
        fingerprint: o.fingerprint ?? fingerprint(o.ack), created: o.kind === 'created', planned: o.row.planned,
      }));
      // An answer naming a listing this connection already holds for another record: a conflict, never a second binding.
      const taken = new Set((await db.rows<{ external_id: string }>(sql`
        select external_id from equivalences where connection_id = ${conn.id} and entity = ${hooks.entity}
          and external_id = any(${textArray(rows.map((r) => r.external_id))})
          and id <> all(${uuidArray(rows.map((r) => r.id))})`, tx)).map((r) => r.external_id));
      const ok = rows.filter((r) => !taken.has(r.external_id));
      await db.rows(sql`update equivalences e set external_id = x.external_id, ack = x.ack, fingerprint = x.fingerprint,
          status = 'live', create_attempted_at = null, last_seen_at = now(), updated_at = now()
        from jsonb_to_recordset(${JSON.stringify(ok)}::jsonb) as x(id uuid, external_id text, ack jsonb, fingerprint text)
        where e.id = x.id`, tx);
      await deletePending(ctx, ok, tx);
      await resolveIssues(db, conn.id, 'send', ok.map((r) => ({ equivalenceId: r.id })), tx);
      await hooks.afterWritten?.(tx, ok);
      await raiseIssues(db, written.filter((o) => taken.has(o.externalId)).map((o) => ({
        connectionId: conn.id, recordId: o.row.record_id, equivalenceId: o.row.equivalence_id, entity: hooks.entity,
        externalId: null, severity: 'error' as const, code: 'conflict', origin: 'send' as const, key: 'conflict',
        message: hooks.conflict(o),
      })), tx);
    }
    if (inSync.length > 0) {
      await deletePending(ctx, inSyncRows, tx);
      await db.rows(sql`update equivalences set status = 'live', updated_at = now()
        where status in ('pending_update', 'error') and external_id is not null and id = any(${uuidArray(inSync)})`, tx);
    }
    if (failed.length > 0) {
      const rows = failed.map((o) => ({
        id: o.row.equivalence_id, error: o.error.message,
        certain: o.row.external_id === null && !o.error.retryable && o.error.kind !== 'bug',
      }));
      await db.rows(sql`update pending_changes p set attempts = attempts + 1, last_error = x.error
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(id uuid, error text, certain boolean)
        where p.equivalence_id = x.id`, tx);
      await db.rows(sql`update equivalences e set status = 'error',
          create_attempted_at = case when x.certain then null else e.create_attempted_at end, updated_at = now()
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(id uuid, error text, certain boolean)
        where e.id = x.id`, tx);
      const issues: NewIssue[] = failed.map((o) => ({
        connectionId: conn.id, recordId: o.row.record_id, equivalenceId: o.row.equivalence_id, entity: hooks.entity,
        severity: 'error', code: `send_${o.error.kind}`, origin: 'send', key: 'send',
        message: hooks.failure(o), details: { detail: o.error.detail },
      }));
      await raiseIssues(db, issues, tx);
    }
  });
}

/**
 * Pending changes done with: written, in sync, or bound to what the platform had already.
 * A row given with the field list the send read (`planned`) goes only if it is still that
 * one: a change planned while the write was in flight (its record changed meanwhile) stays
 * for the next send, which compares the record with what was just acknowledged.
 */
export async function deletePending(ctx: JobContext, rows: Array<string | { id: string; planned?: string }>, tx: Orm): Promise<void> {
  if (rows.length === 0) return;
  const plain = rows.filter((r): r is string => typeof r === 'string').concat(
    rows.filter((r): r is { id: string; planned?: string } => typeof r !== 'string' && r.planned === undefined).map((r) => r.id));
  const checked = rows.filter((r): r is { id: string; planned: string } => typeof r !== 'string' && r.planned !== undefined);
  if (plain.length > 0) await ctx.hub.db.rows(sql`delete from pending_changes where equivalence_id = any(${uuidArray(plain)})`, tx);
  if (checked.length > 0) {
    // Every plan stamps planned_at with its own transaction's time: the same stamp is the same plan.
    await ctx.hub.db.rows(sql`delete from pending_changes p
      using jsonb_to_recordset(${JSON.stringify(checked.map((r) => ({ id: r.id, planned: r.planned })))}::jsonb) as x(id uuid, planned text)
      where p.equivalence_id = x.id and p.planned_at::text = x.planned`, tx);
  }
}
