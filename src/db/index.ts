import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import pg from 'pg';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase } from 'drizzle-orm/pg-core';
import { sql, type SQL } from 'drizzle-orm';
import * as schema from './schema.js';
import { acquireDataLock, type DataLock } from './lock.js';
import { Housekeeping } from './housekeeping.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MIGRATIONS = path.resolve(HERE, '../../drizzle');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Orm = PgDatabase<any, typeof schema>;

/** A database handle that is the same on PGlite and PostgreSQL. */
export interface Database {
  kind: 'pglite' | 'postgres';
  orm: Orm;
  /** Runs a parameterised drizzle `sql` query and returns its rows. */
  rows<T = Record<string, unknown>>(query: SQL, tx?: Orm): Promise<T[]>;
  /** Runs `fn` in one transaction. */
  tx<T>(fn: (tx: Orm) => Promise<T>): Promise<T>;
  /** What pg-boss needs: raw SQL with positional parameters. */
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  /** ANALYZE after bulk writes, and VACUUM on the embedded database, which has no autovacuum. */
  housekeeping: Housekeeping;
  /** PGlite only: the whole database as a tarball, to clone it quickly (tests). */
  dumpDataDir?(): Promise<Blob>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** postgres://... : use that server. Otherwise an embedded PGlite in `dataDir`. */
  databaseUrl?: string;
  /** Folder of the embedded database. `memory://` for a throwaway one. */
  dataDir?: string;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  /** PGlite only: load this data-dir dump instead of running initdb (fast test setup). */
  loadDataDir?: Blob | File;
}

const INT8 = 20;

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  const db = opts.databaseUrl ? await openPostgres(opts.databaseUrl) : await openPglite(opts);
  if (opts.migrate !== false) await migrateDatabase(db);
  return db;
}

async function openPglite(opts: OpenOptions): Promise<Database> {
  const dataDir = opts.dataDir ?? './data';
  let lock: DataLock | null = null;
  let dir: string | undefined;
  if (!dataDir.startsWith('memory://')) {
    fs.mkdirSync(dataDir, { recursive: true });
    lock = acquireDataLock(dataDir);
    dir = path.join(dataDir, 'pgdata');
    if (!fs.existsSync(path.join(dir, 'PG_VERSION')) && !opts.loadDataDir) {
      try {
        execFileSync(process.execPath, [path.join(HERE, 'initdb.mjs'), dir], { stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (err) {
        lock.release();
        throw new Error(`Could not create the embedded database in ${path.resolve(dir)}: ${(err as { stderr?: Buffer }).stderr?.toString() ?? err}`);
      }
    }
  }
  let client: PGlite;
  try {
    client = await PGlite.create({
      dataDir: dir,
      loadDataDir: opts.loadDataDir,
      // Laptop-sized: PGlite's memory is the hub process's, and WebAssembly memory never
      // shrinks, so what one query grows it to stays for the whole run. A 32 MB buffer pool;
      // ANALYZE samples 3,000 rows instead of 30,000 (rows holding product JSON: 30,000 of
      // them are some 45 MB, for no better plans on these keyed queries); VACUUM's work memory
      // at 16 MB. Measured at 40k products: peak RSS 418-464 -> 334-384 MB, and faster.
      postgresqlconf: [
        `shared_buffers = ${process.env.CHANNELSYNC_PGLITE_SHARED_BUFFERS ?? '32MB'}`,
        'default_statistics_target = 10',
        'maintenance_work_mem = 16MB',
      ],
      // count(*) and bigserial come back as numbers, as they do from node-postgres below.
      parsers: { [INT8]: (v: string) => Number(v), [pgliteTypes.NUMERIC]: (v: string) => Number(v) },
    });
  } catch (err) {
    lock?.release();
    throw err;
  }
  const orm = drizzlePglite(client, { schema }) as unknown as Orm;
  const db: Database = {
    kind: 'pglite',
    orm,
    async rows<T>(query: SQL, tx?: Orm) {
      const res = await (tx ?? orm).execute(query) as unknown as { rows: T[] };
      return res.rows;
    },
    tx: (fn) => orm.transaction(fn as never) as never,
    async executeSql(text, values) {
      if (values && values.length > 0) return client.query(text, values);
      const results = await client.exec(text);
      return { rows: results.length ? results[results.length - 1].rows : [] };
    },
    dumpDataDir: async () => client.dumpDataDir('none'),
    async close() {
      await client.close();
      lock?.release();
    },
    housekeeping: null as unknown as Housekeeping,
  };
  db.housekeeping = new Housekeeping(db);
  return db;
}

async function openPostgres(url: string): Promise<Database> {
  // drizzle passes its own per-query type parsers that fall back to the global ones,
  // so int8 and numeric are aligned with PGlite here, globally.
  pg.types.setTypeParser(INT8, (v: string) => Number(v));
  pg.types.setTypeParser(1700, (v: string) => Number(v));
  const pool = new pg.Pool({
    connectionString: url,
    max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
  });
  pool.on('error', () => { /* idle client errors surface on the next query */ });
  const orm = drizzlePg(pool, { schema }) as unknown as Orm;
  const db: Database = {
    kind: 'postgres',
    orm,
    async rows<T>(query: SQL, tx?: Orm) {
      const res = await (tx ?? orm).execute(query) as unknown as { rows: T[] };
      return res.rows;
    },
    tx: (fn) => orm.transaction(fn as never) as never,
    executeSql: (text, values) => pool.query(text, values as unknown[]),
    close: () => pool.end(),
    housekeeping: null as unknown as Housekeeping,
  };
  db.housekeeping = new Housekeeping(db);
  return db;
}

export async function migrateDatabase(db: Database): Promise<void> {
  if (db.kind === 'pglite') await migratePglite(db.orm as never, { migrationsFolder: MIGRATIONS });
  else {
    // Several processes may start at once against one server: migrate under an advisory lock.
    await db.orm.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(724001)`);
      await migratePg(tx as never, { migrationsFolder: MIGRATIONS });
    });
  }
}

export { sql };

/**
 * A list as one parameter, for `= any(...)`: sent as an array literal so it works the
 * same on PGlite and node-postgres, and the planner uses the indexes.
 */
export function textArray(list: readonly string[]): SQL {
  return sql`${arrayLiteral(list)}::text[]`;
}
export function uuidArray(list: readonly string[]): SQL {
  return sql`${arrayLiteral(list)}::uuid[]`;
}
function arrayLiteral(list: readonly string[]): string {
  return `{${list.map((s) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/**
 * The SQLSTATE of a database error (`23505` a unique violation...), wherever the driver
 * put it: the ORM wraps the driver's error (`err.cause.code`), and other layers may wrap
 * it again. Undefined for an error that did not come from the database.
 *
 * @example if (pgErrorCode(err) === '23505') { ... } // the row is there already
 */
export function pgErrorCode(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  for (let e = err; e && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** SQLSTATE 23505: the row is there already. */
export const UNIQUE_VIOLATION = '23505';
