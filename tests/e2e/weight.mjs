// Page weight of the dashboard, cold (empty cache) and warm (assets cached),
// as Chromium transfers it: bytes on the wire, compression included.
// Usage: node weight.mjs  (builds nothing; needs ../../target/debug/vink or VINK_BIN)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const BIN = process.env.VINK_BIN ?? resolve(import.meta.dirname, '../../target/debug/vink');
const dir = mkdtempSync(join(tmpdir(), 'vink-weight-'));
const env = { ...process.env, VINK_DATABASE_URL: `sqlite://${dir}/vink.db`, VINK_LOG: 'warn' };
const port = 18000 + Math.floor(Math.random() * 1000);
// In its own directory: the demo writes its keys and checkpoints under ./vink-data.
const server = spawn(BIN, ['serve', '--demo', '--listen', `127.0.0.1:${port}`], { env, cwd: dir, stdio: 'ignore' });
const base = `http://127.0.0.1:${port}`;
for (let i = 0; i < 150; i++) {
  try { if ((await fetch(`${base}/healthz`)).ok) break; } catch { /* not yet */ }
  await new Promise((r) => setTimeout(r, 200));
}
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage();
await page.goto(`${base}/login`);
await page.getByLabel('Brugernavn').fill('sekretariat');
await page.getByLabel('Adgangskode').fill('vink-demo-2026');
await page.getByRole('button', { name: 'Log ind' }).click();
await page.waitForURL(`${base}/dashboard`);
const measure = async () => page.evaluate(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  const sum = (xs, k) => xs.reduce((a, x) => a + (x[k] || 0), 0);
  return {
    html: nav.transferSize, htmlDecoded: nav.decodedBodySize,
    assets: sum(res, 'transferSize'), assetsDecoded: sum(res, 'decodedBodySize'),
    files: res.map((r) => `${r.name.replace(/^.*\/assets\/(v-[^/]+\/)?/, '')} ${r.transferSize}/${r.decodedBodySize}`),
  };
});
// Cold: a fresh context's first dashboard (the log-in page cached nothing it needs? it did: so clear).
const cdp = await page.context().newCDPSession(page);
await cdp.send('Network.clearBrowserCache');
await page.goto(`${base}/dashboard`);
const cold = await measure();
await page.goto(`${base}/dashboard`);
const warm = await measure();
console.log(JSON.stringify({ cold, warm }, null, 2));
await browser.close();
server.kill('SIGINT');
rmSync(dir, { recursive: true, force: true });
