#!/usr/bin/env node
// Runs the compiled hub, as `npm start` does: dist/ is compiled first when it is missing or
// older than src/ (about 0.2 s). Node alone, without a TypeScript loader, which kept about
// 70 MB of memory for as long as a process ran (`npx channelsync start` in a Procfile).
import { ensureServer } from '../scripts/build-server.mjs';

try {
  await ensureServer({ quiet: true });
} catch (err) {
  console.error('channelsync: compiling the hub failed:', err?.message ?? err);
  process.exit(1);
}
await import('../dist/cli.js');
