import net from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';
import type { Auth } from './auth.js';

/**
 * Who may call a route is declared on the route itself (`config.access`), and decided on the
 * route the router matched, never on the text of the URL: `/%61pi/...`, `//api/...` or an
 * absolute-form target reach the same route and meet the same check.
 *
 * - (absent)   private, the default: an API token (or, on an open hub, a same-origin request).
 *              Every route without a declaration, and every address that matches none, is private.
 * - 'public'   no token: the panel's files. The Host check still applies.
 * - 'external' no token and any Host: called by servers (platform webhooks, marketplaces
 *              pulling a feed, health probes). Such a route proves the caller itself (a
 *              signature or a connection key) or reveals nothing.
 * - `events: true` on a private route: it also accepts `?ticket=` (POST /api/events/ticket),
 *              as EventSource cannot send headers.
 */
export type Access = 'public' | 'external';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    events?: boolean;
  }
  interface FastifyRequest {
    /** Set on private routes once the caller is known: the token's id ('admin' for CHANNELSYNC_TOKEN), null on an open hub. */
    tokenId?: string | null;
  }
}

const LOOPBACK_NAMES = ['localhost'];
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip'];

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || h.startsWith('::ffff:127.');
  return false;
}

/** CHANNELSYNC_HOSTNAMES: comma-separated names the hub is reached by (`*`: any). */
export function parseHostnames(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim().toLowerCase().replace(/\.$/, '')).filter(Boolean);
}

/** The name in a Host (or Origin authority) without port, brackets or trailing dot. */
function hostName(authority: string): string {
  const a = authority.trim().toLowerCase();
  const name = a.startsWith('[') ? a.slice(1, a.indexOf(']') > 0 ? a.indexOf(']') : undefined) : a.replace(/:\d*$/, '');
  return name.replace(/\.$/, '');
}

/**
 * A Host the hub answers to: one of CHANNELSYNC_HOSTNAMES, localhost, or an IP address.
 * The check defeats DNS rebinding, where a page on the attacker's name is made to resolve to
 * the hub: its requests carry that name. An address typed as such cannot be rebound.
 */
export function hostAllowed(host: string | undefined, names: string[]): boolean {
  if (host === undefined) return true; // HTTP/1.0 without Host: not a browser.
  if (names.includes('*')) return true;
  const name = hostName(host);
  if (!name) return false;
  return LOOPBACK_NAMES.includes(name) || net.isIP(name) !== 0 || names.includes(name);
}

/** Whether a browser says this request comes from another page than the hub's own. */
function crossSite(req: FastifyRequest, names: string[]): string | null {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return `Sec-Fetch-Site: ${site}`;
  const origin = req.headers.origin;
  if (origin === undefined) return null;
  let from: URL;
  try {
    from = new URL(origin);
  } catch {
    return `Origin: ${origin}`; // "null" (a sandboxed page, a redirect) or garbage
  }
  const own = req.headers.host;
  if (own === undefined) return hostAllowed(from.host, names) ? null : `Origin: ${origin}`;
  // The same name and port as the Host the request was sent to (a missing port is the scheme's).
  const defaultPort = from.protocol === 'https:' ? '443' : '80';
  const ownPort = /:(\d+)$/.exec(own.trim())?.[1] ?? defaultPort;
  if (hostName(from.host) === hostName(own) && (from.port || defaultPort) === ownPort) return null;
  return `Origin: ${origin}`;
}

function hasBody(req: FastifyRequest): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

function isJson(req: FastifyRequest): boolean {
  const type = req.headers['content-type'];
  if (type === undefined) return false;
  const mime = type.split(';')[0].trim().toLowerCase();
  return mime === 'application/json';
}

export function installAccess(app: FastifyInstance, auth: Auth, hostnames: string[]): void {
  app.addHook('onRequest', async (req, reply) => {
    const config = req.routeOptions.config ?? {};
    const access = config.access;
    if (access === 'external') return;
    if (!hostAllowed(req.headers.host, hostnames)) {
      throw new ApiError('CS_MISDIRECTED', `This hub does not answer to the name "${hostName(req.headers.host ?? '')}": `
        + 'add it to CHANNELSYNC_HOSTNAMES (comma-separated) if the hub is reached by that name');
    }
    if (access === 'public') return;

    const header = req.headers.authorization;
    let presented = /^bearer\s/i.test(header ?? '') ? header!.slice(7).trim() : null;
    if (header !== undefined && presented === null) presented = header; // "Basic ..." and the like: a wrong token
    const query = req.query as { ticket?: unknown; token?: unknown };
    if (!presented && config.events && typeof query.ticket === 'string') {
      if (await auth.checkTicket(query.ticket)) { req.tokenId = null; return; }
      throw new ApiError('CS_UNAUTHORIZED', 'The event-stream ticket is not valid or has expired: get a new one with POST /api/events/ticket');
    }
    const verdict = await auth.check(presented || null, req.ip);
    if (!verdict.ok) {
      if (verdict.status === 429) {
        reply.header('retry-after', String(verdict.retryAfter ?? 60));
        throw new ApiError('CS_TOO_MANY_FAILURES');
      }
      throw new ApiError('CS_UNAUTHORIZED');
    }
    req.tokenId = verdict.tokenId;
    // An open hub answers this machine only; a proxy here in front of it would hand it to the network.
    if (verdict.open) {
      const relayed = PROXY_HEADERS.find((h) => req.headers[h] !== undefined);
      if (relayed) {
        throw new ApiError('CS_UNAUTHORIZED', `This hub has no API token, so it answers requests made on this machine only; this one was relayed by a proxy (${relayed}). `
          + 'Create a token (channelsync token create, on this machine) or set CHANNELSYNC_TOKEN');
      }
    }
    // A bearer token cannot be attached by another site's page without the browser asking the hub
    // first (CORS preflight, which the hub never grants). An open hub has no such proof: there a
    // state-changing request must not come from another page, and must be JSON (which a page
    // elsewhere cannot send without a preflight either), or carry no body.
    if (verdict.open && STATE_CHANGING.has(req.method)) {
      const foreign = crossSite(req, hostnames);
      if (foreign) throw new ApiError('CS_CROSS_SITE', `Refused: this request comes from another site's page (${foreign})`);
      if (!isJson(req) && (hasBody(req) || req.headers['content-type'] !== undefined)) {
        throw new ApiError('CS_UNSUPPORTED_MEDIA_TYPE');
      }
    }
  });
}
