import type { ZodType } from 'zod';
import type { Logger } from 'pino';
import type { Product, Variation } from '../model/product.js';
import type { Order, OrderPatch } from '../model/order.js';
import type { Notice } from '../model/normalize.js';
import type { Reach } from './reach.js';
import { redactUrls } from './redact.js';
import { shortText } from '../model/text.js';

/** Longest merchant message and engineer's detail of a ConnectorError. */
const MESSAGE_MAX = 500;
const DETAIL_MAX = 2000;

export type Entity = 'products' | 'orders';

/** Where a read resumes; opaque to the engine, owned by the connector. */
export type Cursor = Record<string, unknown>;

/**
 * What `read()` yields, in order: records (and records it could not understand),
 * a `total` hint for progress, and checkpoints. The last checkpoint of a read that
 * went through the whole listing says `complete: true`; a read cut short (paging
 * that lied, a page limit) ends with `complete: false` so deletions are not inferred.
 */
export type ReadEvent<T = Product> =
  | { type: 'record'; externalId: string; record: T; notices: Notice[] }
  | { type: 'invalid'; externalId: string | null; code: string; message: string }
  | UnmappedEvent<T>
  | { type: 'total'; total: number }
  | { type: 'checkpoint'; cursor: Cursor; complete?: boolean; warning?: string };

/**
 * A record read but not mapped yet, yielded instead of `record`/`invalid` only when the
 * reader asks for them (`ReadOptions.unmapped`). `fingerprint` stands for the record
 * exactly as the platform sent it: the same fingerprint, the same record. `map()` gives
 * what `read` would have yielded. Mapping is most of the cost of reading a listing, and
 * a rescan finds most listings unchanged: the engine maps only those it does not hold.
 */
export interface UnmappedEvent<T = Product> {
  type: 'unmapped';
  externalId: string;
  fingerprint: string;
  map(): { type: 'record'; externalId: string; record: T; notices: Notice[] } | { type: 'invalid'; externalId: string | null; code: string; message: string };
}

/** Only what changed, for an update: top-level fields and, per variation, its changed fields. */
export interface ProductPatch {
  fields: Partial<Omit<Product, 'variations'>>;
  /** `id` is the platform's variation id when it has one; `index` its position in the platform's list. */
  variations: Array<{ id?: string; index: number; sku: string; changes: Partial<Variation>; isNew?: boolean }>;
}

export type WriteOp<T = Product, P = ProductPatch> =
  | { type: 'create'; record: T }
  | { type: 'update'; externalId: string; patch: P; record: T };

/** The platform's answer to a write: its id for the record and, when it returns it, the record as now stored. */
export interface WriteAck<T = Product> {
  externalId: string;
  record: T | null;
  notices?: Notice[];
  /** The `UnmappedEvent.fingerprint` of the record as the platform answered it, when the connector reads unmapped. */
  fingerprint?: string;
}

export type ErrorKind =
  | 'config' | 'auth' | 'transient' | 'rate_limited' | 'not_found' | 'invalid_data' | 'conflict' | 'bug';

/**
 * The one error class connectors throw. `message` is for the merchant; `detail`
 * for the engineer's log. The job layer decides by `kind`: transient and
 * rate_limited are retried, config and auth stop the job, invalid_data becomes an
 * issue on that one record.
 */
export class ConnectorError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly detail?: string,
    readonly retryAfterMs?: number,
  ) {
    // Addresses in messages and details never carry credentials (user:pass@, ?token=…): both end up in jobs, issues and logs.
    // A platform's text is quoted in them: one line, no NUL (the database refuses it), a few hundred characters at most.
    super(shortText(redactUrls(message), MESSAGE_MAX));
    this.name = 'ConnectorError';
    if (detail !== undefined) this.detail = shortText(redactUrls(detail), DETAIL_MAX);
  }
  get retryable(): boolean {
    return this.kind === 'transient' || this.kind === 'rate_limited';
  }
}

export interface ConnectorContext {
  log: Logger;
  signal: AbortSignal;
  /**
   * What the connection may reach: the dispatcher every request goes through (it refuses
   * link-local, metadata and, unless allowed, private addresses) and the feed import folder.
   * Absent: the policy of the environment (`reachOf(undefined)`).
   */
  reach?: Reach;
}

/** How to read: `ids` asks for just these records (a webhook's hint); a connector that cannot may read everything. */
export interface ReadOptions {
  ids?: string[];
  /** The reader handles `unmapped` events (a connector that cannot fingerprint raw records yields mapped ones). */
  unmapped?: boolean;
}

export interface Connector {
  /** A cheap call proving the configuration works; a value, not an exception. */
  check(): Promise<{ ok: true } | { ok: false; error: ConnectorError }>;
  read(entity: 'products', from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<Product>>;
  read(entity: 'orders', from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<Order>>;
  read(entity: Entity, from: Cursor | null, opts?: ReadOptions): AsyncIterable<ReadEvent<unknown>>;
  /** Creates or updates one record. Never deletes. */
  write?(entity: 'products', op: WriteOp<Product, ProductPatch>): Promise<WriteAck<Product>>;
  write?(entity: 'orders', op: WriteOp<Order, OrderPatch>): Promise<WriteAck<Order>>;
  write?(entity: Entity, op: WriteOp<unknown, unknown>): Promise<WriteAck<unknown>>;
}

/**
 * A connector is a folder exporting one definition: a stateless translator
 * between a platform and the universal model. It never touches the database,
 * the queue or the equivalences.
 *
 * @example
 * export const custom: ConnectorDefinition<CustomConfig> = {
 *   kind: 'custom', configSchema: CustomConfig, secretFields: ['key'],
 *   capabilities: { read: ['products', 'orders'], write: ['products', 'orders'] },
 *   create: (config, ctx) => new CustomConnector(config, ctx),
 * };
 */
export interface ConnectorDefinition<Config = unknown> {
  /** Persisted on every connection, never renamed. */
  kind: string;
  label: string;
  configSchema: ZodType<Config>;
  /** Config fields stored encrypted and never logged. */
  secretFields: string[];
  /**
   * The secrets the connector sends to the addresses in its config (default: all of
   * `secretFields`). When an address changes host, these must be given again in the same
   * request: a stored secret never follows an address to another host.
   */
  sentSecrets?: string[];
  /**
   * Address fields whose credential query parameters (`?token=…`) are moved into a secret
   * field (address field -> secret field) instead of being refused.
   */
  urlCredentials?: Record<string, string>;
  /** What the hub's reach policy says about a config (e.g. a feed file outside the import folder): the field and why, or null. */
  checkReach?(config: Config, reach: Reach): Promise<{ field: string; message: string } | null>;
  /** Fills in config the hub generates (e.g. a key) before validation. */
  prepareConfig?(input: Record<string, unknown>): Record<string, unknown>;
  /**
   * Settings a new connection of this kind starts from; the merchant's own settings are
   * merged over them (e.g. fields the platform cannot hold are neither read nor written).
   */
  defaultSettings?(config: Config): Record<string, unknown>;
  capabilities: { read: Entity[]; write: Entity[]; webhooks?: Entity[] };
  create(config: Config, ctx: ConnectorContext): Connector;
  /** How the platform's pushes to POST /hooks/:connectionId are verified and read; absent: the connector takes no webhooks. */
  webhooks?: WebhookSupport<Config>;
}

/** One change a platform pushed: which records of which entity changed. */
export interface WebhookEvent {
  /** The platform's event id: the same id delivered twice is processed once. */
  id: string;
  /** The platform's event type, e.g. order.created. */
  type: string;
  entity: Entity;
  /** The platform's ids of the records that changed. */
  ids: string[];
}

export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  /** The body exactly as received: signatures are over these bytes. */
  rawBody: Buffer;
}

/**
 * A connector's webhook format: the platform signs or authenticates its pushes in
 * its own way and names what changed in its own shape; the hub stores the events
 * and fetches just those records.
 *
 * @example
 * webhooks: { verify: (config, req) => hmacMatches(config.key, req), parse: (req) => readEvents(req.rawBody) }
 */
export interface WebhookSupport<Config = unknown> {
  /** Whether the request really comes from the platform of this connection (signature or shared key). */
  verify(config: Config, req: WebhookRequest): boolean;
  /** The events of a verified request, or what is wrong with it (the field, for a 400). */
  parse(req: WebhookRequest): { ok: true; events: WebhookEvent[] } | { ok: false; field: string; message: string };
}
