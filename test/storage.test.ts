import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/index.js';
import { DataDirInUseError } from '../src/db/lock.js';
import { SecretBox } from '../src/secrets.js';
import { createConnection, getConnection } from '../src/engine/connections.js';
import type { Hub } from '../src/hub.js';
import { DATABASES, freshDatabase, openTestDatabase } from './helpers/hub.js';

describe('the embedded database folder', () => {
  const dirs: string[] = [];
  const open: Database[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-lock-'));
    dirs.push(d);
    return d;
  };
  afterEach(async () => {
    for (const db of open.splice(0)) await db.close().catch(() => undefined);
  });
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('can be opened by one process only: a second open fails with a clear error; after close it opens again with the data', async () => {
    const dir = tmp();
    const first = await openDatabase({ dataDir: dir, loadDataDir: (await freshDatabase('pglite')).loadDataDir });
    open.push(first);
    await first.rows(sql`insert into api_tokens (name, hash) values ('kept', 'h1')`);
    const second = openDatabase({ dataDir: dir });
    await expect(second).rejects.toBeInstanceOf(DataDirInUseError);
    const err = (await second.catch((e: unknown) => e)) as DataDirInUseError;
    expect(err.message).toContain(path.resolve(dir));
    expect(err.message).toContain(`process ${process.pid}`);
    expect(err.message).toMatch(/CHANNELSYNC_DATA/);
    expect(err.pid).toBe(process.pid);

    await first.close();
    open.pop();
    expect(fs.existsSync(path.join(dir, 'channelsync.lock'))).toBe(false);
    const reopened = await openDatabase({ dataDir: dir });
    open.push(reopened);
    expect(await reopened.rows(sql`select name from api_tokens`)).toEqual([{ name: 'kept' }]);
  });

  it('takes over a lock left by a process that no longer runs', async () => {
    const dir = tmp();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    expect(deadPid).toBeGreaterThan(0);
    fs.writeFileSync(path.join(dir, 'channelsync.lock'), String(deadPid));
    const db = await openDatabase({ dataDir: dir, loadDataDir: (await freshDatabase('pglite')).loadDataDir });
    open.push(db);
    expect(fs.readFileSync(path.join(dir, 'channelsync.lock'), 'utf8').split(' ')[0]).toBe(String(process.pid));
  });

  it('takes over an unreadable lock file', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'channelsync.lock'), 'not a pid');
    const db = await openDatabase({ dataDir: dir, loadDataDir: (await freshDatabase('pglite')).loadDataDir });
    open.push(db);
    expect(fs.readFileSync(path.join(dir, 'channelsync.lock'), 'utf8').split(' ')[0]).toBe(String(process.pid));
  });
});

describe.each(DATABASES)('storage (%s)', (kind) => {
  let db: Database;
  let drop: () => Promise<void>;
  let hub: Hub;
  beforeAll(async () => {
    ({ db, drop } = await openTestDatabase(kind));
    hub = { db, secrets: new SecretBox('storage-test-secret'), log: pino({ level: 'silent' }), events: new EventEmitter(), owner: 'test' };
  });
  afterAll(async () => { await drop?.(); });

  it('stores credentials encrypted: the custom key is not in the connections table in plain text', async () => {
    const key = 'very-secret-key-7f3a9c1e';
    const c = await createConnection(hub, { name: 'Secretive', kind: 'custom', config: { productsUrl: 'http://127.0.0.1:1/api/product', ordersUrl: 'http://127.0.0.1:1/api/order', key } });
    const [row] = await db.rows<Record<string, unknown>>(sql`select * from connections where id = ${c.id}`);
    expect(JSON.stringify(row)).not.toContain(key);
    expect(row.config).not.toHaveProperty('key');
    expect(row.secrets).toMatch(/^v1\./);
    const [{ dump }] = await db.rows<{ dump: string }>(sql`select string_agg(c::text, '|') as dump from connections c`);
    expect(dump).not.toContain(key);
    expect((await getConnection(hub, c.id)).config.key).toBe(key);
    // Another secret cannot read it, and says why.
    const other = { ...hub, secrets: new SecretBox('another-secret') };
    await expect(getConnection(other, c.id)).rejects.toThrow(/CHANNELSYNC_SECRET/);
  });

  it('returns int8, count and numeric as numbers', async () => {
    const [row] = await db.rows<Record<string, unknown>>(sql`
      select count(*) as n, 9007199254740::int8 as big, 12.50::numeric as dec, sum(x)::int8 as total, 7::int4 as small
      from generate_series(1, 3) as x`);
    expect(row).toEqual({ n: 3, big: 9007199254740, dec: 12.5, total: 6, small: 7 });
    await db.rows(sql`insert into record_history (record_id, field, source_type) values (gen_random_uuid(), 'title', 'user')`);
    const [h] = await db.rows<{ id: unknown }>(sql`select id from record_history order by id desc limit 1`);
    expect(typeof h.id).toBe('number');
  });

  it('refuses a second equivalence of one external id on a connection', async () => {
    const c = await createConnection(hub, { name: 'Unique', kind: 'custom', config: { productsUrl: 'http://127.0.0.1:1/p', ordersUrl: 'http://127.0.0.1:1/o', key: 'unique-key-123' } });
    const [r1] = await db.rows<{ id: string }>(sql`insert into records (entity, sku, data) values ('product', 'U-1', '{}') returning id`);
    const [r2] = await db.rows<{ id: string }>(sql`insert into records (entity, sku, data) values ('product', 'U-2', '{}') returning id`);
    await db.rows(sql`insert into equivalences (connection_id, record_id, entity, external_id, status) values (${c.id}, ${r1.id}, 'product', 'ext-1', 'live')`);
    await expect(db.rows(sql`insert into equivalences (connection_id, record_id, entity, external_id, status) values (${c.id}, ${r2.id}, 'product', 'ext-1', 'live')`))
      .rejects.toThrow();
    // A transaction that fails leaves nothing behind.
    await expect(db.tx(async (tx) => {
      await db.rows(sql`insert into equivalences (connection_id, record_id, entity, external_id, status) values (${c.id}, ${r2.id}, 'product', 'ext-2', 'live')`, tx);
      await db.rows(sql`insert into equivalences (connection_id, record_id, entity, external_id, status) values (${c.id}, ${r2.id}, 'product', 'ext-1', 'live')`, tx);
    })).rejects.toThrow();
    expect(await db.rows(sql`select external_id from equivalences where connection_id = ${c.id} order by external_id`)).toEqual([{ external_id: 'ext-1' }]);
  });
});
