import pg from 'pg';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { openDatabase, type Database } from '../../src/db/index.js';
import { startHub, type HubOptions, type RunningHub } from '../../src/app.js';

/** Every storage and engine test runs on both: the embedded PGlite and the real PostgreSQL server. */
export const DATABASES = ['pglite', 'postgres'] as const;
export type DbKind = (typeof DATABASES)[number];

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the migrated snapshot is cached between test processes: keyed by the migrations and the PGlite version. */
function snapshotCacheFile(): string {
  const hash = crypto.createHash('sha1');
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  for (const file of walk(path.join(ROOT, 'drizzle')).sort()) hash.update(path.relative(ROOT, file)).update(fs.readFileSync(file));
  hash.update(fs.readFileSync(path.join(ROOT, 'node_modules/@electric-sql/pglite/package.json')));
  return path.join(ROOT, 'node_modules/.cache/channelsync-test', `pglite-${hash.digest('hex').slice(0, 16)}.tar`);
}

let snapshot: Promise<{ blob: Blob; file: string }> | null = null;
/**
 * A migrated PGlite database as a tarball: cloning it is 10x faster than initdb +
 * migrations, and every test process (and a hub child process) reuses the one on disk.
 */
function pgliteSnapshotEntry(): Promise<{ blob: Blob; file: string }> {
  snapshot ??= (async () => {
    const file = snapshotCacheFile();
    if (fs.existsSync(file)) return { blob: new Blob([fs.readFileSync(file)]), file };
    const db = await openDatabase({ dataDir: 'memory://' });
    const blob = await db.dumpDataDir!();
    await db.close();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Several test processes may build it at once: each writes its own file, the rename is atomic.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, Buffer.from(await blob.arrayBuffer()));
    fs.renameSync(tmp, file);
    return { blob, file };
  })();
  return snapshot;
}

function pgliteSnapshot(): Promise<Blob> {
  return pgliteSnapshotEntry().then((s) => s.blob);
}

/** The migrated snapshot as a file, for a hub started in another process (CHANNELSYNC_TEST_SNAPSHOT). */
export function pgliteSnapshotFile(): Promise<string> {
  return pgliteSnapshotEntry().then((s) => s.file);
}

/** A fresh, empty, migrated database of the given kind; `drop()` removes it. */
export async function freshDatabase(kind: DbKind): Promise<{ url?: string; loadDataDir?: Blob; drop(): Promise<void> }> {
  if (kind === 'pglite') return { loadDataDir: await pgliteSnapshot(), drop: async () => {} };
  const name = `cs_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export async function openTestDatabase(kind: DbKind): Promise<{ db: Database; drop(): Promise<void> }> {
  const fresh = await freshDatabase(kind);
  const db = await openDatabase(fresh.url ? { databaseUrl: fresh.url } : { dataDir: 'memory://', loadDataDir: fresh.loadDataDir });
  return { db, drop: async () => { await db.close(); await fresh.drop(); } };
}

export interface TestHub {
  running: RunningHub;
  url: string;
  api<T = any>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }>;
  /** Starts a job and waits for it to end; returns the final job. */
  run(type: 'fetch' | 'send' | 'sync', connectionId: string): Promise<any>;
  waitJob(jobId: string, timeoutMs?: number): Promise<any>;
  close(): Promise<void>;
}

/** Starts a whole hub (database, workers, HTTP API on a random loopback port) on a fresh database. */
export async function startTestHub(kind: DbKind, opts: Partial<HubOptions> = {}): Promise<TestHub> {
  const fresh = await freshDatabase(kind);
  const running = await startHub({
    port: 0, host: '127.0.0.1', workers: 2, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...(fresh.url ? { databaseUrl: fresh.url, dataDir: 'memory://' } : { dataDir: 'memory://' }),
    ...opts,
    ...(fresh.loadDataDir ? { loadDataDir: fresh.loadDataDir } : {}),
  } as HubOptions);
  const url = running.url!;
  const api = async (method: string, path: string, body?: unknown, token?: string) => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const waitJob = async (jobId: string, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { body } = await api('GET', `/api/jobs/${jobId}`, undefined, opts.adminToken);
      if (['completed', 'failed', 'cancelled'].includes(body.state)) return body;
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${body.state} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return {
    running, url, api, waitJob,
    async run(type, connectionId) {
      const res = await api('POST', `/api/connections/${connectionId}/${type}`, undefined, opts.adminToken);
      if (res.status !== 202) throw new Error(`${type} answered ${res.status}: ${JSON.stringify(res.body)}`);
      return waitJob(res.body.jobId);
    },
    async close() {
      await running.close();
      await fresh.drop();
    },
  };
}
