import { uuidArray } from '../db/index.js';
import { sql } from 'drizzle-orm';
import type { Product } from '../model/product.js';
import { fieldMode } from '../model/settings.js';
import type { Connector, WriteAck } from '../connectors/types.js';
import type { JobContext } from '../jobs/context.js';
import type { LoadedConnection } from './connections.js';
import { openConnector } from './connector.js';
import { applyChanges, diffProducts, fingerprint, matchVariations } from './diff.js';
import { forCreate, priceProblems, project } from './rules.js';
import { countPending, replanProducts, storeCreates, withdrawCreates } from './plan.js';
import { openReservations, type Reserved } from './orders/ledger.js';
import { raiseIssues, resolveIssues, type NewIssue } from './issues.js';
import {
  asConnectorError, commitOutcomes, pendingPages, SEND_CONCURRENCY, SendTally, type CommitHooks, type WriteOutcome,
} from './send-common.js';
import { mappingOf } from './mapping/compile.js';
import { matchBeforeCreate } from './mapping/offer-match.js';
import { createdIdentity, findUncertain, productIdentity, settleMissing, type Uncertain } from './uncertain.js';
import { mapLimit } from './map-limit.js';
import { anyUnplanned, unplannedCount } from './unplanned.js';

/** Creates stored per transaction by an absorbing connection's send. */
const ABSORB_BATCH = 500;

export interface SendSummary {
  entity: 'products';
  created: number;
  updated: number;
  inSync: number;
  recovered: number;
  /** Listings already on the platform bound instead of created (settings.matching.lookupBeforeCreate). */
  matched: number;
  /** Held back by a listing rule (no category, no currency rate), each with an issue. */
  held: number;
  failed: number;
  durationMs: number;
  perSecond: number;
}

interface PendingRow {
  equivalence_id: string;
  op: string;
  external_id: string | null;
  ack: Product | null;
  create_attempted_at: Date | null;
  record_id: string;
  data: Product;
}

type Outcome = WriteOutcome<PendingRow, Product>;

/** What a product send says about its writes. */
const commitHooks = (conn: LoadedConnection): CommitHooks<PendingRow, Product> => ({
  entity: 'product',
  conflict: (o) => `${conn.name} answered the create of ${o.row.data.sku || 'a product'} with id ${o.externalId}, which is already bound to another record`,
  failure: (o) => `${o.row.external_id ? 'Update' : 'Create'} of ${o.row.data.sku || 'a product'} on ${conn.name} failed: ${o.error.message}`,
});

/**
 * Send = write the planned inserts and updates, only the changed fields; each
 * success makes the written state the acknowledged one. A create is marked as
 * attempted (and committed) before it is sent, so a create whose answer was lost
 * is looked up by SKU on the platform before it is ever sent again.
 */
export async function sendProducts(ctx: JobContext, conn: LoadedConnection, all: LoadedConnection[]): Promise<SendSummary> {
  const { db } = ctx.hub;
  const started = Date.now();
  const summary: SendSummary = { entity: 'products', created: 0, updated: 0, inSync: 0, recovered: 0, matched: 0, held: 0, failed: 0, durationMs: 0, perSecond: 0 };
  const connector = openConnector(ctx.hub, conn, ctx.signal);
  if (conn.settings.absorb.products) await absorbMissing(ctx, conn);
  summary.recovered = await recoverUncertainCreates(ctx, conn, all, connector);
  summary.matched = await matchBeforeCreate(ctx, conn, all, connector);

  const total = await countPending(db, conn.id, 'product');
  let done = 0;
  ctx.progress('send', 'send', 0, total);
  const tally = new SendTally();
  const hooks = commitHooks(conn);
  let waiting = 0;
  for await (const page of pendingPages(ctx, conn.id)) {
    const rows = await db.rows<PendingRow>(sql`
      select pc.equivalence_id, pc.op, pc.planned_at::text as planned, e.external_id, e.ack, e.create_attempted_at, r.id as record_id, r.data
      from pending_changes pc
      join equivalences e on e.id = pc.equivalence_id
      join records r on r.id = pc.record_id
      where pc.equivalence_id = any(${uuidArray(page)}) and e.entity = 'product'
      order by pc.equivalence_id`);
    if (rows.length === 0) continue;
    // Creates still uncertain after recovery wait for a complete lookup; never risk a duplicate.
    const ready = rows.filter((r) => r.external_id !== null || r.create_attempted_at === null);
    // Stock held by open order reservations is not offered again (fulfilling connections excepted).
    const reserved = conn.settings.absorb.orders ? new Map<string, Reserved>() : await openReservations(db, ready.map((r) => r.record_id));
    const held = await holdByListingRules(ctx, conn, ready, reserved);
    summary.held += ready.length - held.length;
    // A listing of the record bound here since its create was stored (this connection's fetch, running
    // alongside, found it already on the platform): the create is withdrawn, never sent.
    const bound = await withdrawCreates(db, held.filter((r) => r.external_id === null).map((r) => r.equivalence_id), undefined,
      sql`exists (select 1 from equivalences o where o.connection_id = ${conn.id} and o.record_id = e.record_id and o.external_id is not null)`);
    const work = bound.size === 0 ? held : held.filter((r) => !bound.has(r.equivalence_id));
    const creates = work.filter((r) => r.external_id === null).map((r) => r.equivalence_id);
    if (creates.length > 0) {
      await db.rows(sql`update equivalences set create_attempted_at = now()
        where id = any(${uuidArray(creates)})`);
    }
    const outcomes = await mapLimit(work, SEND_CONCURRENCY, (row) => writeOne(connector, conn, row, reserved.get(row.record_id)));
    await commitOutcomes(ctx, conn, outcomes, hooks);
    tally.count(outcomes);
    waiting += rows.length - ready.length;
    done += rows.length;
    db.housekeeping.noteWrites(3 * outcomes.length);
    await db.housekeeping.maybeRun();
    ctx.progress('send', 'send', done, Math.max(total, done));
  }
  Object.assign(summary, { created: tally.created, updated: tally.updated, inSync: tally.inSync, failed: tally.failed + waiting });
  summary.durationMs = Date.now() - started;
  summary.perSecond = Math.round((summary.created + summary.updated) / Math.max(0.001, summary.durationMs / 1000));
  return summary;
}

async function writeOne(connector: Connector, conn: LoadedConnection, row: PendingRow, reserved?: Reserved): Promise<Outcome> {
  const target = project(row.data, conn.settings, reserved, row.external_id ? row.ack : null);
  try {
    if (row.external_id === null) {
      const record = forCreate(target, conn.settings);
      const ack = await connector.write!('products', { type: 'create', record }) as WriteAck<Product>;
      return { row, ok: true, kind: 'created', externalId: ack.externalId, ack: ack.record ?? record, fingerprint: ack.record ? ack.fingerprint : undefined };
    }
    const { changes, patch } = diffProducts(target, row.ack, (f) => fieldMode(conn.settings, f).write);
    if (changes.length === 0) return { row, ok: true, kind: 'in_sync' };
    const ack = await connector.write!('products', { type: 'update', externalId: row.external_id, patch, record: target }) as WriteAck<Product>;
    // What the listing holds now as far as the hub knows: what it acknowledged before, with what was just written.
    const expected = applyChanges(row.ack ?? target, target, changes);
    if (!ack.record) return { row, ok: true, kind: 'updated', externalId: row.external_id, ack: expected };
    // The answer may carry what someone changed there since the last fetch (a sale, an edit). Taken as the
    // acknowledged state, that change would never be detected: then the hub keeps what it expected (with the
    // platform's ids) and no fingerprint, and the next fetch reads the listing against it.
    if (diffProducts(ack.record, expected).changes.length > 0) {
      return { row, ok: true, kind: 'updated', externalId: row.external_id, ack: withPlatformIds(expected, ack.record) };
    }
    // What the next fetch will compare: the platform's answer as it sent it.
    return { row, ok: true, kind: 'updated', externalId: row.external_id, ack: ack.record, fingerprint: ack.fingerprint };
  } catch (err) {
    return { row, ok: false, error: asConnectorError(err) };
  }
}

/** `expected` with the variation ids the platform gave in `answer` (a variation added by the update gets its id there). */
function withPlatformIds(expected: Product, answer: Product): Product {
  const ids = matchVariations(expected.variations, answer.variations);
  return { ...expected, variations: expected.variations.map((v, i) => (ids[i].prev?.id !== undefined ? { ...v, id: ids[i].prev!.id } : v)) };
}

/**
 * Rows whose projection a listing rule says cannot be written (no category where one is
 * required, a price without a conversion rate) stay pending with an issue on their
 * record instead of failing on the platform; the rest are returned to be written.
 */
async function holdByListingRules(ctx: JobContext, conn: LoadedConnection, rows: PendingRow[], reserved: Map<string, Reserved>): Promise<PendingRow[]> {
  const mapping = mappingOf(conn.settings);
  const issues: NewIssue[] = [];
  const clear: { id: string; code: string }[] = [];
  const work = rows.filter((row) => {
    const target = project(row.data, conn.settings, reserved.get(row.record_id), row.external_id ? row.ack : null);
    const problems = [...(mapping ? mapping.problems(target, conn.name) : []), ...priceProblems(target, conn.name)];
    // A problem that no longer holds is resolved, whether or not another one still holds the row back.
    for (const code of ['no_category', 'no_rate', 'invalid_price']) if (!problems.some((p) => p.code === code)) clear.push({ id: row.equivalence_id, code });
    if (problems.length === 0) return true;
    for (const p of problems) {
      issues.push({
        connectionId: conn.id, recordId: row.record_id, equivalenceId: row.equivalence_id, entity: 'product', severity: 'error',
        code: p.code, origin: 'engine', key: p.code, message: p.message,
      });
    }
    return false;
  });
  await ctx.hub.db.tx(async (tx) => {
    await ctx.hub.db.rows(sql`update issues i set resolved_at = now()
      from jsonb_to_recordset(${JSON.stringify(clear)}::jsonb) as x(id uuid, code text)
      where i.resolved_at is null and i.origin = 'engine' and i.equivalence_id = x.id and i.code = x.code`, tx);
    await raiseIssues(ctx.hub.db, issues, tx);
  });
  return work;
}

/**
 * Stores the creates this absorbing connection is owed: every product it does not hold yet.
 * A fetch does not store them (src/engine/unplanned.ts): this is where they are planned.
 * Whether any is owed is asked of the facts every time (anyUnplanned), never remembered: a
 * remembered "nothing was added since" went stale when creates were withdrawn (absorb
 * switched off and on again), and the send wrote none of the creates the counts showed.
 */
async function absorbMissing(ctx: JobContext, conn: LoadedConnection): Promise<void> {
  const { db } = ctx.hub;
  if (!(await anyUnplanned(db, conn.id))) return;
  const total = await unplannedCount(db, conn.id);
  let done = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    await ctx.checkpoint();
    ctx.progress('send', 'propagate', done, total);
    // Through the narrow fact tables (kept by triggers): reading the records themselves meant reading every product's data.
    // One index probe per product (`offset 0` keeps it a subquery): statistics taken before this send began say
    // the connection lists nothing, and an anti-join planned on them read all it stored so far, for every page.
    const missing = await db.rows<{ id: string }>(sql`
      select f.id from record_facts f
      where f.entity = 'product' and f.id > ${after}::uuid
        and not exists (select 1 from listing_facts l where l.connection_id = ${conn.id} and l.record_id = f.id offset 0)
      order by f.id limit ${ABSORB_BATCH}`);
    // A product committed after the walk passed its id is found by the next send's count.
    if (missing.length === 0) return;
    after = missing[missing.length - 1].id;
    const stored = await db.tx((tx) => storeCreates(db, tx, conn.id, missing.map((m) => m.id)));
    done += missing.length;
    db.housekeeping.noteWrites(3 * stored);
    await db.housekeeping.maybeRun();
  }
}

/**
 * Creates that may have reached the platform (sent, answer lost, process killed):
 * scan the platform for their SKUs and bind what is there. Only after a complete
 * scan that did not find one is it safe to create it again.
 */
async function recoverUncertainCreates(ctx: JobContext, conn: LoadedConnection, all: LoadedConnection[], connector: Connector): Promise<number> {
  const { db } = ctx.hub;
  const rows = await db.rows<{ id: string; record_id: string; data: Product }>(sql`
    select e.id, e.record_id, r.data from equivalences e join records r on r.id = e.record_id
    where e.connection_id = ${conn.id} and e.entity = 'product' and e.external_id is null and e.create_attempted_at is not null`);
  if (rows.length === 0) return 0;
  // Looked for as the create wrote it: by SKU, else by title and barcodes; '' (neither) cannot be looked for.
  const uncertain = rows.map((r) => ({ ...r, key: createdIdentity(r.data, conn) }));
  const { found, missing, complete } = await findUncertain<Product, Uncertain & { data: Product }>(
    ctx, conn, connector, 'products', uncertain, productIdentity);
  await db.tx(async (tx) => {
    if (found.length > 0) {
      await db.rows(sql`update equivalences e set external_id = x.external_id, ack = x.ack, fingerprint = x.fingerprint,
          status = 'live', create_attempted_at = null, updated_at = now()
        from jsonb_to_recordset(${JSON.stringify(found.map(({ data: _, ...f }) => f))}::jsonb)
          as x(id uuid, external_id text, ack jsonb, fingerprint text)
        where e.id = x.id`, tx);
      // Only this connection's plan changed (the records did not). Replanning the others here would race their
      // own sends running in other workers, and could put back a pending create they had just done.
      await replanProducts(db, tx, new Map(found.map((f) => [f.record_id, f.data])), all.filter((c) => c.id === conn.id));
      // The create did happen: the failure raised when its answer was lost no longer applies.
      await resolveIssues(db, conn.id, 'send', found.map((f) => ({ equivalenceId: f.id })), tx);
      await raiseIssues(db, found.map((f) => {
        const bySku = f.key.startsWith('sku:');
        return {
          connectionId: conn.id, recordId: f.record_id, equivalenceId: f.id, entity: 'product' as const,
          severity: bySku ? 'notice' as const : 'warning' as const,
          code: 'create_recovered', origin: 'engine' as const, key: 'create_recovered',
          message: bySku
            ? `An earlier create of ${f.data.sku} on ${conn.name} had reached the platform (as ${f.external_id}); it was bound instead of created again`
            : `An earlier create of "${f.data.title}" on ${conn.name} had reached the platform: it has no SKU, and listing ${f.external_id} was found by its title and barcodes and bound instead of created again. Check that it is the same product`,
        };
      }), tx);
    }
    // Absent from a complete listing, a create with a SKU never landed: it may be sent again. One without a SKU
    // is never sent again on the hub's own judgement: a person says whether it is there.
    const bySku = missing.filter((m) => m.key.startsWith('sku:'));
    const unsure = missing.filter((m) => !m.key.startsWith('sku:'));
    const settled = [...found, ...(complete ? bySku : [])];
    if (settled.length > 0) {
      await db.rows(sql`update issues set resolved_at = now() where resolved_at is null and code = 'create_uncertain'
        and equivalence_id = any(${uuidArray(settled.map((u) => u.id))})`, tx);
    }
    await settleMissing(ctx, conn, 'product', tx, bySku, complete, (m) =>
      `A create of ${m.key.slice(4)} on ${conn.name} may have reached the platform, and the listing could not be read completely to check; it is held back to avoid a duplicate`);
    await settleMissing(ctx, conn, 'product', tx, unsure, false, (m) =>
      `A create of "${m.data.title || 'a product'}" on ${conn.name} may have reached the platform, and it has no SKU${m.key ? '' : ' and no barcode'}, so the hub cannot tell it apart there${m.key ? ' (no listing with its title and barcodes was found)' : ''}. ` +
      `It is held back to avoid a duplicate: check ${conn.name}, then answer in the product's issues: bind it to the listing that is there, or create it again.`);
  });
  return found.length;
}
