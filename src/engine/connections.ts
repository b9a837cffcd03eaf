import { z } from 'zod';
import { sql } from 'drizzle-orm';
import type { Hub } from '../hub.js';
import { uuidArray, type Database, type Orm } from '../db/index.js';
import { getConnectorDefinition, connectorKinds } from '../connectors/registry.js';
import { ConnectionSettings, mergeSettings, parseStoredSettings } from '../model/settings.js';
import { inputTextProblem, quoted } from '../model/limits.js';
import { ApiError } from '../http/errors.js';
import { unplannedCount } from './unplanned.js';
import { reachOf } from '../connectors/reach.js';
import { credentialsInUrl, isSecretParam, redactUrl } from '../connectors/redact.js';
import type { ConnectorDefinition } from '../connectors/types.js';

export interface ConnectionRow {
  id: string;
  name: string;
  kind: string;
  config: Record<string, unknown>;
  secrets: string | null;
  settings: Record<string, unknown>;
  paused: boolean;
  clocks: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

/** A connection with its secrets decrypted and its settings parsed: what the engine works with. */
export interface LoadedConnection {
  id: string;
  name: string;
  kind: string;
  config: Record<string, unknown>;
  settings: ConnectionSettings;
  paused: boolean;
  clocks: Record<string, unknown>;
}

function zodToApiError(err: z.ZodError, prefix: string): ApiError {
  const first = err.issues[0];
  const where = [prefix, ...first.path.map(String)].filter(Boolean).join('.');
  return ApiError.badRequest(`${where}: ${first.message}`, where);
}

function splitSecrets(kind: string, config: Record<string, unknown>) {
  const def = getConnectorDefinition(kind)!;
  const plain: Record<string, unknown> = {};
  const secret: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) (def.secretFields.includes(k) ? secret : plain)[k] = v;
  return { plain, secret };
}

function validateConfig(kind: string, input: unknown): Record<string, unknown> {
  const def = getConnectorDefinition(kind);
  if (!def) throw ApiError.badRequest(`kind: unknown connector kind ${quoted(kind)}; known kinds: ${connectorKinds().join(', ')}`, 'kind');
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw ApiError.badRequest('config: must be an object', 'config');
  const prepared = def.prepareConfig ? def.prepareConfig(input as Record<string, unknown>) : input;
  const parsed = def.configSchema.safeParse(prepared);
  if (!parsed.success) throw zodToApiError(parsed.error as z.ZodError, 'config');
  return parsed.data as Record<string, unknown>;
}

function isAddress(v: unknown): v is string {
  return typeof v === 'string' && /^https?:\/\//i.test(v.trim());
}

/**
 * Credentials found in the addresses of a config: a connector that keeps them (a feed's
 * `?token=…`) has them moved into its secret field; any other is refused with a 400 naming
 * the field and where the credential belongs. Addresses are shown, logged and put in
 * error messages; secret fields are stored encrypted and never shown.
 */
function takeUrlCredentials(def: ConnectorDefinition, input: Record<string, unknown>): Record<string, unknown> {
  const out = { ...input };
  for (const [field, value] of Object.entries(input)) {
    if (!isAddress(value)) continue;
    const found = credentialsInUrl(value.trim());
    if (!found.userinfo && found.params.length === 0) continue;
    const into = def.urlCredentials?.[field];
    const where = `config.${field}`;
    if (found.userinfo) {
      throw ApiError.badRequest(`${where}: the address holds a user name and password (user:pass@); the hub keeps no credentials in addresses. ` +
        (into ? 'Use an address with an access key parameter (e.g. ?token=…), which the hub keeps encrypted.' : `Put them in ${secretList(def)} instead.`), where);
    }
    if (into) {
      const url = new URL(value.trim());
      const moved = new URLSearchParams();
      for (const name of [...url.searchParams.keys()]) {
        if (!isSecretParam(name)) continue;
        for (const v of url.searchParams.getAll(name)) moved.append(name, v);
        url.searchParams.delete(name);
      }
      out[field] = url.toString();
      out[into] = moved.toString();
      continue;
    }
    throw ApiError.badRequest(`${where}: the address holds a credential (${found.params.map((p) => `${p}=…`).join(', ')}); ` +
      `put it in ${secretList(def)}, never in the address: addresses are shown and logged, secret fields are stored encrypted.`, where);
  }
  return out;
}

function secretList(def: ConnectorDefinition): string {
  const fields = def.sentSecrets ?? def.secretFields;
  return fields.length === 0 ? 'the connection\'s settings' : fields.map((f) => `config.${f}`).join(' or ');
}

/** scheme://host:port of each address of a config, by field. */
function origins(config: Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [field, value] of Object.entries(config)) {
    if (!isAddress(value)) continue;
    try {
      const url = new URL(value.trim());
      out.set(field, `${url.protocol}//${url.host}`);
    } catch {
      // not an address after all: validation says so
    }
  }
  return out;
}

/**
 * A secret never follows an address to another host: when an address of the config now
 * points at another scheme, host or port, each secret the connector sends there must be
 * given again in the same request (or set to null to drop it), else a 400 naming it.
 */
function checkSecretsFollow(def: ConnectorDefinition, before: Record<string, unknown>, after: Record<string, unknown>, given: Record<string, unknown>): void {
  // A host the secrets already went to (another address of the same config) is no change.
  const was = new Set(origins(before).values());
  const moved = [...origins(after)].filter(([, origin]) => !was.has(origin)).map(([field]) => field);
  if (moved.length === 0) return;
  for (const secret of def.sentSecrets ?? def.secretFields) {
    const held = before[secret];
    if (held === undefined || held === null || held === '' || Object.hasOwn(given, secret)) continue;
    const where = `config.${secret}`;
    throw ApiError.badRequest(`${where}: the address in config.${moved[0]} now points at another host (${redactUrl(String(after[moved[0]]))}); ` +
      `give ${secret} again in the same request (or null to remove it): the hub does not send a stored secret to an address it was not given for.`, where);
  }
}

/**
 * The reach policy's objection to a config as a 400 naming the field: an address whose host
 * is an IP address the hub never connects to (host names are checked when connecting), a
 * feed file outside the import folder.
 */
async function checkReach(hub: Hub, kind: string, config: Record<string, unknown>): Promise<void> {
  const def = getConnectorDefinition(kind)!;
  const reach = reachOf(hub);
  for (const [field, value] of Object.entries(config)) {
    const why = isAddress(value) ? reach.addressRefusal(value.trim()) : null;
    if (why) throw ApiError.badRequest(`config.${field}: ${why}`, `config.${field}`);
  }
  const found = await def.checkReach?.(config, reach);
  if (found) throw ApiError.badRequest(`config.${found.field}: ${found.message}`, `config.${found.field}`);
}

/** Texts too long or holding control characters (NUL) are a 400 naming the field, before anything parses them. */
function checkInputText(input: Record<string, unknown>): void {
  const problem = inputTextProblem(input, '');
  if (problem) throw ApiError.badRequest(problem.message, problem.field);
}

function validateSettings(input: unknown): ConnectionSettings {
  const parsed = ConnectionSettings.safeParse(input ?? {});
  if (!parsed.success) throw zodToApiError(parsed.error, 'settings');
  return parsed.data;
}

/**
 * Applies a settings patch: objects merge, values replace. `null` on an optional setting
 * that has no value of its own (a listing rule such as `defaultCategory`, `deliveryDays` or
 * `currency.code`) removes it. Where null is a value (`stock.max`, `schedule.quietHours`) it
 * is kept. Where the setting has a default (`price`), null is refused like any other wrong
 * value rather than silently resetting it.
 */
function patchSettings(current: unknown, patch: unknown): ConnectionSettings {
  const merged = mergeSettings(current, patch);
  const first = ConnectionSettings.safeParse(merged ?? {});
  if (first.success) return first.data;
  const removed = first.error.issues.map((i) => i.path).filter((p) => valueAt(patch, p) === null);
  if (removed.length === 0) throw zodToApiError(first.error, 'settings');
  const without = structuredClone(merged) as Record<string, unknown>;
  for (const p of removed) deleteAt(without, p);
  const second = ConnectionSettings.safeParse(without);
  if (!second.success || removed.some((p) => valueAt(second.data, p) !== undefined)) throw zodToApiError(first.error, 'settings');
  return second.data;
}

function valueAt(v: unknown, path: PropertyKey[]): unknown {
  let at = v;
  for (const k of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<PropertyKey, unknown>)[k];
  }
  return at;
}

function deleteAt(v: Record<string, unknown>, path: PropertyKey[]): void {
  const parent = valueAt(v, path.slice(0, -1));
  if (typeof parent === 'object' && parent !== null) delete (parent as Record<PropertyKey, unknown>)[path[path.length - 1]];
}

export function loadRow(hub: Hub, row: ConnectionRow): LoadedConnection {
  const secret = row.secrets ? hub.secrets.decrypt<Record<string, unknown>>(row.secrets) : {};
  return {
    id: row.id, name: row.name, kind: row.kind, paused: row.paused, clocks: row.clocks,
    config: { ...row.config, ...secret },
    settings: parseStoredSettings(row.settings),
  };
}

export async function createConnection(hub: Hub, input: { name?: unknown; kind?: unknown; config?: unknown; settings?: unknown }) {
  if (typeof input.name !== 'string' || input.name.trim() === '') throw ApiError.badRequest('name: required, a non-empty string', 'name');
  checkInputText({ name: input.name, config: input.config, settings: input.settings });
  if (typeof input.kind !== 'string') throw ApiError.badRequest(`kind: required, one of ${connectorKinds().join(', ')}`, 'kind');
  const def = getConnectorDefinition(input.kind);
  const given = def && typeof input.config === 'object' && input.config !== null && !Array.isArray(input.config)
    ? takeUrlCredentials(def, input.config as Record<string, unknown>) : input.config;
  const config = validateConfig(input.kind, given);
  await checkReach(hub, input.kind, config);
  const defaults = getConnectorDefinition(input.kind)!.defaultSettings?.(config) ?? {};
  const settings = validateSettings(mergeSettings(defaults, input.settings ?? {}));
  const { plain, secret } = splitSecrets(input.kind, config);
  const [row] = await hub.db.rows<ConnectionRow>(sql`
    insert into connections (name, kind, config, secrets, settings)
    values (${input.name.trim()}, ${input.kind}, ${JSON.stringify(plain)}::jsonb, ${hub.secrets.encrypt(secret)},
            ${JSON.stringify(settings)}::jsonb)
    returning *`);
  hub.events.emit('connection', { id: row.id });
  return loadRow(hub, row);
}

export async function getConnectionRow(hub: Hub, id: string): Promise<ConnectionRow | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  const [row] = await hub.db.rows<ConnectionRow>(sql`select * from connections where id = ${id}`);
  return row ?? null;
}

export async function getConnection(hub: Hub, id: string): Promise<LoadedConnection> {
  const row = await getConnectionRow(hub, id);
  if (!row) throw ApiError.notFound(`connection ${id} not found`);
  return loadRow(hub, row);
}

/**
 * `all` with each connection's settings as they are now, read in this transaction and held
 * (FOR SHARE: a settings change waits until it commits, and its replan runs after). A job
 * loads its connections once; planning with settings changed since would overwrite the
 * background replan of those settings with the old ones.
 */
export async function withCurrentSettings(db: Database, tx: Orm, all: LoadedConnection[]): Promise<LoadedConnection[]> {
  const rows = await db.rows<{ id: string; settings: unknown }>(sql`select id, settings from connections
    where id = any(${uuidArray(all.map((c) => c.id))}) for share`, tx);
  const now = new Map(rows.map((r) => [r.id, r.settings]));
  return all.filter((c) => now.has(c.id)).map((c) => ({ ...c, settings: parseStoredSettings(now.get(c.id)) }));
}

export async function listConnections(hub: Hub): Promise<LoadedConnection[]> {
  const rows = await hub.db.rows<ConnectionRow>(sql`select * from connections order by created_at, id`);
  return rows.map((r) => loadRow(hub, r));
}

export async function updateConnection(hub: Hub, id: string, patch: { name?: unknown; config?: unknown; settings?: unknown }) {
  const current = await getConnection(hub, id);
  if (patch.name !== undefined && (typeof patch.name !== 'string' || patch.name.trim() === '')) {
    throw ApiError.badRequest('name: must be a non-empty string', 'name');
  }
  checkInputText({ name: patch.name, config: patch.config, settings: patch.settings });
  if (patch.config !== undefined && (typeof patch.config !== 'object' || patch.config === null)) {
    throw ApiError.badRequest('config: must be an object', 'config');
  }
  const def = getConnectorDefinition(current.kind)!;
  const given = patch.config === undefined ? {} : takeUrlCredentials(def, patch.config as Record<string, unknown>);
  const config = patch.config === undefined ? current.config
    : validateConfig(current.kind, { ...current.config, ...given });
  if (patch.config !== undefined) {
    checkSecretsFollow(def, current.config, config, given);
    await checkReach(hub, current.kind, config);
  }
  const settings = patch.settings === undefined ? current.settings
    : patchSettings(current.settings, patch.settings);
  const { plain, secret } = splitSecrets(current.kind, config);
  const name = typeof patch.name === 'string' ? patch.name.trim() : current.name;
  await hub.db.rows(sql`
    update connections set name = ${name}, config = ${JSON.stringify(plain)}::jsonb,
      secrets = ${hub.secrets.encrypt(secret)}, settings = ${JSON.stringify(settings)}::jsonb, updated_at = now()
    where id = ${id}`);
  hub.events.emit('connection', { id });
  return { before: current, after: await getConnection(hub, id) };
}

export async function setPaused(hub: Hub, id: string, paused: boolean): Promise<LoadedConnection> {
  const rows = await hub.db.rows(sql`update connections set paused = ${paused}, updated_at = now() where id = ${id} returning id`);
  if (rows.length === 0) throw ApiError.notFound(`connection ${id} not found`);
  hub.events.emit('connection', { id, paused });
  return getConnection(hub, id);
}

export async function isPaused(hub: Hub, id: string): Promise<boolean> {
  const [row] = await hub.db.rows<{ paused: boolean }>(sql`select paused from connections where id = ${id}`);
  return row?.paused ?? true;
}

/** Counts for the API and the panel: equivalences by status and pending changes by op. */
export async function connectionCounts(hub: Hub, id: string) {
  const eq = await hub.db.rows<{ status: string; n: number }>(sql`
    select status, count(*)::int as n from equivalences where connection_id = ${id} group by status`);
  const pend = await hub.db.rows<{ op: string; n: number }>(sql`
    select op, count(*)::int as n from pending_changes where connection_id = ${id} group by op`);
  const issues = await hub.db.rows<{ n: number }>(sql`
    select count(*)::int as n from issues where connection_id = ${id} and resolved_at is null and severity <> 'notice'`);
  const equivalences: Record<string, number> = Object.fromEntries(eq.map((r) => [r.status, r.n]));
  // Products an absorbing connection is owed are stored only by its send: counted as the planned creates they are.
  const unplanned = await unplannedCount(hub.db, id);
  if (unplanned > 0) equivalences.pending_insert = (equivalences.pending_insert ?? 0) + unplanned;
  const inserts = (pend.find((r) => r.op === 'insert')?.n ?? 0) + unplanned;
  const updates = pend.find((r) => r.op === 'update')?.n ?? 0;
  return { equivalences, pending: { inserts, updates, total: inserts + updates }, openIssues: issues[0]?.n ?? 0 };
}

/** The public view of a connection: secrets are shown only as the custom key (the merchant must copy it). */
export function publicConnection(c: LoadedConnection) {
  const def = getConnectorDefinition(c.kind);
  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.config)) {
    // An address stored before credentials were kept out of addresses is shown without them.
    config[k] = def?.secretFields.includes(k) && k !== 'key' ? '********' : isAddress(v) ? redactUrl(v) : v;
  }
  return {
    id: c.id, name: c.name, kind: c.kind, config, settings: c.settings, clocks: c.clocks,
    paused: c.paused,
  };
}
