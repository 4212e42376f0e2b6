// Storage end-to-end: a server with a 64 MiB disk budget and 30 days of retention takes a few
// real fixture uploads; an admin preserves one event on its Event page (badge, the
// `preserved=yes` filter lists exactly it, the mark survives a reload, the Events row shows it)
// and releases it again; "Preserve all matching" on Events marks the filter's events after a
// confirmation; the Status page shows the storage figures and the Dashboard its storage line;
// no health banner while storage is healthy; a viewer gets no preserve controls.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  ARTIFACTS, assertNoProblems, captures, cli, consolePage, launchBrowser, mlogcUpload, signIn, startConsoleWithSensor,
} from './harness.js';

const SENSOR = { sensor: 'e2e-storage-01', password: 'e2e-storage-password-7' };
const UPLOADS = 5;

let server;
let browser;
let adminPassword;
let dataDir;

before(async () => {
  ({ server, dataDir, adminPassword } = await startConsoleWithSensor(SENSOR.sensor, SENSOR.password, ['--max-disk', '64MiB', '--retain-days', '30']));
  const bodies = captures().map((capture) => capture.body).filter((body) => body.length < 100_000).slice(0, UPLOADS);
  assert.equal(bodies.length, UPLOADS);
  for (const body of bodies) await mlogcUpload(server.url, SENSOR, body);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Ids of the events `query` selects, through the list API with the page's session. */
const listed = (page, query) => page.evaluate(async (query) => {
  const answer = await (await fetch('/api/v1/events?limit=100&' + query)).json();
  return answer.events.map((event) => event.id);
}, query);

test('an admin preserves and releases an event on its page', async () => {
  const page = await consolePage(browser, server.url);
  await signIn(page, server.url, 'admin', adminPassword);
  const ids = await listed(page, '');
  assert.equal(ids.length, UPLOADS);
  const id = ids[1];
  assert.deepEqual(await listed(page, 'preserved=yes'), [], 'nothing preserved yet');

  await page.goto(`${server.url}/events/${id}`);
  await page.getByTestId('event-summary').waitFor();
  const toggle = page.getByTestId('preserve-toggle');
  assert.equal(await toggle.textContent(), 'Preserve');
  assert.equal(await page.getByTestId('preserved-badge').count(), 0);
  await toggle.click();
  await page.getByTestId('preserved-badge').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=preserve-toggle]')?.textContent === 'Release');
  assert.deepEqual(await listed(page, 'preserved=yes'), [id], 'exactly that event is preserved');
  assert.equal((await listed(page, 'preserved=no')).length, UPLOADS - 1);
  await page.screenshot({ path: join(ARTIFACTS, 'event-preserved.png') });

  await page.reload();
  await page.getByTestId('event-summary').waitFor();
  await page.getByTestId('preserved-badge').waitFor();
  assert.equal(await page.getByTestId('preserve-toggle').textContent(), 'Release', 'the mark is stored');

  await page.goto(`${server.url}/events?preserved=yes`);
  await page.getByTestId('events-table').waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=event-row]').length === 1);
  const row = page.getByTestId('event-row');
  assert.equal(await row.getAttribute('data-id'), String(id));
  assert.equal(await row.getByTestId('preserved-badge').count(), 1);

  await page.goto(`${server.url}/events/${id}`);
  await page.getByTestId('event-summary').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=preserve-toggle]')?.textContent === 'Release');
  await page.getByTestId('preserve-toggle').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=preserve-toggle]')?.textContent === 'Preserve');
  assert.equal(await page.getByTestId('preserved-badge').count(), 0);
  assert.deepEqual(await listed(page, 'preserved=yes'), [], 'released');
  assert.equal(await page.getByTestId('health-banner').count(), 0, 'no banner while storage is healthy');
  assertNoProblems(page);
  await page.context().close();
});

test('"Preserve all matching" marks the filter\'s events after a confirmation', async () => {
  const page = await consolePage(browser, server.url);
  await signIn(page, server.url, 'admin', adminPassword);
  await page.getByTestId('nav-events').click();
  await page.getByTestId('events-table').waitFor();
  assert.equal(await page.getByTestId('preserve-matching').isDisabled(), true, 'no filter: nothing to preserve');

  await page.goto(`${server.url}/events?sensor=${SENSOR.sensor}`);
  await page.waitForFunction((count) => document.querySelectorAll('[data-testid=event-row]').length === count, UPLOADS);
  await page.getByTestId('preserve-matching').click();
  await page.getByTestId('preserve-confirm').waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'events-preserve-confirm.png') });
  assert.deepEqual(await listed(page, 'preserved=yes'), [], 'nothing happens before the confirmation');
  await page.getByTestId('preserve-confirm-yes').click();
  const outcome = page.getByTestId('preserve-outcome');
  await outcome.waitFor();
  assert.equal(await outcome.textContent(), `${UPLOADS} events preserved`);
  assert.equal((await listed(page, 'preserved=yes')).length, UPLOADS);
  await page.waitForFunction((count) => document.querySelectorAll('[data-testid=event-row] [data-testid=preserved-badge]').length === count, UPLOADS);
  await page.screenshot({ path: join(ARTIFACTS, 'events-preserved.png') });

  // Release them again through the API (DELETE with the same filter).
  const released = await page.evaluate(async (sensor) => (await fetch(`/api/v1/preserve?sensor=${sensor}`, { method: 'DELETE' })).json(), SENSOR.sensor);
  assert.equal(released.changed, UPLOADS);
  assert.equal(released.preserved, false);
  assert.deepEqual(await listed(page, 'preserved=yes'), []);
  assertNoProblems(page);
  await page.context().close();
});

test('Status shows the storage figures and the Dashboard its storage line', async () => {
  const page = await consolePage(browser, server.url);
  await signIn(page, server.url, 'admin', adminPassword);
  await page.getByTestId('nav-status').click();
  const storage = page.getByTestId('storage-table');
  await storage.waitFor();
  const text = await storage.textContent();
  assert.match(text, /Disk budget64 MiB/);
  assert.match(text, /Retention30 days/);
  assert.match(text, new RegExp(`Events kept${UPLOADS}(?!\\d)`));
  assert.match(text, /Preserved0/);
  assert.match(text, /Database file[\d.]+ (KiB|MiB)/);
  assert.match(text, /Budget used[\d.]+ %/);
  assert.match(text, /Oldest event kept\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
  assert.match(text, /Bytes per event[\d.]+ (B|KiB)/);
  assert.match(text, /Budget holds.+at the last day's rate/);
  await page.screenshot({ path: join(ARTIFACTS, 'status-storage.png'), fullPage: true });

  await page.getByTestId('nav-dashboard').click();
  const line = page.getByTestId('storage-line');
  await line.waitFor();
  assert.match(await line.textContent(), /^Storage [\d.]+ (KiB|MiB) of 64 MiB · oldest kept (just now|\d+ min ago) · ~[\d,]+ days at current rate$/);
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-storage.png') });
  assert.equal(await page.getByTestId('health-banner').count(), 0);
  assertNoProblems(page);
  await page.context().close();
});

test('a viewer sees the badge filter but no preserve controls', async () => {
  const added = cli(['user', 'add', 'e2e-storage-viewer', '--role', 'viewer', '--password-stdin', '--data-dir', dataDir], 'viewer-password-8\n');
  assert.equal(added.status, 0, added.stderr);
  const page = await consolePage(browser, server.url);
  await signIn(page, server.url, 'e2e-storage-viewer', 'viewer-password-8');
  const [id] = await listed(page, '');
  await page.goto(`${server.url}/events/${id}`);
  await page.getByTestId('event-summary').waitFor();
  assert.equal(await page.getByTestId('preserve-toggle').count(), 0);
  await page.goto(`${server.url}/events?sensor=${SENSOR.sensor}`);
  await page.getByTestId('events-table').waitFor();
  assert.equal(await page.getByTestId('preserve-matching').count(), 0);
  // From node with the page's cookie (a refused fetch in the page would log a console error).
  const cookie = (await page.context().cookies()).map(({ name, value }) => `${name}=${value}`).join('; ');
  const refused = await fetch(`${server.url}/api/v1/events/${id}/preserve`, { method: 'POST', headers: { cookie } });
  await refused.arrayBuffer();
  assert.equal(refused.status, 403, 'the server refuses a viewer too');
  assertNoProblems(page);
  await page.context().close();
});
