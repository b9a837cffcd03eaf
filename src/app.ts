import { EventEmitter } from 'node:events';
import path from 'node:path';
import crypto from 'node:crypto';
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { openDatabase, type Database } from './db/index.js';
import { SecretBox } from './secrets.js';
import { processOwner, type Hub } from './hub.js';
import { JobQueue } from './jobs/queue.js';
import { Scheduler, type SchedulerOptions } from './jobs/scheduler.js';
import { buildServer } from './http/server.js';
import { tokensStored } from './http/auth.js';
import { isLoopbackHost, parseHostnames } from './http/access.js';
import { Reach, attachReach, allowPrivateFromEnv, defaultImportDir } from './connectors/reach.js';

export interface HubOptions {
  port?: number;
  /** Where the API listens. Default: 0.0.0.0 when an API token exists, else 127.0.0.1 (a hub without a token never listens beyond loopback). */
  host?: string;
  /** CHANNELSYNC_HOSTNAMES: names the hub is reached by, besides localhost and IP addresses ('*': any). */
  hostnames?: string[];
  /** Embedded database folder (default ./data); ignored for the database when databaseUrl is set. */
  dataDir?: string;
  databaseUrl?: string;
  adminToken?: string;
  /** Local workers (0 = API only). */
  workers?: number;
  /** Serve the HTTP API (false = worker only). */
  api?: boolean;
  logger?: Logger;
  httpLog?: boolean;
  /** Embedded database only: start from this dump (tests clone a migrated database this way). */
  loadDataDir?: Blob;
  /** The only folder feed files are read from (default CHANNELSYNC_IMPORT_DIR, else <dataDir>/imports, else ./data/imports). */
  importDir?: string;
  /** Connections may reach loopback and private-network addresses (default CHANNELSYNC_ALLOW_PRIVATE_TARGETS). */
  allowPrivateTargets?: boolean;
  /** The scheduler of processes that run jobs; false: none (CHANNELSYNC_SCHEDULER=off). */
  schedule?: SchedulerOptions | false;
}

export interface RunningHub {
  hub: Hub;
  queue: JobQueue;
  /** Starts scheduled jobs; null in a process without workers. */
  scheduler: Scheduler | null;
  app: FastifyInstance | null;
  url: string | null;
  /** The address the API listens on (host:port), e.g. 0.0.0.0:8080 for every interface. */
  listening: string | null;
  /** No API token exists: the API is open, and only on loopback. */
  open: boolean;
  close(): Promise<void>;
}

/** Reads the settings of SPEC section 9 from the environment. */
export function optionsFromEnv(env = process.env): HubOptions {
  return {
    port: env.PORT ? Number(env.PORT) : 8080,
    host: env.HOST || undefined,
    hostnames: parseHostnames(env.CHANNELSYNC_HOSTNAMES),
    dataDir: env.CHANNELSYNC_DATA ?? './data',
    databaseUrl: env.DATABASE_URL || undefined,
    adminToken: env.CHANNELSYNC_TOKEN || undefined,
    workers: env.CHANNELSYNC_WORKERS ? Number(env.CHANNELSYNC_WORKERS) : 4,
    ...(env.CHANNELSYNC_SCHEDULER === 'off' ? { schedule: false as const } : {}),
  };
}

/** Opens the database and starts workers and the API: everything `npm start` runs. */
export async function startHub(opts: HubOptions): Promise<RunningHub> {
  const log = opts.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'info', redact: ['config.key', '*.key', 'secrets'] });
  const raw = opts.dataDir ?? './data';
  const inMemory = raw.startsWith('memory://');
  const dataDir = inMemory ? raw : path.resolve(raw);
  const db: Database = await openDatabase({ databaseUrl: opts.databaseUrl, dataDir, loadDataDir: opts.loadDataDir });
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const hub: Hub = { db, secrets: inMemory ? new SecretBox(process.env.CHANNELSYNC_SECRET ?? crypto.randomUUID()) : SecretBox.fromEnvironment(dataDir), log, events, owner: processOwner() };
  const reach = attachReach(hub, new Reach({
    allowPrivate: opts.allowPrivateTargets ?? allowPrivateFromEnv(),
    importDir: opts.importDir ?? defaultImportDir(process.env, opts.dataDir ?? './data'),
    // A hub whose data lives in memory (tests) makes no folder on disk unless told where.
    makeImportDir: !inMemory || opts.importDir !== undefined || !!process.env.CHANNELSYNC_IMPORT_DIR,
    // Its secret.key and database are never a feed, even with CHANNELSYNC_IMPORT_DIR set to a folder holding them.
    protect: inMemory ? [] : [dataDir],
  }));
  const queue = new JobQueue(hub);
  let app: FastifyInstance | null = null;
  let scheduler: Scheduler | null = null;
  try {
    // Without any token the API is open: it then listens on loopback only, and nowhere else.
    const hasToken = opts.api !== false && (!!opts.adminToken || await tokensStored(db));
    const host = opts.host ?? (hasToken ? '0.0.0.0' : '127.0.0.1');
    if (opts.api !== false && !hasToken && !isLoopbackHost(host)) {
      throw new Error(`HOST=${host} would open the admin API to the network, but no API token exists. `
        + 'Set CHANNELSYNC_TOKEN to a long random secret, or start the hub without HOST (it then listens on 127.0.0.1 only), '
        + 'create a token with `channelsync token create`, and start it again with HOST set.');
    }
    await queue.start({ workers: opts.workers ?? 4 });
    if ((opts.workers ?? 4) > 0 && opts.schedule !== false) {
      scheduler = new Scheduler(hub, queue, opts.schedule ?? {});
      scheduler.start();
    }
    let url: string | null = null;
    let listening: string | null = null;
    if (opts.api !== false) {
      app = await buildServer({ hub, queue, adminToken: opts.adminToken, logger: opts.httpLog, openWhenNoToken: isLoopbackHost(host), hostnames: opts.hostnames });
      const address = await app.listen({ port: opts.port ?? 8080, host });
      const bound = app.server.address();
      if (bound && typeof bound === 'object') listening = bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`;
      // Connections may never point at the hub's own API.
      for (const a of app.addresses()) if (typeof a === 'object') reach.addSelf(a.address, a.port);
      url = address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '127.0.0.1');
    }
    let closed = false;
    return {
      hub, queue, scheduler, app, url, listening, open: opts.api !== false && !hasToken,
      async close() {
        if (closed) return;
        closed = true;
        await scheduler?.stop();
        await app?.close();
        await queue.stop();
        await reach.close();
        await db.close();
      },
    };
  } catch (err) {
    await scheduler?.stop().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await queue.stop().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw err;
  }
}
