import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where panel tests leave their screenshots. */
export const SCREENSHOTS = path.join(ROOT, 'test-output');

/**
 * The panel built from its sources when missing or stale (the script `npm start` runs), and a page in
 * Debian's headless Chromium that reaches only the hub (product images point at hosts that do not exist).
 */
export async function openPanelPage(hubUrl: string): Promise<{ browser: Browser; page: Page }> {
  const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts/ensure-panel.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`building the panel failed:\n${build.stdout}\n${build.stderr}`);
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(20_000);
  await page.route((url) => !url.href.startsWith(hubUrl), (route) => route.abort());
  return { browser, page };
}
