#!/usr/bin/env node
// Builds the web panel (panel/dist) when it is missing or older than its sources, so
// `npm ci && npm start` serves it on a fresh clone and a pulled change is never served stale.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const panel = path.join(root, 'panel');
const built = path.join(panel, 'dist', 'index.html');

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

export async function ensurePanel({ force = false, quiet = false } = {}) {
  if (!fs.existsSync(panel)) return false;
  const fresh = fs.existsSync(built) && fs.statSync(built).mtimeMs >= newestSource(panel);
  if (fresh && !force) return false;
  let vite;
  try {
    vite = await import('vite');
  } catch {
    console.warn('channelsync: the web panel is not built and vite is not installed (npm ci without --omit=dev builds it); the API still runs.');
    return false;
  }
  if (!quiet) console.log('channelsync: building the web panel…');
  await vite.build({ root: panel, configFile: path.join(panel, 'vite.config.ts'), logLevel: quiet ? 'error' : 'warn' });
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensurePanel({ force: process.argv.includes('--force') }).catch((err) => {
    console.error('channelsync: building the web panel failed:', err?.message ?? err);
    process.exit(1);
  });
}
