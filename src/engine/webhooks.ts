import { sql } from 'drizzle-orm';
import type { Hub } from '../hub.js';
import type { WebhookRequest } from '../connectors/types.js';
import { getConnectorDefinition } from '../connectors/registry.js';
import type { JobScope } from '../jobs/context.js';
import type { JobQueue } from '../jobs/queue.js';
import { ApiError } from '../http/errors.js';
import { getConnectionRow, loadRow } from './connections.js';
import { unheldCount } from './unplanned.js';

/** More ids than this for one entity: read that entity's changes the ordinary way instead of one by one. */
const MAX_HINTED_IDS = 500;
/** Events older than this that were never processed are left to the schedule. */
const EVENT_TTL = '1 day';

export interface WebhookReceipt {
  /** Events in the request. */
  received: number;
  /** Events already received before (a repeated delivery): ignored. */
  duplicates: number;
  /** The fetch that reads what they name; null when nothing new came or the connection is paused. */
  jobId: string | null;
}

/**
 * A platform's push to POST /hooks/:connectionId: verified by the connector's
 * webhook format (401 and nothing stored when it fails), its events stored once per
 * event id, and a webhook fetch queued to read just what they name.
 *
 * @example
 * await receiveWebhook(hub, queue, connectionId, { headers: req.headers, rawBody })
 */
export async function receiveWebhook(hub: Hub, queue: JobQueue, connectionId: string, req: WebhookRequest): Promise<WebhookReceipt> {
  const row = await getConnectionRow(hub, connectionId);
  if (!row) throw ApiError.notFound(`No connection ${connectionId}: check the webhook address`);
  const conn = loadRow(hub, row);
  const def = getConnectorDefinition(conn.kind);
  if (!def?.webhooks) throw ApiError.notFound(`Connections of kind ${conn.kind} take no webhooks`);
  const config = def.configSchema.safeParse(conn.config);
  if (!config.success || !def.webhooks.verify(config.data, req)) throw new ApiError('CS_WEBHOOK_UNVERIFIED');
  const parsed = def.webhooks.parse(req);
  if (!parsed.ok) throw ApiError.badRequest(`${parsed.field}: ${parsed.message}`, parsed.field);
  // Two events with one id in one request: the first counts.
  const byId = new Map<string, (typeof parsed.events)[number]>();
  for (const e of parsed.events) if (!byId.has(e.id)) byId.set(e.id, e);
  const events = [...byId.values()];
  const fresh = await hub.db.rows<{ event_id: string }>(sql`
    insert into webhook_events (connection_id, event_id, type, entity, ids)
    select ${conn.id}::uuid, x.id, x.type, x.entity, x.ids
    from jsonb_to_recordset(${JSON.stringify(events)}::jsonb) as x(id text, type text, entity text, ids jsonb)
    on conflict (connection_id, event_id) do nothing
    returning event_id`);
  let jobId: string | null = null;
  if (fresh.length > 0 && !conn.paused) {
    jobId = (await queue.enqueue('fetch', conn.id, { scope: { webhooks: true }, origin: 'webhook' })).id;
  }
  return { received: parsed.events.length, duplicates: parsed.events.length - fresh.length, jobId };
}

/**
 * What a webhook job reads: it takes the connection's open events (new ones, and
 * those of webhook jobs that did not complete) and turns them into a hint of ids.
 */
export async function claimWebhookEvents(hub: Hub, jobId: string, connectionId: string): Promise<{ events: number; scope: JobScope }> {
  const rows = await hub.db.rows<{ entity: 'products' | 'orders'; ids: string[] }>(sql`
    update webhook_events e set job_id = ${jobId}
    where e.connection_id = ${connectionId} and e.processed_at is null
      and e.received_at > now() - ${EVENT_TTL}::interval
      and (e.job_id is null or e.job_id = ${jobId}
        or not exists (select 1 from jobs j where j.id = e.job_id and j.state in ('queued', 'running')))
    returning e.entity, e.ids`);
  const ids = { products: new Set<string>(), orders: new Set<string>() };
  for (const r of rows) for (const id of r.ids) ids[r.entity]?.add(id);
  const entities = (['products', 'orders'] as const).filter((e) => ids[e].size > 0);
  const hint: NonNullable<JobScope['ids']> = {};
  for (const e of entities) if (ids[e].size <= MAX_HINTED_IDS) hint[e] = [...ids[e]];
  return { events: rows.length, scope: { entities, ids: hint } };
}

/**
 * A webhook job completed: its events are processed, and what it changed goes out
 * at once: a send is queued for every connection that now has pending changes
 * (unless it is paused or its schedule is off), so a sale on one marketplace
 * lowers the stock on the others without waiting for their schedule.
 */
export async function finishWebhookJob(hub: Hub, queue: JobQueue, jobId: string, connectionId: string): Promise<string[]> {
  await hub.db.rows(sql`update webhook_events set processed_at = now() where job_id = ${jobId} and processed_at is null`);
  const targets = await hub.db.rows<{ id: string }>(sql`
    select c.id from connections c
    where not c.paused and coalesce(c.settings->'schedule'->>'enabled', 'true') <> 'false'
      and (exists (select 1 from pending_changes p where p.connection_id = c.id)
        -- products it absorbs and does not hold yet: creates its send stores (src/engine/unplanned.ts)
        or (c.settings->'absorb'->>'products' = 'true' and ${unheldCount(sql`c.id`)} > 0))
    order by c.id = ${connectionId}, c.created_at`);
  const queued: string[] = [];
  for (const t of targets) {
    try {
      queued.push((await queue.enqueue('send', t.id, { origin: 'follow-up' })).id);
    } catch (err) {
      // Paused in the meantime: its next send after resume takes the changes.
      if (!(err instanceof ApiError)) throw err;
    }
  }
  return queued;
}

/** Forgets processed events after a week: the window in which a repeated delivery is recognised. */
export async function pruneWebhookEvents(hub: Hub): Promise<void> {
  await hub.db.rows(sql`delete from webhook_events where received_at < now() - interval '7 days'`);
}
