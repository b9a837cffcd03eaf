#!/usr/bin/env node
// Compiles the hub (src/**/*.ts) to plain JavaScript in dist/, file for file, when dist is
// missing or older than its sources. `npm start` runs dist/cli.js with node alone: the
// TypeScript loader (tsx) kept about 70 MB of the hub's memory for as long as it ran.
// esbuild only strips types (about 0.2 s for the whole hub); `npm run typecheck` checks them.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const out = path.join(root, 'dist');
/** Written last: its time says when the build that is in dist/ finished. */
const stamp = path.join(out, '.built');

function files(dir, list = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) files(p, list);
    else list.push(p);
  }
  return list;
}

export async function ensureServer({ force = false, quiet = false } = {}) {
  const sources = files(src);
  const newest = Math.max(...sources.map((f) => fs.statSync(f).mtimeMs), fs.statSync(fileURLToPath(import.meta.url)).mtimeMs);
  if (!force && fs.existsSync(stamp) && fs.statSync(stamp).mtimeMs >= newest) return false;
  const { build } = await import('esbuild');
  if (!quiet) console.log('channelsync: compiling the hub to dist/…');
  fs.rmSync(out, { recursive: true, force: true });
  await build({
    entryPoints: sources.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
    outdir: out,
    outbase: src,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Files for files: paths the code resolves from its own location (migrations, panel, initdb) stay right.
    bundle: false,
    sourcemap: 'linked',
    logLevel: 'error',
  });
  // What the code runs or reads as files next to itself.
  for (const f of sources.filter((f) => f.endsWith('.mjs'))) {
    const to = path.join(out, path.relative(src, f));
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(f, to);
  }
  fs.writeFileSync(stamp, new Date().toISOString() + '\n');
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureServer({ force: process.argv.includes('--force') }).catch((err) => {
    console.error('channelsync: compiling the hub failed:', err?.message ?? err);
    process.exit(1);
  });
}
