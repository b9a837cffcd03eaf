import { sql } from 'drizzle-orm';
import {
  bigint, bigserial, boolean, index, integer, jsonb, numeric, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid,
} from 'drizzle-orm/pg-core';

/** One connected platform account. `secrets` holds the encrypted credential fields of `config`. */
export const connections = pgTable('connections', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  kind: text('kind').notNull(),
  config: jsonb('config').notNull().$type<Record<string, unknown>>(),
  secrets: text('secrets'),
  settings: jsonb('settings').notNull().$type<Record<string, unknown>>(),
  paused: boolean('paused').notNull().default(false),
  clocks: jsonb('clocks').notNull().default({}).$type<Record<string, unknown>>(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** A product or a sales order in the universal model. */
export const records = pgTable('records', {
  id: uuid('id').primaryKey().defaultRandom(),
  entity: text('entity').notNull(),
  sku: text('sku').notNull().default(''),
  data: jsonb('data').notNull(),
  sourceConnectionId: uuid('source_connection_id'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  index('records_entity_sku').on(t.entity, t.sku),
  // Offer match: a listing found on a platform is recognised by any of its variations' barcodes.
  index('records_barcodes').using('gin', sql`jsonb_path_query_array(${t.data}, '$.variations[*].barcode')`).where(sql`entity = 'product'`),
]);

/**
 * What the sets of the search bar ask about a record, without its JSON document, so a
 * set over 100k records reads a few MB instead of the whole catalog. Kept by triggers on
 * `records` (functions and triggers in drizzle/0005_set_triggers.sql); never written by code.
 * Few indexes and no foreign key on purpose: every write of a record pays for them.
 */
export const recordFacts = pgTable('record_facts', {
  id: uuid('id').primaryKey(),
  entity: text('entity').notNull(),
  /** The product's SKU, or the order's number. */
  sku: text('sku').notNull().default(''),
  /** One bit per field that has a value (on the product or any variation): see cs_product_has. */
  has: integer('has').notNull().default(0),
  /** { brand, size: [...], color: [...], category: [...], skus: [...] }, lower-cased but skus. */
  facts: jsonb('facts'),
  stockTotal: numeric('stock_total', { mode: 'number' }),
  /** The lowest price; null when a variation has no price. */
  priceMin: numeric('price_min', { mode: 'number' }),
  status: text('status'),
  dateCreated: text('date_created'),
}, (t) => [index('record_facts_order_date').on(t.dateCreated).where(sql`entity = 'order'`)]);

/**
 * The binding of a record to its representation on one connection. `ack` is the
 * last acknowledged external state (in the universal model), `fingerprint` its hash.
 * A pending insert has no external id yet; `create_attempted_at` marks a create
 * that may have reached the platform, so a retry looks it up before creating again.
 */
export const equivalences = pgTable('equivalences', {
  id: uuid('id').primaryKey().defaultRandom(),
  connectionId: uuid('connection_id').notNull().references(() => connections.id, { onDelete: 'cascade' }),
  recordId: uuid('record_id').notNull().references(() => records.id, { onDelete: 'cascade' }),
  entity: text('entity').notNull(),
  externalId: text('external_id'),
  ack: jsonb('ack'),
  fingerprint: text('fingerprint'),
  status: text('status').notNull(),
  createAttemptedAt: timestamp('create_attempted_at', { withTimezone: true }),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }),
  lastScanId: text('last_scan_id'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('equivalences_external').on(t.connectionId, t.entity, t.externalId),
  uniqueIndex('equivalences_one_pending_insert').on(t.connectionId, t.entity, t.recordId)
    .where(sql`external_id is null`),
  // An order exists at most once on a connection: the last guard against a double create.
  uniqueIndex('equivalences_one_order').on(t.connectionId, t.recordId).where(sql`entity = 'order'`),
  index('equivalences_record').on(t.recordId),
  index('equivalences_connection_status').on(t.connectionId, t.status),
]);

/** The same for equivalences: where a record is listed, what is pending there, and its status and categories there. */
export const listingFacts = pgTable('listing_facts', {
  equivalenceId: uuid('equivalence_id').primaryKey(),
  recordId: uuid('record_id').notNull(),
  connectionId: uuid('connection_id').notNull(),
  entity: text('entity').notNull(),
  /** It exists there (has an external id) and was not found gone. */
  listed: boolean('listed').notNull(),
  gone: boolean('gone').notNull(),
  /** The op of its pending change: insert, update, or null. */
  pending: text('pending'),
  ackStatus: text('ack_status'),
  /** The acknowledged categories, lower-cased. */
  ackCategories: jsonb('ack_categories'),
}, (t) => [index('listing_facts_connection').on(t.connectionId, t.recordId)]);

/** What the hub must still write for one equivalence: op insert or update, and the field changes. */
export const pendingChanges = pgTable('pending_changes', {
  equivalenceId: uuid('equivalence_id').primaryKey().references(() => equivalences.id, { onDelete: 'cascade' }),
  connectionId: uuid('connection_id').notNull(),
  recordId: uuid('record_id').notNull(),
  op: text('op').notNull(),
  changes: jsonb('changes').notNull(),
  plannedAt: timestamp('planned_at', { withTimezone: true }).notNull().defaultNow(),
  attempts: integer('attempts').notNull().default(0),
  lastError: text('last_error'),
}, (t) => [
  index('pending_changes_connection').on(t.connectionId, t.op),
  // A send pages through one connection's changes in id order: a range scan, not a sort of all of them per page.
  index('pending_changes_connection_page').on(t.connectionId, t.equivalenceId),
]);

/** An error, warning or notice on one equivalence (or on an external record the hub could not read). */
export const issues = pgTable('issues', {
  id: uuid('id').primaryKey().defaultRandom(),
  connectionId: uuid('connection_id'),
  recordId: uuid('record_id'),
  equivalenceId: uuid('equivalence_id'),
  entity: text('entity').notNull(),
  externalId: text('external_id'),
  severity: text('severity').notNull(),
  code: text('code').notNull(),
  message: text('message').notNull(),
  origin: text('origin').notNull(),
  dedupeKey: text('dedupe_key').notNull(),
  details: jsonb('details'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
  resolvedAt: timestamp('resolved_at', { withTimezone: true }),
}, (t) => [
  uniqueIndex('issues_open_dedupe').on(t.dedupeKey).where(sql`resolved_at is null`),
  index('issues_connection').on(t.connectionId),
  index('issues_record').on(t.recordId),
  index('issues_open_equivalence').on(t.equivalenceId).where(sql`resolved_at is null`),
  // Every fetched page resolves the issues of its listings: one range per listing, not every issue of the connection.
  index('issues_open_listing').on(t.connectionId, t.externalId).where(sql`resolved_at is null`),
]);

/**
 * Where a connection that absorbs products was last found to hold (or plan) every product:
 * `records_mark` is the `records_added` sequence then (bumped by a trigger on every insert of
 * products). A send of that connection looks for products it misses again only once it moved.
 */
export const absorbChecks = pgTable('absorb_checks', {
  connectionId: uuid('connection_id').primaryKey().references(() => connections.id, { onDelete: 'cascade' }),
  recordsMark: bigint('records_mark', { mode: 'number' }).notNull(),
  checkedAt: timestamp('checked_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The last complete look of a connection that fulfils orders (absorb.orders) for orders it
 * was never handed: `orders_mark` is the `orders_changed` sequence then (bumped by triggers
 * when an order is inserted or its status changes). Its send looks again only once it moved.
 */
export const forwardChecks = pgTable('forward_checks', {
  connectionId: uuid('connection_id').primaryKey().references(() => connections.id, { onDelete: 'cascade' }),
  ordersMark: bigint('orders_mark', { mode: 'number' }).notNull(),
  checkedAt: timestamp('checked_at', { withTimezone: true }).notNull().defaultNow(),
});

export const jobs = pgTable('jobs', {
  id: uuid('id').primaryKey().defaultRandom(),
  type: text('type').notNull(),
  connectionId: uuid('connection_id'),
  state: text('state').notNull(),
  phase: text('phase'),
  done: integer('done').notNull().default(0),
  total: integer('total'),
  summary: jsonb('summary'),
  error: text('error'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  startedAt: timestamp('started_at', { withTimezone: true }),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
  /** What part of the connection the job covers (entities, full rescan, webhook hint); null = everything. */
  scope: jsonb('scope'),
  /** manual | schedule | webhook | follow-up */
  origin: text('origin').notNull().default('manual'),
  /** How many times a process started it: a job whose process died is queued again, up to a limit. */
  attempts: integer('attempts').notNull().default(0),
  /** The process running it and until when; a lease not renewed (its process died) lets another process take the job. */
  leaseOwner: text('lease_owner'),
  leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
  queuedAt: timestamp('queued_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  index('jobs_connection').on(t.connectionId, t.createdAt),
  // One queued job per connection, type and scope, whichever process queues it.
  uniqueIndex('jobs_queued_once').on(t.connectionId, t.type, sql`coalesce((scope)::text, '')`).where(sql`state = 'queued'`),
  index('jobs_active').on(t.state, t.leaseExpiresAt).where(sql`state in ('queued', 'running')`),
]);

/** Leases that keep one fetch and one send per connection, across processes. */
export const connectionLocks = pgTable('connection_locks', {
  connectionId: uuid('connection_id').notNull(),
  lane: text('lane').notNull(),
  jobId: uuid('job_id').notNull(),
  owner: text('owner').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
}, (t) => [primaryKey({ columns: [t.connectionId, t.lane] })]);

/** Every change to a record: which field, from what, to what, made by whom, when. */
export const recordHistory = pgTable('record_history', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  recordId: uuid('record_id').notNull(),
  field: text('field').notNull(),
  oldValue: jsonb('old_value'),
  newValue: jsonb('new_value'),
  sourceType: text('source_type').notNull(),
  sourceId: text('source_id'),
  jobId: uuid('job_id'),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('record_history_record').on(t.recordId, t.at)]);

/** API tokens made with `channelsync token create`; only a hash is kept. */
export const apiTokens = pgTable('api_tokens', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  hash: text('hash').notNull().unique(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
});

/**
 * Stock held by a sales order that the fulfilling connection's stock does not show
 * yet. Opened when an order comes from a connection other than the fulfiller;
 * `landed_at` is when the order was known to exist on the fulfiller; released when
 * a later product scan of that fulfiller has been applied (its stock now includes
 * the sale), or when the order is cancelled. One row per order, product, variation.
 */
export const reservations = pgTable('reservations', {
  orderRecordId: uuid('order_record_id').notNull().references(() => records.id, { onDelete: 'cascade' }),
  productRecordId: uuid('product_record_id').notNull().references(() => records.id, { onDelete: 'cascade' }),
  /** The variation's SKU, or `#index` for a variation without one. */
  variation: text('variation').notNull(),
  quantity: integer('quantity').notNull(),
  sourceConnectionId: uuid('source_connection_id'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  landedConnectionId: uuid('landed_connection_id'),
  landedAt: timestamp('landed_at', { withTimezone: true }),
  releasedAt: timestamp('released_at', { withTimezone: true }),
  releaseReason: text('release_reason'),
}, (t) => [
  primaryKey({ columns: [t.orderRecordId, t.productRecordId, t.variation] }),
  index('reservations_open_product').on(t.productRecordId).where(sql`released_at is null`),
]);

/**
 * The dedupe key of order forwarding: one row per (fulfilling connection, order),
 * inserted once; only the transaction that inserted it plans the create.
 * `forced` = a user asked to forward the order despite lines that could not be matched.
 */
export const orderForwards = pgTable('order_forwards', {
  connectionId: uuid('connection_id').notNull().references(() => connections.id, { onDelete: 'cascade' }),
  orderRecordId: uuid('order_record_id').notNull().references(() => records.id, { onDelete: 'cascade' }),
  forced: boolean('forced').notNull().default(false),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.connectionId, t.orderRecordId] })]);

/**
 * Pushes received from platforms (POST /hooks/:connectionId). The unique key makes a
 * delivery repeated by the platform a no-op; a webhook fetch job claims the open
 * events of its connection and marks them processed when it completes.
 */
export const webhookEvents = pgTable('webhook_events', {
  id: uuid('id').primaryKey().defaultRandom(),
  connectionId: uuid('connection_id').notNull().references(() => connections.id, { onDelete: 'cascade' }),
  /** The platform's event id. */
  eventId: text('event_id').notNull(),
  type: text('type').notNull(),
  /** products | orders */
  entity: text('entity').notNull(),
  /** The platform's ids of the records that changed. */
  ids: jsonb('ids').notNull().$type<string[]>(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  jobId: uuid('job_id'),
  processedAt: timestamp('processed_at', { withTimezone: true }),
}, (t) => [
  uniqueIndex('webhook_events_dedupe').on(t.connectionId, t.eventId),
  index('webhook_events_open').on(t.connectionId, t.receivedAt).where(sql`processed_at is null`),
]);

/** When each scheduled job of a connection runs next; `spec` is the schedule it was computed from. */
export const scheduleRuns = pgTable('schedule_runs', {
  connectionId: uuid('connection_id').notNull().references(() => connections.id, { onDelete: 'cascade' }),
  /** orders | stock | catalog */
  entry: text('entry').notNull(),
  spec: text('spec').notNull(),
  nextRunAt: timestamp('next_run_at', { withTimezone: true }).notNull(),
  lastRunAt: timestamp('last_run_at', { withTimezone: true }),
  lastJobId: uuid('last_job_id'),
}, (t) => [primaryKey({ columns: [t.connectionId, t.entry] })]);
