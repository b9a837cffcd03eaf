import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface HubProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  api<T = any>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }>;
  waitJob(id: string, timeoutMs?: number): Promise<any>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** What it wrote to stdout and stderr so far. */
  output(): string;
}

/**
 * A whole hub in its own process (test/fixtures/hub-process.ts), so it can really be
 * killed; resolves once it listens, rejects (with its output) when it exits before.
 * Connections may reach the loopback storefronts of the test.
 */
export async function startHubProcess(env: Record<string, string>, opts: { startTimeoutMs?: number } = {}): Promise<HubProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/fixtures/hub-process.ts')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'error', CHANNELSYNC_ALLOW_PRIVATE_TARGETS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hub process did not listen within ${opts.startTimeoutMs ?? 60_000} ms: ${out}`));
    }, opts.startTimeoutMs ?? 60_000);
    child.stdout!.on('data', () => {
      const m = out.match(/HUB_URL (\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    exited.then((code) => { clearTimeout(timer); reject(new Error(`hub process exited (${code}) before listening: ${out}`)); });
  });
  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(url + p, {
      method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const waitJob = async (id: string, timeoutMs = 90_000) => {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
      const { body } = await api('GET', `/api/jobs/${id}`);
      if (['completed', 'failed', 'cancelled'].includes(body.state)) return body;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`job ${id} did not end within ${timeoutMs} ms`);
  };
  return { child, pid: child.pid!, url, api, waitJob, exited, output: () => out };
}

/** Kills a hub process with SIGKILL (or the given signal) and waits until it is gone. */
export async function killHub(p: HubProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  return p.exited;
}
