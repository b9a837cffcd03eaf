import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';

const PANEL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../panel/dist');

/**
 * Serves the built web panel at / with an SPA fallback (any panel address gets index.html),
 * or a pointer to the API while it is not built. Unknown /api/ addresses stay JSON 404s.
 */
export async function panelRoutes(app: FastifyInstance): Promise<void> {
  // Unknown API addresses are private like the rest of /api/ (401 without a token), then a JSON 404.
  app.all('/api/*', { schema: { hide: true } }, async (req) => {
    throw new ApiError('CS_NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0].slice(0, 200)}`);
  });
  app.get('/*', { config: { access: 'public' }, schema: { hide: true } }, async (req, reply) => {
    const rel = (req.params as { '*': string })['*'] || 'index.html';
    // The catch-all also matches GET /api/<anything unregistered>, and spellings of API addresses the
    // router does not resolve (//api/x, /x/../api/x, /API/x, /api\x): none may become a 200 page.
    if (apiLike(rel)) throw new ApiError('CS_NOT_FOUND', 'No route: not an API address');
    const file = path.resolve(PANEL_DIR, rel);
    if (file.startsWith(PANEL_DIR + path.sep) && fs.existsSync(file) && fs.statSync(file).isFile()) {
      // Vite puts a content hash in every asset name: those never change.
      const immutable = file.startsWith(path.join(PANEL_DIR, 'assets') + path.sep);
      reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      if (file.endsWith('index.html')) securityHeaders(reply);
      return reply.type(contentType(file)).send(fs.createReadStream(file));
    }
    const index = path.join(PANEL_DIR, 'index.html');
    if (fs.existsSync(index)) {
      reply.header('cache-control', 'no-cache');
      securityHeaders(reply);
      return reply.type('text/html; charset=utf-8').send(fs.createReadStream(index));
    }
    return reply.type('text/html; charset=utf-8').send('<!doctype html><title>channelsync</title><h1>channelsync</h1><p>The hub is running. The web panel is not built: run <code>npm run build:panel</code>. API: <a href="/api/openapi.json">/api/openapi.json</a></p>');
  });
}

function apiLike(rel: string): boolean {
  let text = rel;
  try { text = decodeURIComponent(rel); } catch { /* as it is */ }
  const normal = path.posix.normalize(`/${text.replace(/\\/g, '/')}`).replace(/^\/+/, '');
  const first = normal.split(/[/;?#]/)[0].toLowerCase().replace(/[.\s]+$/, '');
  return first === 'api';
}

/** The panel loads only its own scripts and styles; product images may come from any https/http host. */
function securityHeaders(reply: { header(k: string, v: string): unknown }) {
  reply.header('content-security-policy', "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https: http:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
}

function contentType(file: string): string {
  const ext = path.extname(file);
  return ({ '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.html': 'text/html; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.ico': 'image/x-icon', '.woff2': 'font/woff2' } as Record<string, string>)[ext] ?? 'application/octet-stream';
}
