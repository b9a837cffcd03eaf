/**
 * The hub of the convergence world runs in a child process, so it can be killed with
 * SIGKILL (kill -9) in the middle of its jobs and started again on the same data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshDatabase, pgliteSnapshotFile, type DbKind } from '../helpers/hub.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface HubApi {
  url: string;
  api<T = any>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }>;
}

/** One database and data folder, and the hub process currently running on them. */
export class HubHost implements HubApi {
  url = '';
  private child: ChildProcess | null = null;
  private exited: Promise<unknown> = Promise.resolve();
  /** The tail of the hub's stderr (its error log), for failure reports. */
  stderrTail = '';
  generation = 0;

  private constructor(
    readonly kind: DbKind,
    readonly dataDir: string,
    private readonly env: Record<string, string>,
    private readonly drop: () => Promise<void>,
  ) {}

  static async create(kind: DbKind): Promise<HubHost> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-conv-'));
    const db = kind === 'postgres' ? await freshDatabase('postgres') : null;
    const env: Record<string, string> = {
      CHANNELSYNC_DATA: dataDir,
      CHANNELSYNC_ALLOW_PRIVATE_TARGETS: '1',
      CHANNELSYNC_SCHEDULER: 'off',
      CHANNELSYNC_WORKERS: '3',
      ...(db?.url ? { DATABASE_URL: db.url } : { CHANNELSYNC_TEST_SNAPSHOT: await pgliteSnapshotFile() }),
    };
    return new HubHost(kind, dataDir, env, async () => {
      await db?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/fixtures/hub-process.ts')], {
      cwd: ROOT, env: { ...process.env, PORT: '0', LOG_LEVEL: 'error', ...this.env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.generation++;
    child.stderr!.on('data', (d) => { this.stderrTail = (this.stderrTail + d).slice(-4000); });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    this.exited = exited;
    this.url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        const m = out.match(/HUB_URL (\S+)/);
        if (m) resolve(m[1]);
      });
      void exited.then(() => reject(new Error(`the hub process exited before listening: ${this.stderrTail}`)));
    });
  }

  /** kill -9: no shutdown, no cleanup, jobs cut wherever they are. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await this.exited;
    this.child = null;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
    this.child = null;
  }

  async dispose(): Promise<void> {
    await this.kill();
    await this.drop().catch(() => undefined);
  }

  async api<T = any>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(this.url + p, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed as T };
  }
}
