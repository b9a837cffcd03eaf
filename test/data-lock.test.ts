import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireDataLock, DataDirInUseError, currentHolder, formatHolder, processStartTime } from '../src/db/lock.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const linux = fs.existsSync('/proc/self/stat');

/** A process that takes the lock of `dir` and holds it until killed. */
async function holder(dir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/fixtures/hold-data-lock.ts'), dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => { out += d; if (out.includes('LOCKED')) resolve(); });
    child.stderr!.on('data', (d) => { out += d; });
    child.once('exit', (code) => reject(new Error(`the lock holder exited (${code}): ${out}`)));
  });
  return child;
}

describe('the embedded database lock', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const dir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-lock-'));
    dirs.push(d);
    return d;
  };
  const lockFile = (d: string) => path.join(d, 'channelsync.lock');
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it.runIf(linux)('a lock with our own pid but another start (a restarted container\'s pid 1) is taken over', () => {
    const d = dir();
    const me = currentHolder();
    expect(me.start).toMatch(/^\d+$/);
    fs.writeFileSync(lockFile(d), formatHolder({ ...me, start: String(Number(me.start) - 1) }));
    const lock = acquireDataLock(d);
    expect(fs.readFileSync(lockFile(d), 'utf8')).toBe(formatHolder(me));
    lock.release();
    expect(fs.existsSync(lockFile(d))).toBe(false);
  });

  it.runIf(linux)('an older lock holding our pid alone is taken over; one of an earlier boot too', () => {
    const d = dir();
    fs.writeFileSync(lockFile(d), String(process.pid));
    acquireDataLock(d).release();
    const me = currentHolder();
    fs.writeFileSync(lockFile(d), formatHolder({ ...me, boot: '00000000-0000-0000-0000-000000000000' }));
    acquireDataLock(d).release();
  });

  it('the same process taking it twice is refused', () => {
    const d = dir();
    const lock = acquireDataLock(d);
    expect(() => acquireDataLock(d)).toThrow(DataDirInUseError);
    lock.release();
  });

  it('a lock held by another live process is refused with a clear message; once that process is killed it is taken over', async () => {
    const d = dir();
    const child = await holder(d);
    children.push(child);
    let err: unknown;
    try { acquireDataLock(d); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(DataDirInUseError);
    expect((err as Error).message).toBe(
      `The data folder ${path.resolve(d)} is already in use by process ${child.pid}. The embedded database can be opened by one process only: ` +
      'stop the other hub, use another CHANNELSYNC_DATA folder, or set DATABASE_URL to share a PostgreSQL server.');
    // Killed: its lock stays behind, naming a process that is gone.
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(fs.readFileSync(lockFile(d), 'utf8').split(' ')[0]).toBe(String(child.pid));
    acquireDataLock(d).release();
  });

  it.runIf(linux)('a lock naming a live pid that is another process now (pid reused) is taken over', async () => {
    const d = dir();
    const other = dir();
    const child = await holder(other);
    children.push(child);
    const start = processStartTime(child.pid!);
    expect(start).toMatch(/^\d+$/);
    fs.writeFileSync(lockFile(d), formatHolder({ pid: child.pid!, start: String(Number(start) + 7), boot: currentHolder().boot }));
    acquireDataLock(d).release();
    // With its real start time it is the live holder.
    fs.writeFileSync(lockFile(d), formatHolder({ pid: child.pid!, start, boot: currentHolder().boot }));
    expect(() => acquireDataLock(d)).toThrow(DataDirInUseError);
  });
});
