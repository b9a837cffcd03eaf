import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

const PANEL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../panel/dist');

/** Serves the built web panel at /, or a pointer to the API while it is not built. */
export async function panelRoutes(app: FastifyInstance): Promise<void> {
  // The panel (built assets), or a pointer to the API while it is not built.
  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    const rel = (req.params as { '*': string })['*'] || 'index.html';
    const file = path.resolve(PANEL_DIR, rel);
    if (file.startsWith(PANEL_DIR) && fs.existsSync(file) && fs.statSync(file).isFile()) {
      return reply.type(contentType(file)).send(fs.createReadStream(file));
    }
    const index = path.join(PANEL_DIR, 'index.html');
    if (fs.existsSync(index)) return reply.type('text/html').send(fs.createReadStream(index));
    return reply.type('text/html').send('<!doctype html><title>channelsync</title><h1>channelsync</h1><p>The hub is running. API: <a href="/api/openapi.json">/api/openapi.json</a></p>');
  });
}

function contentType(file: string): string {
  const ext = path.extname(file);
  return ({ '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.ico': 'image/x-icon', '.woff2': 'font/woff2' } as Record<string, string>)[ext] ?? 'application/octet-stream';
}
