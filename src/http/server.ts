import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import type { Hub } from '../hub.js';
import type { JobQueue, JobView } from '../jobs/queue.js';
import { ApiError } from './errors.js';
import { Auth } from './auth.js';
import { installAccess } from './access.js';
import { refuseControlCharacters } from '../engine/input-guard.js';
import { obj } from './schemas.js';
import { connectionRoutes } from './routes/connections.js';
import { jobRoutes } from './routes/jobs.js';
import { recordRoutes } from './routes/records.js';
import { orderRoutes } from './routes/orders.js';
import { findingRoutes } from './routes/finding.js';
import { panelRoutes } from './routes/panel.js';
import { tokenRoutes } from './routes/tokens.js';
import { connectorRoutes } from './routes/connectors.js';
import { mappingRoutes } from './routes/mapping.js';
import { hookRoutes } from './routes/hooks.js';
import { feedRoutes } from './routes/feeds.js';

export interface RouteDeps {
  hub: Hub;
  queue: JobQueue;
}

export interface ServerOptions {
  hub: Hub;
  queue: JobQueue;
  /** CHANNELSYNC_TOKEN: an admin token accepted besides the ones in the database. */
  adminToken?: string;
  /** Whether the API is open while no token exists: only on a hub listening on loopback. */
  openWhenNoToken?: boolean;
  /** CHANNELSYNC_HOSTNAMES: the names the hub is reached by, besides localhost and IP addresses ('*': any). */
  hostnames?: string[];
  logger?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    auth: Auth;
  }
}


export async function buildServer(opts: ServerOptions): Promise<FastifyInstance> {
  const { hub, queue } = opts;
  const app = Fastify({ logger: opts.logger ? { level: process.env.LOG_LEVEL ?? 'info', redact: ['req.headers.authorization'] } : false });
  // Route schemas document the API; validation is done by zod in the handlers, with field-named messages.
  app.setValidatorCompiler(() => () => true);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'channelsync API', version: '0.1.0', description: 'Catalog, stock and orders in sync across every place a merchant sells.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof ApiError) return reply.status(err.status).send(err.toJSON());
    const e = err as { statusCode?: number; message?: string };
    if (e.statusCode && e.statusCode < 500) {
      return reply.status(e.statusCode).send({ error: { code: 'CS_BAD_REQUEST', message: e.message } });
    }
    req.log?.error({ err }, 'request failed');
    hub.log.error({ err }, 'request failed');
    return reply.status(500).send({ error: { code: 'CS_INTERNAL', message: 'Internal error; see the hub log' } });
  });
  // Reached only past the access check (deny by default, so an unknown /api/ address without a token is a 401).
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send(new ApiError('CS_NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0].slice(0, 200)}`).toJSON());
  });

  const auth = new Auth(hub, opts.adminToken, opts.openWhenNoToken ?? false);
  app.decorate('auth', auth);
  installAccess(app, auth, opts.hostnames ?? []);
  app.addHook('preValidation', async (req) => refuseControlCharacters(req));
  // A bodiless POST may say it is JSON (the panel and the CLI do): an empty JSON body is no body.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '') return done(null, undefined);
    return json(req, body as string, done);
  });

  app.get('/api/health', { config: { access: 'external' }, schema: { tags: ['hub'], security: [], response: { 200: obj('The hub is up', { ok: { type: 'boolean' } }) } } },
    async () => ({ ok: true }));
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const deps: RouteDeps = { hub, queue };
  await connectionRoutes(app, deps);
  await jobRoutes(app, deps);
  await recordRoutes(app, deps);
  await orderRoutes(app, deps);
  await tokenRoutes(app, deps);
  await connectorRoutes(app, deps);
  await findingRoutes(app, deps);
  await mappingRoutes(app, deps);
  await hookRoutes(app, deps);
  await feedRoutes(app, deps);
  // Add new route modules above this line; the panel's catch-all must come last.
  await panelRoutes(app);
  return app;
}

export function connectionState(paused: boolean, jobs: JobView[]): 'idle' | 'fetching' | 'sending' | 'syncing' | 'paused' {
  if (paused) return 'paused';
  const running = jobs.find((j) => j.state === 'running');
  if (!running) return 'idle';
  return running.type === 'fetch' ? 'fetching' : running.type === 'send' ? 'sending' : 'syncing';
}

export { replanInBackground, waitForReplan } from '../engine/replan.js';

export function streamEvents(req: FastifyRequest, reply: FastifyReply, hub: Hub, initial: JobView | null, filter: (e: { id: string }) => boolean) {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  // The client learns at once that the stream is open (not at the first event or ping).
  res.flushHeaders();
  const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  if (initial) send('job', initial);
  const onJob = (e: JobView) => {
    if (!filter(e)) return;
    send('job', e);
    if (initial && ['completed', 'failed', 'cancelled'].includes(e.state)) close();
  };
  const onProgress = (e: { id: string }) => { if (filter(e)) send('progress', e); };
  const onConnection = (e: { id: string }) => { if (!initial) send('connection', e); };
  const ping = setInterval(() => res.write(': ping\n\n'), 15000);
  const close = () => {
    clearInterval(ping);
    hub.events.off('job', onJob);
    hub.events.off('job-progress', onProgress);
    hub.events.off('connection', onConnection);
    res.end();
  };
  hub.events.on('job', onJob);
  hub.events.on('job-progress', onProgress);
  hub.events.on('connection', onConnection);
  req.raw.on('close', close);
  if (initial && ['completed', 'failed', 'cancelled'].includes(initial.state)) close();
}
