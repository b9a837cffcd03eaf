import { textArray, uuidArray } from '../db/index.js';
import { sql } from 'drizzle-orm';
import type { Database, Orm } from '../db/index.js';
import { cleanDeep } from '../model/text.js';

export type Severity = 'error' | 'warning' | 'notice';

export interface NewIssue {
  connectionId: string | null;
  recordId?: string | null;
  equivalenceId?: string | null;
  entity: 'product' | 'order';
  externalId?: string | null;
  severity: Severity;
  code: string;
  message: string;
  /** fetch: raised while reading; send: raised while writing; engine: the hub's own checks. */
  origin: 'fetch' | 'send' | 'engine';
  details?: unknown;
  /** Identifies "the same issue" across runs; defaults to connection + record + code + field. */
  key?: string;
}

/** Where an issue is: the equivalence when there is one, else the external id or the record. */
export function issueSubject(i: Pick<NewIssue, 'connectionId' | 'entity' | 'externalId' | 'recordId' | 'equivalenceId'>): string {
  return `${i.connectionId ?? '-'}|${i.entity}|${i.equivalenceId ?? i.externalId ?? i.recordId ?? '-'}`;
}

/** Raises (or refreshes) issues; an open issue with the same key is updated, not duplicated. */
export async function raiseIssues(db: Database, list: NewIssue[], tx?: Orm): Promise<void> {
  if (list.length === 0) return;
  // A platform's text is quoted in messages and details: cleaned, or one NUL would refuse the whole batch.
  const rows = cleanDeep(list).value.map((i) => ({
    connection_id: i.connectionId, record_id: i.recordId ?? null, equivalence_id: i.equivalenceId ?? null,
    entity: i.entity, external_id: i.externalId ?? null, severity: i.severity, code: i.code,
    message: i.message, origin: i.origin, details: i.details ?? null,
    dedupe_key: `${issueSubject(i)}|${i.origin}|${i.key ?? i.code + '|' + i.message}`,
  }));
  // One row per key in a batch, or the upsert would touch the same row twice.
  const unique = [...new Map(rows.map((r) => [r.dedupe_key, r])).values()];
  await db.rows(sql`
    insert into issues (connection_id, record_id, equivalence_id, entity, external_id, severity, code, message, origin, details, dedupe_key)
    select connection_id, record_id, equivalence_id, entity, external_id, severity, code, message, origin, details, dedupe_key
    from jsonb_to_recordset(${JSON.stringify(unique)}::jsonb) as x(connection_id uuid, record_id uuid, equivalence_id uuid,
      entity text, external_id text, severity text, code text, message text, origin text, details jsonb, dedupe_key text)
    on conflict (dedupe_key) where resolved_at is null
    do update set message = excluded.message, severity = excluded.severity, details = excluded.details,
      record_id = coalesce(excluded.record_id, issues.record_id), last_seen_at = now()`, tx);
}

/**
 * Resolves the open issues of one origin on these subjects: the cause is gone once the
 * record was read (or written) again. Call before raising what the new attempt found.
 */
export async function resolveIssues(
  db: Database, connectionId: string, origin: NewIssue['origin'],
  subjects: { equivalenceId?: string | null; externalId?: string | null }[], tx?: Orm,
): Promise<void> {
  if (subjects.length === 0) return;
  const eqIds = subjects.map((s) => s.equivalenceId).filter((x): x is string => !!x);
  const extIds = subjects.map((s) => s.externalId).filter((x): x is string => !!x);
  await db.rows(sql`
    update issues set resolved_at = now()
    where resolved_at is null and connection_id = ${connectionId} and origin = ${origin}
      and (equivalence_id = any(${uuidArray(eqIds)})
           or external_id = any(${textArray(extIds)}))`, tx);
}
