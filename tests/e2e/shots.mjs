// Screenshots of the main pages against a running `vink serve --demo`, for a
// person to look at (not a test). Usage: node shots.mjs http://127.0.0.1:8080 OUTDIR
import { chromium } from 'playwright-core';
const [base, out] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
const snap = async (name) => page.screenshot({ path: `${out}/${name}.png`, fullPage: true });
const login = async (user) => {
  await page.goto(`${base}/login`);
  await page.getByLabel('Brugernavn').fill(user);
  await page.getByLabel('Adgangskode').fill('vink-demo-2026');
  await page.getByRole('button', { name: 'Log ind' }).click();
};
await login('sekretariat');
await snap('s1-dashboard');
await page.goto(`${base}/concerns`); await snap('s2-list');
await page.locator('tbody tr a').first().click(); await snap('s3-detail');
await page.goto(`${base}/concerns/new`); await page.getByRole('button', { name: 'Registrér henvendelsen' }).click(); await snap('s4-new-errors');
await page.goto(`${base}/meetings`); await snap('s5-meetings');
await page.locator('tbody tr a').nth(1).click(); await snap('s6-meeting');
await page.goto(`${base}/lang/en?next=/concerns`); await snap('s7-english');
await browser.close();
