/** The panel's only way to the hub: its public HTTP API. */

export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
export type JobType = 'fetch' | 'send' | 'sync';

export interface Job {
  id: string;
  type: JobType | string;
  connectionId: string | null;
  state: JobState;
  phase: string | null;
  done: number;
  total: number | null;
  summary: Record<string, Record<string, unknown>> | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface FieldMode { detect: boolean; write: boolean }

export interface Settings {
  absorb: { products: boolean; orders: boolean };
  fields: Record<string, FieldMode | undefined>;
  price: { marginPercent: number; add: number; round: 'none' | 'cents99' | 'integer' };
  stock: { buffer: number; max: number | null };
  [key: string]: unknown;
}

export interface Connection {
  id: string;
  name: string;
  kind: string;
  config: Record<string, unknown>;
  settings: Settings;
  clocks: Record<string, unknown>;
  paused: boolean;
  state: 'idle' | 'fetching' | 'sending' | 'syncing' | 'paused' | string;
  equivalences: Record<string, number>;
  pending: { inserts: number; updates: number; total: number };
  openIssues: number;
  jobs: Job[];
  /** When its scheduled jobs run next (absent on hubs without schedules). */
  schedule?: { enabled: boolean; entries: Array<{ name: string; nextRunAt: string | null; lastRunAt: string | null }> };
}

export type EquivalenceStatus = 'live' | 'pending_insert' | 'pending_update' | 'gone' | 'error' | string;

export interface ListEquivalence {
  connectionId: string;
  externalId: string | null;
  status: EquivalenceStatus;
  issues?: number;
  removals?: number | boolean;
}

export interface RecordItem {
  id: string;
  equivalences: ListEquivalence[];
  createdAt?: string;
  updatedAt?: string;
  [key: string]: unknown;
}

export interface Page<T> { items: T[]; total: number; nextCursor: string | null }

export interface Change {
  field: string;
  path: string;
  kind: 'insert' | 'update' | 'remove' | string;
  old: unknown;
  new: unknown;
}

export interface Issue {
  id: string;
  severity: 'error' | 'warning' | 'notice' | string;
  code: string;
  message: string;
  recordId: string | null;
  connectionId: string | null;
  externalId?: string | null;
  createdAt?: string;
}

export interface DetailEquivalence {
  /** null for a create an absorbing connection is owed and its send has not stored yet. */
  id: string | null;
  connectionId: string;
  externalId: string | null;
  status: EquivalenceStatus;
  lastSeenAt: string | null;
  acknowledged: Record<string, unknown> | null;
  pending: { op: string; changes: Change[]; attempts: number; lastError: string | null } | null;
  issues: Issue[];
}

export interface RecordDetail {
  id: string;
  sourceConnectionId?: string | null;
  equivalences: DetailEquivalence[];
  issues: Issue[];
  createdAt?: string;
  updatedAt?: string;
  [key: string]: unknown;
}

/** An error answer of the API: `{ error: { code, message, field? } }`, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly field?: string) {
    super(message);
    this.name = 'ApiError';
  }
  get missing(): boolean {
    return this.status === 404 && this.code === 'CS_NOT_FOUND' && this.message.startsWith('No route');
  }
}

const TOKEN_KEY = 'channelsync.token';

let token: string | null = readStoredToken();
const unauthorizedListeners = new Set<() => void>();

function readStoredToken(): string | null {
  try { return localStorage.getItem(TOKEN_KEY); } catch { return null; }
}

export function getToken(): string | null {
  return token;
}

export function setToken(next: string | null): void {
  token = next;
  try {
    if (next) localStorage.setItem(TOKEN_KEY, next);
    else localStorage.removeItem(TOKEN_KEY);
  } catch { /* private mode: the token lives for this tab only */ }
}

/** Called when a request with a token gets 401: the token was revoked or the hub restarted with another one. */
export function onUnauthorized(fn: () => void): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

/** One API call; throws ApiError with the hub's message (and the field it names) on any non-2xx answer. */
export async function api<T = unknown>(method: string, path: string, body?: unknown, opts: { token?: string | null } = {}): Promise<T> {
  const useToken = opts.token !== undefined ? opts.token : token;
  const headers: Record<string, string> = { accept: 'application/json' };
  // State-changing calls are JSON even without a body: a hub without a token refuses other kinds.
  if (body !== undefined || method !== 'GET') headers['content-type'] = 'application/json';
  if (useToken) headers.authorization = `Bearer ${useToken}`;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'CS_NETWORK', 'The hub cannot be reached. Is it running?');
  }
  const text = await res.text();
  let data: unknown = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string; field?: string } } | null)?.error;
    const e = new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? `The hub answered ${res.status} ${res.statusText}`, err?.field);
    if (res.status === 401 && opts.token === undefined && useToken) unauthorizedListeners.forEach((fn) => fn());
    throw e;
  }
  if (text && data === null) throw new ApiError(res.status, 'CS_NOT_JSON', `${method} ${path} did not answer JSON`);
  return data as T;
}

/** The same call, but a route the hub does not have yet answers `null` instead of throwing. */
export async function apiOptional<T>(method: string, path: string, body?: unknown): Promise<T | null> {
  try {
    return await api<T>(method, path, body);
  } catch (err) {
    if (err instanceof ApiError && (err.missing || err.status === 404 || err.status === 405)) return null;
    throw err;
  }
}

/**
 * The address of the live event stream. EventSource cannot send the token: the hub gives a
 * short-lived ticket (about a minute) good for opening event streams only.
 */
export async function eventsUrl(): Promise<string> {
  const { ticket } = await api<{ ticket: string; expiresAt: string }>('POST', '/api/events/ticket');
  return `/api/events?ticket=${encodeURIComponent(ticket)}`;
}

export const TERMINAL: JobState[] = ['completed', 'failed', 'cancelled'];
export const isTerminal = (s: string) => (TERMINAL as string[]).includes(s);
