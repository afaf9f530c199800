// One journey through a real browser: a citizen reports a concern on the public
// form, a secretariat member logs in, finds it in the list with its deadline,
// and takes it through triage to a founded decision.
//
// Needs: the `vink` binary (VINK_BIN, default ../../target/debug/vink) and
// Debian's Chromium (CHROMIUM, default /usr/bin/chromium).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { chromium } from 'playwright-core';

const BIN = process.env.VINK_BIN ?? resolve(import.meta.dirname, '../../target/debug/vink');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = process.env.VINK_E2E_SHOTS; // a folder to keep screenshots in, if set
const PASSWORD = 'e2e-password-123';

let dir, server, browser, base, token;

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
    s.on('error', fail);
  });
}

function vink(args, input) {
  const r = spawnSync(BIN, args, { env: { ...process.env, VINK_DATABASE_URL: `sqlite://${dir}/vink.db`, VINK_LOG: 'warn' }, input, encoding: 'utf8' });
  assert.equal(r.status, 0, `vink ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

async function waitForHealth(url, ms = 30000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try { if ((await fetch(url)).ok) return; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server did not answer ${url}`);
}

before(async () => {
  assert.ok(existsSync(BIN), `vink binary missing at ${BIN} (cargo build first)`);
  assert.ok(existsSync(CHROMIUM), `Chromium missing at ${CHROMIUM} (apt-get install chromium)`);
  dir = mkdtempSync(join(tmpdir(), 'vink-e2e-'));
  vink(['migrate']);
  vink(['user', 'add', 'sara', '--role', 'secretariat', '--display-name', 'Sara (e2e)', '--password-stdin'], `${PASSWORD}\n`);
  vink(['user', 'add', 'mona', '--role', 'mentor', '--display-name', 'Mona (e2e)', '--password-stdin'], `${PASSWORD}\n`);
  token = vink(['user', 'token', 'sara']).trim();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`], {
    env: { ...process.env, VINK_DATABASE_URL: `sqlite://${dir}/vink.db`, VINK_LOG: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitForHealth(`${base}/healthz`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGINT');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

test('public report → staff log-in → listed with deadline → decided as founded', async () => {
  const context = await browser.newContext({ locale: 'da-DK' });
  const page = await context.newPage();
  // Broken assets and CSP violations would show here; the one 422 of the
  // deliberately incomplete decision below is expected.
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().includes('422')) errors.push(m.text()); });
  page.on('response', (r) => { if (r.status() === 404) errors.push(`404 ${r.url()}`); });

  // 1. A citizen reports, anonymously.
  await page.goto(`${base}/report`);
  await page.getByLabel('Hvad er du bekymret for?').fill('Min nabos søn (fiktiv) deler voldelige videoer og taler om at rejse.');
  await page.getByLabel('Navn', { exact: true }).fill('Jonas Fiktiv');
  await page.getByLabel('Fødselsdato eller fødselsår').fill('2009');
  await shot(page, '01-report');
  await page.getByRole('button', { name: 'Send indberetningen' }).click();
  const receipt = (await page.locator('#receipt').textContent()).trim();
  assert.match(receipt, /^R-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  await shot(page, '02-receipt');

  // 2. The secretariat logs in.
  await page.goto(`${base}/login`);
  await page.getByLabel('Brugernavn').fill('sara');
  await page.getByLabel('Adgangskode').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.waitForURL(`${base}/dashboard`);
  assert.equal(await page.locator('.vink-card').first().locator('.vink-figure').textContent(), '1');
  await shot(page, '03-dashboard');

  // 3. The report is in the list, with time left to its 48-hour deadline.
  await page.getByRole('link', { name: 'Henvendelser', exact: true }).click();
  const row = page.locator('tbody tr', { hasText: 'Jonas Fiktiv' });
  await row.waitFor();
  const clock = (await row.locator('[data-clock]').textContent()).trim();
  assert.match(clock, /^(1 d 23 t|2 d 0 t|47 t) .*tilbage$|tilbage$/);
  assert.match(await row.textContent(), /Webformular/);
  await shot(page, '04-list');

  // 4. Triage: screening, before the unit, decided founded with local action.
  await row.getByRole('link').click();
  await page.getByRole('heading', { level: 1 }).waitFor();
  await page.getByLabel('Ny status').selectOption('screening');
  await page.getByRole('button', { name: 'Flyt', exact: true }).click();
  await page.getByLabel('Ny status').selectOption('before_unit');
  await page.getByRole('button', { name: 'Flyt', exact: true }).click();
  await page.getByLabel('Afgørelse').selectOption('founded_local_action');
  await page.getByRole('button', { name: 'Registrér afgørelse' }).click();
  // Missing programme kind: the error is shown beside the field.
  assert.match(await page.locator('.form-error-message').first().textContent(), /\S/);
  await page.getByLabel('Afgørelse').selectOption('founded_local_action');
  await page.getByLabel('Forløbstype').selectOption('mentor');
  await page.getByRole('button', { name: 'Registrér afgørelse' }).click();
  await page.locator('.vink-dl').waitFor();
  const status = await page.locator('.vink-dl dd').first().textContent();
  assert.match(status, /Afgjort: Begrundet – lokal indsats \(Mentorforløb\)/);
  assert.match(await page.locator('[data-clock]').first().textContent(), /Afgjort inden for fristen/);
  const history = await page.locator('.vink-timeline').textContent();
  assert.match(history, /Sara \(e2e\)/);
  await shot(page, '05-decided');

  // Keyboard: the skip link is the first stop and leads to the main content.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.className), 'skipnav');

  assert.deepEqual(errors, [], 'no console errors, CSP violations or missing assets');
  await context.close();
});

async function api(method, path, body) {
  const r = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function login(page, user) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Brugernavn').fill(user);
  await page.getByLabel('Adgangskode').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.waitForURL(`${base}/dashboard`);
}

test('mentor logs a contact → coordinator completes the course → follow-up on the worklist', async () => {
  // Set-up through the API: a person, a corps member with Mona's log-in, an active course.
  const concern = await api('POST', '/concerns', {
    channel: 'hotline', reporter: { kind: 'professional' }, description: 'Fiktiv bekymring (e2e)',
    persons: [{ name: 'Sofie Eksempel', birth: '1999-04-05', district: 'Valby' }],
  });
  const detail = await api('GET', `/concerns/${concern.id}`);
  const member = await api('POST', '/corps', { name: 'Mona (e2e)', kind: 'mentor', username: 'mona', max_caseload: 3 });
  const course = await api('POST', '/courses', {
    person_id: detail.persons[0].id, kind: 'mentor', prevention_level: 'pre_emptive', agency: 'ssp', direct_reason: 'e2e',
  });
  const today = new Date().toLocaleDateString('sv-SE', { timeZone: 'Europe/Copenhagen' });
  await api('PUT', `/courses/${course.id}/assignment`, { corps_member_id: member.id });
  await api('PUT', `/courses/${course.id}/consent`, { consent_on: today });
  await api('POST', `/courses/${course.id}/transitions`, { to: 'active' });

  const context = await browser.newContext({ locale: 'da-DK' });
  const page = await context.newPage();
  // The mentor finds the course under "Forløb" and logs a contact.
  await login(page, 'mona');
  await page.getByRole('link', { name: 'Forløb', exact: true }).click();
  await page.getByRole('link', { name: 'Sofie Eksempel' }).click();
  await page.getByLabel('Dato for kontakt').fill(today);
  await page.getByLabel('Varighed (minutter)').fill('50');
  await page.getByLabel('Form', { exact: true }).selectOption('meeting');
  await page.getByLabel('Kort note').fill('Første samtale (e2e)');
  await page.getByRole('button', { name: 'Gem kontakt' }).click();
  assert.match(await page.locator('main').textContent(), /Første samtale \(e2e\)/);
  await shot(page, '06-mentor-contact');

  // The coordinator completes the course.
  await page.context().clearCookies();
  await login(page, 'sara');
  await page.goto(`${base}/courses/${course.id}`);
  await page.getByLabel('Ny status').selectOption('completed');
  await page.getByRole('button', { name: 'Flyt', exact: true }).click();
  assert.match(await page.locator('.vink-title-row .badge').textContent(), /Afsluttet/);

  // Both follow-ups are on the worklist.
  await page.getByRole('link', { name: 'Opfølgning', exact: true }).click();
  const rows = page.locator('tr[data-follow-up]', { hasText: 'Sofie Eksempel' });
  assert.equal(await rows.count(), 2);
  await shot(page, '07-worklist');
  await context.close();
});

test('coordinator records a guardian\'s withdrawal of consent → the running course is discontinued', async () => {
  const concern = await api('POST', '/concerns', {
    channel: 'hotline', reporter: { kind: 'professional' }, description: 'Fiktiv bekymring (e2e, samtykke)',
    persons: [{ name: 'Emil Eksempel', birth: '2012-02-03', district: 'Valby' }],
  });
  const detail = await api('GET', `/concerns/${concern.id}`);
  const course = await api('POST', '/courses', {
    person_id: detail.persons[0].id, kind: 'parent_coaching', prevention_level: 'pre_emptive', agency: 'ssp', direct_reason: 'e2e',
  });
  const today = new Date().toLocaleDateString('sv-SE', { timeZone: 'Europe/Copenhagen' });
  await api('PUT', `/courses/${course.id}/consent`, { consent_on: today, guardian_consent_on: today, guardian_name: 'Mor (fiktiv)' });
  await api('POST', `/courses/${course.id}/transitions`, { to: 'active' });

  const context = await browser.newContext({ locale: 'da-DK' });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().includes('422')) errors.push(m.text()); });
  await login(page, 'sara');
  await page.goto(`${base}/courses/${course.id}`);
  await page.getByRole('heading', { name: 'Tilbagetræk samtykke' }).waitFor();
  // Nothing is pre-selected: submitting without choosing who is an error beside the field.
  await page.getByRole('button', { name: 'Registrér tilbagetrækning' }).click();
  assert.match(await page.locator('.form-error-message').first().textContent(), /\S/);
  await page.getByLabel('Hvem trækker samtykket tilbage').selectOption('guardian');
  await page.getByLabel('Begrundelse for tilbagetrækning').fill('Forælder trak samtykket tilbage (e2e)');
  await page.getByRole('button', { name: 'Registrér tilbagetrækning' }).click();
  assert.match(await page.locator('.vink-title-row .badge').textContent(), /Afbrudt/);
  assert.match(await page.locator('.vink-timeline').textContent(), /Samtykke trukket tilbage/);
  await shot(page, '08-consent-withdrawn');
  assert.deepEqual(errors, [], 'no console errors');
  await context.close();
});
