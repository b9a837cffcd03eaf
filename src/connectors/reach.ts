import dns from 'node:dns';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, interceptors, type Dispatcher } from 'undici';
import { ConnectorError } from './types.js';

/*
 * What a connection may reach: the one place that decides which addresses the hub's
 * outbound requests may connect to, and which files a feed may read.
 *
 * Addresses (checked on every address a host name resolves to, when the connection is
 * made, and again for every redirect, which opens a new connection through the same check):
 * - always refused: link-local (169.254.0.0/16, fe80::/10) where cloud metadata services
 *   answer with instance credentials, the metadata addresses fd00:ec2::254 and
 *   100.100.100.200, unspecified (0.0.0.0/8, ::), multicast, broadcast and reserved
 *   ranges, IPv6 forms embedding any of these (::ffff:169.254.169.254, NAT64, 6to4),
 *   and the hub's own API (its listening port on this machine);
 * - private networks (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) and loopback
 *   (127/8, ::1): only when CHANNELSYNC_ALLOW_PRIVATE_TARGETS=1 (or the hub option);
 * - everything else (the public internet): allowed.
 * Files: a feed reads only files whose real path (symlinks resolved) is inside the import
 * folder, CHANNELSYNC_IMPORT_DIR (default <CHANNELSYNC_DATA>/imports).
 */

/** A name resolver: every address of a host name. Tests pass their own to simulate DNS. */
export type LookupAll = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export interface ReachOptions {
  /** Loopback and private-network addresses may be reached (CHANNELSYNC_ALLOW_PRIVATE_TARGETS). */
  allowPrivate?: boolean;
  /** The only folder feed files are read from (made when missing). */
  importDir?: string;
  lookup?: LookupAll;
  /** Make the import folder when it is missing (the hub does at start). */
  makeImportDir?: boolean;
  /** Folders no feed file may come from even inside the import folder (the hub's data folder: its secret.key, its database). */
  protect?: string[];
}

/** Never a feed file, whatever the import folder: the process's and the kernel's own views. */
const ALWAYS_PROTECTED = ['/proc', '/sys', '/dev'];

/** Why an address is refused, or null when it may be reached. */
type Verdict = { always: boolean; why: string } | null;

const METADATA = new Set(['100.100.100.200', 'fd00:ec2::254', '192.0.0.192']);
const ALWAYS_V4: Record<string, string> = {
  linkLocal: 'a link-local address, where cloud servers answer with their own credentials (instance metadata)',
  unspecified: 'not the address of any server (0.0.0.0/8)',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
};
const ALWAYS_V6: Record<string, string> = {
  linkLocal: 'a link-local address, where cloud servers answer with their own credentials (instance metadata)',
  unspecified: 'not the address of any server (::)',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
  discard: 'a reserved address',
  deprecatedSiteLocal: 'a site-local address',
};
const PRIVATE_V4 = new Set(['loopback', 'private', 'carrierGradeNat']);
const PRIVATE_V6 = new Set(['loopback', 'uniqueLocal']);

function parse(address: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!ipaddr.isValid(bare)) return null;
  let ip: ipaddr.IPv4 | ipaddr.IPv6 = ipaddr.process(bare); // ::ffff:a.b.c.d becomes a.b.c.d
  if (ip.kind() === 'ipv6') {
    const v6 = ip as ipaddr.IPv6;
    const range = v6.range();
    const bytes = v6.toByteArray();
    // Forms that carry an IPv4 address inside: judged as that address.
    if (range === 'rfc6052' || range === 'rfc6145') ip = ipaddr.fromByteArray(bytes.slice(12)) as ipaddr.IPv4;
    else if (range === '6to4') ip = ipaddr.fromByteArray(bytes.slice(2, 6)) as ipaddr.IPv4;
    else if (bytes.slice(0, 12).every((b) => b === 0) && !['unspecified', 'loopback'].includes(range)) {
      ip = ipaddr.fromByteArray(bytes.slice(12)) as ipaddr.IPv4; // ::a.b.c.d (IPv4-compatible)
    }
  }
  return ip;
}

/** The policy of one hub: which addresses its connections may reach and where feed files come from. */
export class Reach {
  readonly allowPrivate: boolean;
  readonly importDir: string;
  private readonly lookupAll: LookupAll;
  /** The hub's own listening sockets: host ('' for every interface) and port. */
  private readonly self: Array<{ host: string; port: number }> = [];
  private readonly dispatchers = new Map<string, Dispatcher>();
  private readonly protect: string[];

  constructor(opts: ReachOptions = {}) {
    this.allowPrivate = opts.allowPrivate ?? false;
    this.protect = [...ALWAYS_PROTECTED, ...(opts.protect ?? []).map((p) => path.resolve(p))];
    this.importDir = path.resolve(opts.importDir ?? defaultImportDir());
    this.lookupAll = opts.lookup ?? ((host) => dns.promises.lookup(host, { all: true, verbatim: true }));
    if (opts.makeImportDir) {
      try {
        fs.mkdirSync(this.importDir, { recursive: true });
      } catch {
        // Reported when a feed reads from it.
      }
    }
  }

  /** Records an address the hub's API listens on: connections may never point there. */
  addSelf(host: string, port: number): void {
    const h = host === '0.0.0.0' || host === '::' || host === '' ? '' : host.replace(/^\[|\]$/g, '');
    this.self.push({ host: h, port });
  }

  /**
   * Why the hub may not connect to `address` on `port`, or null when it may.
   *
   * @example
   * new Reach({ allowPrivate: true }).refusal('::ffff:169.254.169.254', 80) // 'a link-local address, where cloud servers …'
   */
  refusal(address: string, port: number): Verdict {
    const ip = parse(address);
    if (!ip) return { always: true, why: 'not an IP address' };
    const text = ip.toString();
    if (METADATA.has(text) || METADATA.has(address.toLowerCase())) return { always: true, why: 'a cloud metadata service, which hands out the server\'s own credentials' };
    if (this.isSelf(ip, port)) return { always: true, why: `this hub's own API (port ${port}); a connection may not point at the hub itself` };
    const range = ip.range();
    if (ip.kind() === 'ipv4') {
      if (ALWAYS_V4[range]) return { always: true, why: ALWAYS_V4[range] };
      if (PRIVATE_V4.has(range)) return this.allowPrivate ? null : { always: false, why: range === 'loopback' ? 'this machine (loopback)' : 'a private network address' };
    } else {
      if (ALWAYS_V6[range]) return { always: true, why: ALWAYS_V6[range] };
      if (PRIVATE_V6.has(range)) return this.allowPrivate ? null : { always: false, why: range === 'loopback' ? 'this machine (loopback)' : 'a private network address' };
    }
    return null;
  }

  private isSelf(ip: ipaddr.IPv4 | ipaddr.IPv6, port: number): boolean {
    if (this.self.length === 0) return false;
    const text = ip.toString();
    const local = ip.range() === 'loopback' || ip.range() === 'unspecified' || localAddresses().has(text);
    return this.self.some((s) => s.port === port && (local || (s.host !== '' && parse(s.host)?.toString() === text)));
  }

  /**
   * Why the hub would refuse an address whose host is an IP address (said when the
   * connection is saved), or null. Host names are judged when connecting: what they
   * resolve to may change.
   */
  addressRefusal(address: string): string | null {
    let url: URL;
    try {
      url = new URL(address);
    } catch {
      return null;
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (!net.isIP(host)) return null;
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    const verdict = this.refusal(host, port);
    return verdict ? refused(host, host, port, verdict).message : null;
  }

  /**
   * The addresses the hub may connect to for `host`:`port`: every address the name
   * resolves to must pass, else a config ConnectorError saying what was refused and why.
   */
  async resolve(host: string, port: number): Promise<string[]> {
    const bare = host.replace(/^\[|\]$/g, '');
    const addresses = net.isIP(bare) ? [bare] : (await this.lookupAll(bare)).map((a) => a.address);
    if (addresses.length === 0) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${bare}`), { code: 'ENOTFOUND', hostname: bare });
    for (const address of addresses) {
      const verdict = this.refusal(address, port);
      if (verdict) throw refused(bare, address, port, verdict);
    }
    return addresses;
  }

  /**
   * The undici dispatcher every outbound request of a connection goes through: each new
   * connection resolves its host, checks every address and connects to a checked one (no
   * second lookup an attacker's DNS could answer differently). `redirects` > 0 follows
   * that many redirects, each through the same check; 0 (the default) returns the 3xx.
   */
  dispatcher(opts: { connections?: number; redirects?: number } = {}): Dispatcher {
    const id = `${opts.connections ?? 32}/${opts.redirects ?? 0}`;
    let d = this.dispatchers.get(id);
    if (!d) {
      const agent = new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: opts.connections ?? 32, connect: this.connector() });
      d = opts.redirects ? agent.compose(interceptors.redirect({ maxRedirections: opts.redirects })) : agent;
      this.dispatchers.set(id, d);
    }
    return d;
  }

  /** Closes the connections kept open for reuse (the hub is stopping). */
  async close(): Promise<void> {
    const all = [...this.dispatchers.values()];
    this.dispatchers.clear();
    await Promise.all(all.map((d) => d.close().catch(() => undefined)));
  }

  private connector(): buildConnector.connector {
    const base = buildConnector({});
    return (opts, callback) => {
      const host = opts.hostname.replace(/^\[|\]$/g, '');
      const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
      this.resolve(host, port).then((addresses) => {
        // TLS still verifies the certificate against the name asked for.
        const servername = opts.servername || (net.isIP(host) ? undefined : host);
        const attempt = (i: number) => {
          base({ ...opts, hostname: addresses[i], port: String(port), ...(servername ? { servername } : {}) }, (err, socket) => {
            if (err && i + 1 < addresses.length && isConnectFailure(err)) attempt(i + 1);
            else if (err) callback(err, null);
            else callback(null, socket!);
          });
        };
        attempt(0);
      }, (err: Error) => callback(err, null));
    };
  }

  /**
   * The real path of a feed file, if the hub may read it: `source` resolved inside the
   * import folder (a relative path is taken from there), symlinks followed; refused
   * (a config ConnectorError) when it lands outside. A file that does not exist yet is
   * judged by the real path of its folder.
   */
  async importPath(source: string): Promise<string> {
    const root = await this.realImportDir();
    const wanted = path.resolve(this.importDir, source);
    let real: string;
    try {
      real = await fs.promises.realpath(wanted);
    } catch {
      real = await realpathOfParent(wanted);
    }
    if (!isInside(root, real) || (await this.isProtected(real))) throw outsideImportDir(source, this.importDir);
    return real;
  }

  /** Whether an already opened file (its real path read from the descriptor) is inside the import folder. */
  async insideImportDir(realPath: string): Promise<boolean> {
    return isInside(await this.realImportDir(), realPath) && !(await this.isProtected(realPath));
  }

  /**
   * A file of the hub's data folder (or /proc, /sys, /dev) is never read, even when the import
   * folder holds it; the default import folder, a folder of its own inside the data folder, is read.
   */
  private async isProtected(real: string): Promise<boolean> {
    const root = await this.realImportDir();
    for (const dir of this.protect) {
      const r = await fs.promises.realpath(dir).catch(() => dir);
      if (!(real === r || isInside(r, real))) continue;
      if (isInside(r, root) && isInside(root, real)) continue;
      return true;
    }
    return false;
  }

  private async realImportDir(): Promise<string> {
    try {
      return await fs.promises.realpath(this.importDir);
    } catch (err) {
      throw new ConnectorError('config',
        `The import folder ${this.importDir} does not exist and could not be made. Create it or set CHANNELSYNC_IMPORT_DIR.`, String(err));
    }
  }
}

/** The refusal of a feed file outside the import folder (the same sentence when configuring and when reading). */
export function outsideImportDir(source: string, importDir: string): ConnectorError {
  return new ConnectorError('config',
    `The feed file ${source} is outside the import folder: feed files are read only from ${importDir}; put the file there or set CHANNELSYNC_IMPORT_DIR.`,
    `refused file ${source}`);
}

function refused(host: string, address: string, port: number, verdict: { always: boolean; why: string }): ConnectorError {
  const target = host === address ? address : `${host} (${address})`;
  const how = verdict.always
    ? 'Such addresses are always refused.'
    : 'To let connections reach this machine or your private network, start the hub with CHANNELSYNC_ALLOW_PRIVATE_TARGETS=1.';
  const err = new ConnectorError('config', `The hub does not connect to ${target}, port ${port}: it is ${verdict.why}. ${how}`, `refused target ${address}:${port}`);
  (err as ConnectorError & { code: string }).code = 'CHANNELSYNC_REFUSED_TARGET';
  return err;
}

function isConnectFailure(err: Error): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL' || code === 'UND_ERR_CONNECT_TIMEOUT';
}

function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

async function realpathOfParent(file: string): Promise<string> {
  let dir = path.dirname(file);
  const rest = [path.basename(file)];
  for (;;) {
    try {
      return path.join(await fs.promises.realpath(dir), ...rest);
    } catch {
      const up = path.dirname(dir);
      if (up === dir) return file;
      rest.unshift(path.basename(dir));
      dir = up;
    }
  }
}

let interfaces: { at: number; set: Set<string> } | null = null;
/** This machine's own addresses (refreshed every minute): reaching one on the hub's port is reaching the hub. */
function localAddresses(): Set<string> {
  if (!interfaces || Date.now() - interfaces.at > 60_000) {
    const set = new Set<string>();
    for (const list of Object.values(os.networkInterfaces())) {
      for (const a of list ?? []) {
        const ip = parse(a.address);
        if (ip) set.add(ip.toString());
      }
    }
    interfaces = { at: Date.now(), set };
  }
  return interfaces.set;
}

/** CHANNELSYNC_ALLOW_PRIVATE_TARGETS read as a switch: 1, true, yes or on. */
export function allowPrivateFromEnv(env = process.env): boolean {
  return /^(1|true|yes|on)$/i.test((env.CHANNELSYNC_ALLOW_PRIVATE_TARGETS ?? '').trim());
}

/** CHANNELSYNC_IMPORT_DIR, else `imports` in the data folder (./data when the data folder is not on disk). */
export function defaultImportDir(env = process.env, dataDir?: string): string {
  if (env.CHANNELSYNC_IMPORT_DIR) return path.resolve(env.CHANNELSYNC_IMPORT_DIR);
  const data = dataDir && !dataDir.startsWith('memory://') ? dataDir : env.CHANNELSYNC_DATA && !env.CHANNELSYNC_DATA.startsWith('memory://') ? env.CHANNELSYNC_DATA : './data';
  return path.resolve(data, 'imports');
}

let fallback: Reach | null = null;
const byOwner = new WeakMap<object, Reach>();

/** Ties a hub to its policy (app.ts, at start). */
export function attachReach(owner: object, reach: Reach): Reach {
  byOwner.set(owner, reach);
  return reach;
}

/** The policy of a hub; a hub started without one (a script, a unit test) gets the policy of the environment. */
export function reachOf(owner: object | undefined): Reach {
  const found = owner ? byOwner.get(owner) : undefined;
  if (found) return found;
  fallback ??= new Reach({ allowPrivate: allowPrivateFromEnv() });
  return fallback;
}

/** The policy a connector works under: its context's, else the environment's. */
export function contextReach(ctx: { reach?: Reach }): Reach {
  return ctx.reach ?? reachOf(undefined);
}
