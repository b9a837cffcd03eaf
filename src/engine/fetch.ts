import crypto from 'node:crypto';
import { textArray, uuidArray, type Database, type Orm } from '../db/index.js';
import { sql } from 'drizzle-orm';
import type { Product, SettingsField } from '../model/product.js';
import { fieldMode } from '../model/settings.js';
import type { Notice } from '../model/normalize.js';
import { shortText } from '../model/text.js';
import { cleanReadEvent } from './clean-read.js';
import { isDatabaseError, StoreError } from './job-errors.js';
import type { ReadEvent } from '../connectors/types.js';
import { pausePoll, type JobContext } from '../jobs/context.js';
import { withCurrentSettings, type LoadedConnection } from './connections.js';
import { openConnector } from './connector.js';
import { readAhead } from './readahead.js';
import { applyChanges, diffProducts, fingerprint, withoutPlatformIds, type FieldChange, type FieldFilter } from './diff.js';
import { project, unproject, unprojectSeen } from './rules.js';
import { replanProducts, type EqRow } from './plan.js';
import { insertProductRecords } from './facts.js';
import { raiseIssues, resolveIssues, type NewIssue } from './issues.js';
import { markMissingGone, saveClock, type DeletionOutcome } from './deletions.js';
import { releaseOnStockReading } from './orders/reservations.js';
import { createdIdentity, looseTitle, productIdentity } from './uncertain.js';
import { hasLandedReservations } from './orders/ledger.js';
import { barcodesOf, matchBy, offerMatchNotice, recordsByBarcode } from './mapping/offer-match.js';

/** Records analysed per transaction: large enough to batch the SQL, small enough to keep memory flat. */
const PAGE = 250;
/**
 * Listings read before they are sorted, once a rescan finds nine in ten unchanged: one query
 * per batch (on the embedded database a query's fixed cost is most of a small one's), and
 * little to commit in between. Until then, and after a batch with more changes, PAGE.
 */
const SORT_BATCH = 1000;
/** Records downloaded ahead while a page is analysed. */
const READ_AHEAD = 1000;

export interface FetchSummary {
  entity: 'products';
  scanned: number;
  unchanged: number;
  changed: number;
  created: number;
  bound: number;
  invalid: number;
  notices: number;
  complete: boolean;
  warning?: string;
  /** A complete full rescan (no cursor: first fetch or clocks reset): what it marked gone, or why not. */
  deletions?: DeletionOutcome;
  durationMs: number;
  perSecond: number;
}

type RecordEvent = Extract<ReadEvent<Product>, { type: 'record' }>;
type UnmappedEvent = Extract<ReadEvent<Product>, { type: 'unmapped' }>;
type InvalidEvent = Extract<ReadEvent<Product>, { type: 'invalid' }>;

const NOTICE_SEVERITY: Record<string, NewIssue['severity']> = { currency_unknown: 'warning', number_invalid: 'warning', text_cleaned: 'warning' };

/**
 * Fetch = scan (page by page) -> analyse (fingerprint, then field diff against the
 * acknowledged state) -> propagate (apply detected fields to the records, replan
 * every connection). The clock only moves after the whole scan committed.
 */
export async function fetchProducts(ctx: JobContext, conn: LoadedConnection, all: LoadedConnection[]): Promise<FetchSummary> {
  const { hub } = ctx;
  const started = Date.now();
  const connector = openConnector(hub, conn, ctx.signal);
  const summary: FetchSummary = {
    entity: 'products', scanned: 0, unchanged: 0, changed: 0, created: 0, bound: 0, invalid: 0, notices: 0,
    complete: false, durationMs: 0, perSecond: 0,
  };
  let total: number | null = null;
  let records: (RecordEvent | UnmappedEvent)[] = [];
  let invalid: InvalidEvent[] = [];
  // Listings read but not analysed yet. A page read is first sorted by a light query: the
  // unchanged listings (most of a rescan) stop there, the rest gather into pages for the
  // analysis, so a 1% change costs a few analyses rather than one per page read.
  const work: RecordEvent[] = [];
  let pages = 0;
  let sortBatch = PAGE;
  let workBad: InvalidEvent[] = [];
  const flush = async (force: boolean) => {
    if (records.length > 0 || invalid.length > 0) {
      await ctx.checkpoint();
      const page = records;
      records = [];
      const rest = releasing ? page : await sortOutUnchanged(ctx, conn, page, summary, seen);
      // Mostly unchanged: sort bigger batches (fewer queries, little to commit); else commit page by page.
      sortBatch = rest.length <= page.length / 10 ? SORT_BATCH : PAGE;
      for (const ev of rest) {
        if (ev.type === 'record') { work.push(ev); continue; }
        const mapped = ev.map();
        if (mapped.type === 'invalid') { workBad.push(mapped); continue; }
        fingerprints.set(mapped, ev.fingerprint);
        work.push(mapped);
      }
      workBad.push(...invalid);
      invalid = [];
    }
    while (work.length + workBad.length > 0 && (force || work.length + workBad.length >= PAGE)) {
      const batch = work.splice(0, PAGE);
      const bad = workBad;
      workBad = [];
      const wrote = summary.created + summary.changed + summary.bound;
      pages++;
      await analysePage(ctx, conn, all, batch, bad, summary, started, seen, releasing).catch((err) => {
        if (!isDatabaseError(err)) throw err;
        // The job shows a sentence; the statement and the records it carried go to the log only.
        ctx.hub.log.error({ err, jobId: ctx.jobId, connectionId: conn.id, page: pages }, 'the database refused to store a page of products read');
        throw new StoreError(`The database refused a write while storing page ${pages} of the products read from ${conn.name}; see the hub log`, { cause: err });
      });
      // A record, its listing, their facts and history: about five rows each.
      ctx.hub.db.housekeeping.noteWrites(5 * (summary.created + summary.changed + summary.bound - wrote));
      await ctx.hub.db.housekeeping.maybeRun();
    }
    ctx.progress('fetch', 'analyse', summary.scanned, total);
  };
  ctx.progress('fetch', 'scan', 0, null);
  // A webhook's hint: just these products; nothing is inferred gone and the clock stays.
  const hint = ctx.scope?.ids?.products;
  const from = hint || ctx.scope?.full ? null : (conn.clocks.products as { cursor?: Record<string, unknown> } | undefined)?.cursor ?? null;
  // No cursor: a full rescan. Its clock is saved only once deletions are marked, so a rescan cut short is done again.
  const fullRescan = from === null && !hint;
  const seen = fullRescan ? new Set<string>() : null;
  // Orders that landed here before the scan began end their reservations as the scan reads
  // their products' stock. None open now: none can appear with an earlier landing during the scan.
  const releasing = await hasLandedReservations(hub.db, conn.id, new Date(started));
  let rescanClock: Record<string, unknown> | null = null;
  // A slow platform may take long to fill a page: a pause is checked for while scanning too. Records read
  // but not analysed yet are then dropped: nothing was committed for them and the clock stays.
  const pauseCheck = pausePoll(ctx);
  for await (const ev of readAhead(connector.read('products', from, { unmapped: true, ...(hint ? { ids: hint } : {}) }), READ_AHEAD)) {
    await pauseCheck();
    if (ev.type === 'total') {
      total = ev.total;
      ctx.progress('fetch', 'scan', summary.scanned, total);
    } else if (ev.type === 'record' || ev.type === 'unmapped') {
      records.push(cleanReadEvent(ev));
      if (records.length >= sortBatch) await flush(false);
    } else if (ev.type === 'invalid') {
      invalid.push(cleanReadEvent(ev));
    } else if (ev.type === 'checkpoint') {
      summary.complete = ev.complete !== false;
      if (ev.warning) summary.warning = shortText(ev.warning, 500);
      await flush(true);
      // startedAt: the sales placed on this platform before it are in the stock this reading reports (orders/hold.ts).
      const clock = { cursor: ev.cursor, lastScanAt: new Date().toISOString(), startedAt: new Date(started).toISOString(), complete: summary.complete, jobId: ctx.jobId };
      if (fullRescan) rescanClock = clock;
      else if (!hint) await saveClock(hub, conn.id, 'products', clock);
    }
  }
  await flush(true);
  if (rescanClock) {
    if (summary.complete) {
      summary.deletions = await markMissingGone(hub, conn, 'product', seen!, new Date(started), summary.scanned + summary.invalid);
    }
    await saveClock(hub, conn.id, 'products', summary.complete
      ? { ...rescanClock, fullScanAt: rescanClock.lastScanAt }
      : { ...rescanClock, cursor: null });
  }
  if (hint) {
    // A read of a few ids says nothing about the listing as a whole.
  } else if (summary.warning) {
    await raiseIssues(hub.db, [{
      connectionId: conn.id, entity: 'product', severity: 'warning', code: 'scan_incomplete', origin: 'engine',
      message: summary.complete
        ? `The last scan of ${conn.name} looks wrong: ${summary.warning}`
        : `The last scan of ${conn.name} stopped early: ${summary.warning}`,
      key: 'scan_incomplete',
    }]);
  } else {
    // A clean, complete scan: an earlier warning about the listing no longer holds.
    await hub.db.rows(sql`update issues set resolved_at = now()
      where connection_id = ${conn.id} and entity = 'product' and code = 'scan_incomplete' and origin = 'engine' and resolved_at is null`);
  }
  summary.durationMs = Date.now() - started;
  summary.perSecond = Math.round(summary.scanned / Math.max(0.001, summary.durationMs / 1000));
  ctx.progress('fetch', 'propagate', summary.scanned, total ?? summary.scanned);
  return summary;
}

/** Fingerprints of the listings read, computed once per listing. */
const fingerprints = new WeakMap<RecordEvent, string>();
function fingerprintOf(ev: RecordEvent | UnmappedEvent): string {
  if (ev.type === 'unmapped') return ev.fingerprint;
  let fp = fingerprints.get(ev);
  if (fp === undefined) fingerprints.set(ev, fp = fingerprint(ev.record));
  return fp;
}

/**
 * Counts the listings of a page read whose fingerprint the hub already holds (and that
 * are not marked gone) as scanned and unchanged; returns the others, for the analysis.
 */
async function sortOutUnchanged<E extends RecordEvent | UnmappedEvent>(
  ctx: JobContext, conn: LoadedConnection, page: E[], summary: FetchSummary, seen: Set<string> | null,
): Promise<E[]> {
  if (page.length === 0) return page;
  if (seen) for (const v of page) seen.add(v.externalId);
  // One aggregated row, not a row per listing: on PGlite each row returned costs more than
  // finding it (about 5 µs against 1), and this query runs for every listing of every scan.
  // An object of id -> fingerprint is half the work of an array of arrays, for PGlite and for JSON.parse.
  const [{ held }] = await ctx.hub.db.rows<{ held: Record<string, string> | null }>(sql`
    select json_object_agg(external_id, fingerprint) as held from equivalences
    where connection_id = ${conn.id} and entity = 'product' and external_id = any(${textArray(page.map((v) => v.externalId))})
      and status <> 'gone' and fingerprint is not null`);
  const same = (v: E) => held !== null && Object.hasOwn(held, v.externalId) && held[v.externalId] === fingerprintOf(v);
  // The same listing twice in one page (a store whose paging overlaps): the last copy wins.
  const views = [...new Map(page.map((e) => [e.externalId, e])).values()];
  const rest = views.filter((v) => !same(v));
  summary.scanned += page.length - rest.length;
  summary.unchanged += page.length - rest.length;
  return rest;
}

interface EqLite { id: string; external_id: string; record_id: string; fingerprint: string | null; status: string }

/**
 * This connection's creates of products without a SKU whose answer was lost, by the
 * identity of what they wrote (title and barcodes), when the page has listings without a SKU.
 */
async function uncertainWithoutSku(db: Database, tx: Orm, conn: LoadedConnection, fresh: RecordEvent[]) {
  type Row = { id: string; record_id: string; data: Product };
  const out = { byIdentity: new Map<string, Row>(), byTitle: new Map<string, Row[]>() };
  if (!fresh.some((v) => !v.record.sku)) return out;
  const rows = await db.rows<Row>(sql`
    select e.id, e.record_id, r.data from equivalences e join records r on r.id = e.record_id
    where e.connection_id = ${conn.id} and e.entity = 'product' and e.external_id is null and e.create_attempted_at is not null
      and coalesce(r.sku, '') = ''`, tx);
  for (const r of rows) {
    const key = createdIdentity(r.data, conn);
    if (key && !out.byIdentity.has(key)) out.byIdentity.set(key, r);
    const title = looseTitle(r.data.title);
    if (title) out.byTitle.set(title, [...(out.byTitle.get(title) ?? []), r]);
  }
  return out;
}


/**
 * The fields a bind may carry from a listing found on a connection into the hub record.
 * Where this connection's rules transform a field (a margin, a stock buffer or cap, a
 * listing rule), what the listing shows is not a hub value, and the listing has never
 * been written by the hub: reading it back through the inverse rule would rewrite the
 * master from another shop's price (and flip it between two such shops). Those fields
 * keep the hub's value, and the listing gets the projection as a pending update.
 * Changes made there after the bind are detected against the acknowledged state, as usual.
 */
function detectOnBind(conn: LoadedConnection, record: Product, projection: Product, detect: FieldFilter): FieldFilter {
  const { price, stock } = conn.settings;
  const transformed = new Set<SettingsField>(diffProducts(projection, record).changes.map((c) => c.field));
  if (price.marginPercent !== 0 || price.add !== 0 || price.round !== 'none') transformed.add('price');
  if (stock.buffer !== 0 || stock.max !== null) transformed.add('stock');
  if (transformed.size === 0) return detect;
  return (f) => detect(f) && !transformed.has(f);
}

async function analysePage(
  ctx: JobContext, conn: LoadedConnection, all: LoadedConnection[],
  page: RecordEvent[], bad: InvalidEvent[], summary: FetchSummary, startedAt: number, seen: Set<string> | null,
  releasing: boolean,
): Promise<void> {
  const { db } = ctx.hub;
  const detect = (f: Parameters<typeof fieldMode>[1]) => fieldMode(conn.settings, f).detect;
  // The same listing twice in one page (a store whose paging overlaps): the last copy wins.
  const views = [...new Map(page.map((e) => [e.externalId, e])).values()];
  summary.scanned += page.length;
  summary.invalid += bad.length;
  const fps = new Map(views.map((v) => [v.externalId, fingerprintOf(v)]));

  await db.tx(async (tx) => {
    const existing = await db.rows<EqLite>(sql`
      select id, external_id, record_id, fingerprint, status from equivalences
      where connection_id = ${conn.id} and entity = 'product'
        and external_id = any(${textArray(views.map((v) => v.externalId))})`, tx);
    const byExt = new Map(existing.map((e) => [e.external_id, e]));
    const unchanged: string[] = [];
    const changed: { view: RecordEvent; eq: EqLite }[] = [];
    const fresh: RecordEvent[] = [];
    for (const v of views) {
      const e = byExt.get(v.externalId);
      if (!e) fresh.push(v);
      else if (e.fingerprint === fps.get(v.externalId) && e.status !== 'gone') unchanged.push(e.id);
      else changed.push({ view: v, eq: e });
    }
    summary.unchanged += unchanged.length;
    // A full rescan keeps what it saw in memory (deletion detection at its end): an
    // unchanged listing costs no write. Listed but unreadable still counts as there.
    if (seen) {
      for (const v of views) seen.add(v.externalId);
      for (const b of bad) if (b.externalId) seen.add(b.externalId);
    }
    // Orders that landed here before this scan began are in the stock it reports: their reservations end now.
    if (releasing) await releaseOnStockReading(db, tx, conn, all, existing.map((e) => e.record_id),
      new Set(changed.map((c) => c.eq.record_id)), new Date(startedAt));
    if (changed.length === 0 && fresh.length === 0 && bad.length === 0) return;

    // Records we will touch, as they are now.
    const recordIds = new Set(changed.map((c) => c.eq.record_id));
    const by = matchBy(conn.settings);
    const skus = by === 'barcode' ? [] : [...new Set(fresh.map((v) => v.record.sku).filter(Boolean))];
    const loaded = await db.rows<{ id: string; sku: string; data: Product }>(sql`
      select id, sku, data from records where entity = 'product' and (
        id = any(${uuidArray([...recordIds])})
        or sku = any(${textArray(skus)}))
      order by created_at, id`, tx);
    const current = new Map<string, Product>(loaded.map((r) => [r.id, r.data]));
    const bySku = new Map<string, string>();
    for (const r of loaded) if (r.sku && !bySku.has(r.sku)) bySku.set(r.sku, r.id);
    // Offer match by barcode (settings.matching.by): listings whose SKU found nothing.
    const byBarcode = new Map<string, string>();
    if (by !== 'sku') {
      const wanted = [...new Set(fresh.filter((v) => !(v.record.sku && bySku.has(v.record.sku))).flatMap((v) => barcodesOf(v.record)))];
      for (const r of await recordsByBarcode(db, wanted, tx)) {
        if (!current.has(r.id)) current.set(r.id, r.data);
        for (const b of barcodesOf(r.data)) if (!byBarcode.has(b)) byBarcode.set(b, r.id);
      }
    }
    const acks = changed.length === 0 ? [] : await db.rows<{ id: string; ack: Product | null }>(sql`
      select id, ack from equivalences
      where id = any(${uuidArray(changed.map((c) => c.eq.id))})`, tx);
    const ackById = new Map(acks.map((a) => [a.id, a.ack]));
    // Pending inserts on this connection for records that now turn out to be here already.
    const candidates = [...new Set([...bySku.values(), ...byBarcode.values()])];
    const pendingHere = candidates.length === 0 ? [] : await db.rows<{ id: string; record_id: string }>(sql`
      select id, record_id from equivalences
      where connection_id = ${conn.id} and entity = 'product' and external_id is null
        and record_id = any(${uuidArray(candidates)})`, tx);
    const pendingByRecord = new Map(pendingHere.map((p) => [p.record_id, p.id]));
    // Records this connection absorbs and does not hold: owed a create here that its send has not stored yet.
    const owedHere = new Set(!conn.settings.absorb.products || candidates.length === 0 ? [] : (await db.rows<{ id: string }>(sql`
      select x.id from unnest(${uuidArray(candidates)}) x(id)
      where not exists (select 1 from listing_facts l where l.connection_id = ${conn.id} and l.record_id = x.id offset 0)`, tx)).map((r) => r.id));
    // Listings bound to such a record: the notice is raised once their equivalence exists.
    const boundOwed = new Map<string, string>();
    // Creates of products without a SKU whose answer was lost: a listing without a SKU may be one of them.
    const uncertainHere = await uncertainWithoutSku(db, tx, conn, fresh);
    const recoveredIds: string[] = [];

    const before = new Map<string, Product>();
    const newRecords: { id: string; sku: string; data: Product }[] = [];
    const eqInserts: Record<string, unknown>[] = [];
    const eqUpdates: Record<string, unknown>[] = [];
    const noticeIssues: NewIssue[] = [];
    const subjects: { externalId: string }[] = [];
    const touch = (id: string, next: Product) => {
      if (!before.has(id)) before.set(id, current.get(id)!);
      current.set(id, next);
    };

    // Which hub record each listing is, so its issues show on that record.
    const recordOf = new Map<string, string>();
    for (const { view, eq } of changed) {
      recordOf.set(view.externalId, eq.record_id);
      const ack = ackById.get(eq.id) ?? null;
      const record = current.get(eq.record_id)!;
      const detected: FieldChange[] = diffProducts(view.record, ack, detect).changes;
      if (detected.length > 0) touch(eq.record_id, applyChanges(record, unprojectSeen(view.record, conn.settings, ack, record), detected));
      else if (!before.has(eq.record_id)) before.set(eq.record_id, record);
      eqUpdates.push({ id: eq.id, ack: view.record, fingerprint: fps.get(view.externalId), external_id: view.externalId });
      summary.changed++;
    }
    for (const view of fresh) {
      const sku = view.record.sku;
      const barcode = byBarcode.size === 0 ? undefined : barcodesOf(view.record).find((b) => byBarcode.has(b));
      const matchId = (sku && by !== 'barcode' ? bySku.get(sku) : undefined) ?? (barcode ? byBarcode.get(barcode) : undefined);
      if (matchId) {
        // Same SKU as a hub record: bind to it rather than creating a second record.
        recordOf.set(view.externalId, matchId);
        const record = current.get(matchId)!;
        const baseline = project(record, conn.settings);
        const detected = diffProducts(view.record, baseline, detectOnBind(conn, record, baseline, detect)).changes;
        if (detected.length > 0) touch(matchId, applyChanges(record, unprojectSeen(view.record, conn.settings, baseline, record), detected));
        else if (!before.has(matchId)) before.set(matchId, record);
        const pendingId = pendingByRecord.get(matchId);
        if (pendingId) {
          pendingByRecord.delete(matchId);
          noticeIssues.push(offerMatchNotice(conn, { id: pendingId, record_id: matchId }, view.externalId,
            sku && bySku.get(sku) === matchId ? 'SKU' : `barcode ${barcode}`));
          eqUpdates.push({ id: pendingId, ack: view.record, fingerprint: fps.get(view.externalId), external_id: view.externalId });
        } else {
          if (owedHere.delete(matchId)) boundOwed.set(view.externalId, sku && bySku.get(sku) === matchId ? 'SKU' : `barcode ${barcode}`);
          eqInserts.push({ record_id: matchId, external_id: view.externalId, ack: view.record, fingerprint: fps.get(view.externalId) });
        }
        summary.bound++;
      } else if (!sku && uncertainHere.byIdentity.has(productIdentity(view.record))) {
        // The hub's own create, whose answer was lost: the listing is that product, not a new one.
        const key = productIdentity(view.record);
        const u = uncertainHere.byIdentity.get(key)!;
        uncertainHere.byIdentity.delete(key);
        recordOf.set(view.externalId, u.record_id);
        if (!before.has(u.record_id)) before.set(u.record_id, u.data);
        current.set(u.record_id, current.get(u.record_id) ?? u.data);
        eqUpdates.push({ id: u.id, ack: view.record, fingerprint: fps.get(view.externalId), external_id: view.externalId });
        recoveredIds.push(u.id);
        noticeIssues.push({
          connectionId: conn.id, recordId: u.record_id, equivalenceId: u.id, entity: 'product', severity: 'warning',
          code: 'create_recovered', origin: 'engine', key: 'create_recovered',
          message: `An earlier create of "${u.data.title}" on ${conn.name} had reached the platform: it has no SKU, and listing ${view.externalId} ` +
            'was found by its title and barcodes and bound instead of read as a new product. Check that it is the same product',
        });
        summary.bound++;
      } else if (!sku && uncertainHere.byTitle.has(looseTitle(view.record.title))) {
        // Nothing tells it apart from a create of the hub's whose answer was lost: not read as a new product
        // (that would list it twice everywhere); a person says whether it is that one.
        for (const u of uncertainHere.byTitle.get(looseTitle(view.record.title))!) {
          noticeIssues.push({
            connectionId: conn.id, recordId: u.record_id, equivalenceId: u.id, entity: 'product', severity: 'warning',
            code: 'create_uncertain_match', origin: 'engine', key: `create_uncertain_match|${view.externalId}`,
            message: `Listing ${view.externalId} on ${conn.name} has the title of this product, whose create there may have landed ` +
              '(its answer was lost; it has no SKU or barcode to tell). It is not read as a new product: if it is this one, bind it.',
            details: { externalId: view.externalId },
          });
        }
      } else {
        const id = crypto.randomUUID();
        recordOf.set(view.externalId, id);
        const data = withoutPlatformIds(unproject(view.record, conn.settings));
        newRecords.push({ id, sku, data });
        current.set(id, data);
        if (sku) bySku.set(sku, id);
        eqInserts.push({ record_id: id, external_id: view.externalId, ack: view.record, fingerprint: fps.get(view.externalId) });
        summary.created++;
      }
    }
    for (const v of [...fresh, ...changed.map((c) => c.view)]) {
      subjects.push({ externalId: v.externalId });
      for (const n of v.notices as Notice[]) {
        noticeIssues.push({
          connectionId: conn.id, entity: 'product', externalId: v.externalId, recordId: recordOf.get(v.externalId) ?? null,
          severity: NOTICE_SEVERITY[n.code] ?? 'notice',
          code: n.code, message: n.message, origin: 'fetch', key: `${n.code}|${n.field ?? ''}`,
        });
      }
    }
    const badIds = bad.map((b) => b.externalId).filter((x): x is string => !!x);
    if (badIds.length > 0) {
      // A product the hub already holds that has become unreadable: the error belongs on its record.
      const held = await db.rows<{ external_id: string; record_id: string }>(sql`
        select external_id, record_id from equivalences where connection_id = ${conn.id} and entity = 'product'
          and external_id = any(${textArray(badIds)})`, tx);
      for (const h of held) recordOf.set(h.external_id, h.record_id);
    }
    for (const b of bad) {
      if (b.externalId) subjects.push({ externalId: b.externalId });
      noticeIssues.push({
        connectionId: conn.id, entity: 'product', externalId: b.externalId, recordId: b.externalId ? recordOf.get(b.externalId) ?? null : null,
        severity: 'error', code: b.code,
        message: b.message, origin: 'fetch', key: b.code,
      });
    }
    summary.notices += noticeIssues.length - bad.length;

    if (newRecords.length > 0) {
      await db.rows(insertProductRecords(newRecords, conn.id), tx);
      const created = newRecords.map((r) => ({ record_id: r.id, field: '*', new_value: null, source_type: 'connection' }));
      await insertHistory(ctx, conn.id, created, tx);
    }
    const changedRecords = [...before.entries()].filter(([id, old]) => current.get(id) !== old);
    if (changedRecords.length > 0) {
      await db.rows(sql`update records r set data = x.data, sku = x.data->>'sku', updated_at = now()
        from jsonb_to_recordset(${JSON.stringify(changedRecords.map(([id]) => ({ id, data: current.get(id) })))}::jsonb)
          as x(id uuid, data jsonb) where r.id = x.id`, tx);
      const history = changedRecords.flatMap(([id, old]) => diffProducts(current.get(id)!, old).changes.map((c) => ({
        record_id: id, field: c.path, old_value: c.old, new_value: c.new, source_type: 'connection',
      })));
      await insertHistory(ctx, conn.id, history, tx);
    }
    // What was just written is handed to the replan below instead of being read back.
    const written: EqRow[] = [];
    const ackOf = new Map(views.map((v) => [v.externalId, v.record]));
    const wrote = (rows: { id: string; record_id: string; external_id: string; status: string }[], fresh = false) => {
      for (const r of rows) written.push({ ...r, connection_id: conn.id, ack: ackOf.get(r.external_id)!, fresh });
    };
    if (eqInserts.length > 0) {
      const inserted = await db.rows<{ id: string; record_id: string; external_id: string; status: string }>(sql`insert into equivalences (connection_id, record_id, entity, external_id, ack, fingerprint, status, last_seen_at, last_scan_id)
        select ${conn.id}::uuid, record_id, 'product', external_id, ack, fingerprint, 'live', now(), ${ctx.jobId}
        from jsonb_to_recordset(${JSON.stringify(eqInserts)}::jsonb) as x(record_id uuid, external_id text, ack jsonb, fingerprint text)
        on conflict do nothing
        returning id, record_id, external_id, status`, tx);
      wrote(inserted, true);
      for (const e of inserted) {
        const how = boundOwed.get(e.external_id);
        if (how) noticeIssues.push(offerMatchNotice(conn, e, e.external_id, how));
      }
      summary.notices += boundOwed.size;
    }
    if (eqUpdates.length > 0) {
      wrote(await db.rows(sql`update equivalences e set ack = x.ack, fingerprint = x.fingerprint, external_id = x.external_id,
          status = case when e.status in ('gone', 'pending_insert') then 'live' else e.status end,
          create_attempted_at = null, last_seen_at = now(), last_scan_id = ${ctx.jobId}, updated_at = now()
        from jsonb_to_recordset(${JSON.stringify(eqUpdates)}::jsonb) as x(id uuid, ack jsonb, fingerprint text, external_id text)
        where e.id = x.id
        returning e.id, e.record_id, e.external_id, e.status`, tx));
    }
    await resolveIssues(db, conn.id, 'fetch', subjects, tx);
    if (recoveredIds.length > 0) {
      await db.rows(sql`update issues set resolved_at = now() where resolved_at is null and equivalence_id = any(${uuidArray(recoveredIds)})
        and (code = 'create_uncertain' or origin = 'send')`, tx);
    }
    await raiseIssues(db, noticeIssues, tx);
    const replan = new Map<string, Product>();
    for (const id of before.keys()) replan.set(id, current.get(id)!);
    for (const r of newRecords) replan.set(r.id, r.data);
    // Planned with the settings in force now: a rule changed while this fetch ran is not undone by it.
    await replanProducts(db, tx, replan, await withCurrentSettings(db, tx, all), written);
  });
}

async function insertHistory(
  ctx: JobContext, sourceId: string,
  rows: { record_id: string; field: string; old_value?: unknown; new_value: unknown; source_type: string }[],
  tx: Parameters<Parameters<JobContext['hub']['db']['tx']>[0]>[0],
): Promise<void> {
  if (rows.length === 0) return;
  await ctx.hub.db.rows(sql`insert into record_history (record_id, field, old_value, new_value, source_type, source_id, job_id)
    select record_id, field, old_value, new_value, source_type, ${sourceId}, ${ctx.jobId}::uuid
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as x(record_id uuid, field text, old_value jsonb, new_value jsonb, source_type text)`, tx);
}
