// Sensors page (issue #6): a sensor that sent real fixture uploads shows its total, its
// rejected (409) and refused (401) uploads and the "sending" state; one that never sent says so.
// An admin adds, rotates and removes a sensor from the page and the shown secrets work (or stop
// working) for real uploads at once; a viewer sees no controls. A sensor whose last upload is
// 10 minutes old (stored by the real server run under faketime) reads silent on the Sensors
// page, in the dashboard's sensor strip and as a badge in the navigation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  ARTIFACTS, assertNoProblems, captures, cli, consolePage, freshDataDir, launchBrowser, mlogcPut, signIn, startConsoleWithSensor, startServer,
} from './harness.js';

const SENSOR = 'e2e-sensor-01';
const PASSWORD = 'e2e-sensor-password-9';
const CAP = 100_000;

let server;
let browser;
let adminPassword;
let dataDir;
const bodies = captures().map((capture) => capture.body).filter((body) => body.length < CAP).slice(0, 12);

const put = (body, password = PASSWORD) => mlogcPut(server.url, { sensor: SENSOR, password }, body);

/** An mlogc-style upload to `uri` as `user`; resolves to the HTTP status. */
async function putAs(uri, user, password, body) {
  const response = await fetch(uri, {
    method: 'PUT',
    headers: { authorization: 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64') },
    body,
  });
  await response.arrayBuffer();
  return response.status;
}

/** A libmodsecurity 3 / Coraza-style upload to its ingest URL; resolves to the HTTP status. */
async function postTo(url, body) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await response.arrayBuffer();
  return response.status;
}

/** A new page signed in as `username`, on the Sensors page. */
async function sensorsPageAs(username, password, options = {}) {
  const page = await consolePage(browser, server.url, options);
  await signIn(page, server.url, username, password);
  await page.getByTestId('nav-sensors').click();
  await page.getByTestId('sensor-table').waitFor();
  return page;
}

/** The value of `Key "value"` in an mlogc.conf fragment. */
function confValue(fragment, key) {
  const match = fragment.match(new RegExp(`^${key} "([^"]+)"$`, 'm'));
  assert.ok(match, `${key} in ${fragment}`);
  return match[1];
}

before(async () => {
  ({ server, dataDir, adminPassword } = await startConsoleWithSensor(SENSOR, PASSWORD, ['--max-upload-bytes', String(CAP)]));
  const quiet = cli(['sensor', 'add', 'never-sent-02', '--password-stdin', '--data-dir', dataDir], 'another-password-2\n');
  assert.equal(quiet.status, 0, quiet.stderr);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the Sensors page shows totals, rejections, auth failures and state', async () => {
  for (const body of bodies) assert.equal(await put(body), 200);
  assert.equal(await put(Buffer.alloc(CAP + 1, 'x')), 409, 'over the cap');
  assert.equal(await put(bodies[0], 'wrong-password'), 401);

  const page = await consolePage(browser, server.url);
  await signIn(page, server.url, 'admin', adminPassword);
  await page.getByTestId('nav-sensors').click();
  const row = page.locator(`[data-testid=sensor-row][data-sensor="${SENSOR}"]`);
  await row.waitFor();
  assert.equal(await row.getByTestId('sensor-total').textContent(), String(bodies.length));
  assert.equal(await row.getByTestId('sensor-rejected').textContent(), '1');
  assert.equal(await row.getByTestId('sensor-auth-failures').textContent(), '1');
  assert.equal(await row.getByTestId('sensor-state').textContent(), 'sending');
  const quiet = page.locator('[data-testid=sensor-row][data-sensor="never-sent-02"]');
  assert.equal(await quiet.getByTestId('sensor-state').textContent(), 'never sent');
  assert.equal(await quiet.getByTestId('sensor-total').textContent(), '0');
  await page.screenshot({ path: join(ARTIFACTS, 'sensors-dark.png') });
  assert.deepEqual(page.problems, [], 'no page error, console error or dialog');
  await page.context().close();
});

test('an admin adds, rotates and removes a sensor from the page', async () => {
  const NAME = 'e2e-added-03';
  const page = await sensorsPageAs('admin', adminPassword, { permissions: ['clipboard-read', 'clipboard-write'] });
  await page.getByLabel('New sensor name').fill(NAME);
  await page.getByRole('button', { name: 'Add sensor' }).click();
  const shown = page.getByTestId('sensor-credentials');
  await shown.waitFor();
  assert.match(await shown.textContent(), /shown only once/);
  const fragment = await shown.getByTestId('mlogc-fragment').textContent();
  const consoleUri = confValue(fragment, 'ConsoleURI');
  assert.equal(consoleUri, server.url + '/rpc/auditLogReceiver', 'the address the browser used');
  assert.equal(confValue(fragment, 'SensorUsername'), NAME);
  const password = confValue(fragment, 'SensorPassword');
  const ingestUrl = await shown.getByTestId('ingest-url').textContent();
  assert.ok(ingestUrl.startsWith(server.url + '/api/v1/ingest/'), ingestUrl);
  await shown.getByTestId('copy-mlogc-fragment').click();
  await shown.getByText('Copied').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), fragment, 'the fragment is on the clipboard');

  assert.equal(await putAs(consoleUri, NAME, password, bodies[0]), 200, 'mlogc with the shown password');
  assert.equal(await postTo(ingestUrl, bodies[1]), 200, 'v3/Coraza with the shown URL');
  const row = page.locator(`[data-testid=sensor-row][data-sensor="${NAME}"]`);
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.waitForFunction((name) => document.querySelector(`[data-testid=sensor-row][data-sensor="${name}"] [data-testid=sensor-total]`)?.textContent === '2', NAME);
  assert.equal(await row.getByTestId('sensor-state').textContent(), 'sending');
  await page.screenshot({ path: join(ARTIFACTS, 'sensors-added.png') });
  await shown.getByTestId('sensor-credentials-done').click();
  await shown.waitFor({ state: 'detached' });

  await row.getByTestId('sensor-rotate').click();
  const confirm = page.getByTestId('sensor-confirm');
  assert.match(await confirm.textContent(), /stop working/);
  await confirm.getByTestId('sensor-confirm-yes').click();
  await shown.waitFor();
  assert.match(await shown.textContent(), /no longer work/);
  const rotated = await shown.getByTestId('mlogc-fragment').textContent();
  const newPassword = confValue(rotated, 'SensorPassword');
  const newUrl = await shown.getByTestId('ingest-url').textContent();
  assert.notEqual(newPassword, password);
  assert.notEqual(newUrl, ingestUrl);
  assert.equal(await putAs(consoleUri, NAME, password, bodies[2]), 401, 'the old password is refused at once');
  assert.equal(await postTo(ingestUrl, bodies[2]), 401, 'the old URL too');
  assert.equal(await putAs(consoleUri, NAME, newPassword, bodies[2]), 200, 'the new one works');

  await row.getByTestId('sensor-remove').click();
  assert.match(await confirm.textContent(), /events it already sent stay stored/);
  await page.screenshot({ path: join(ARTIFACTS, 'sensors-confirm-remove.png') });
  await confirm.getByTestId('sensor-confirm-no').click();
  await confirm.waitFor({ state: 'detached' });
  assert.equal(await putAs(consoleUri, NAME, newPassword, bodies[3]), 200, 'cancelled: nothing removed');
  await row.getByTestId('sensor-remove').click();
  await confirm.getByTestId('sensor-confirm-yes').click();
  await row.waitFor({ state: 'detached' });
  assert.match(await page.getByTestId('sensor-notice').textContent(), /Removed sensor e2e-added-03/);
  assert.equal(await putAs(consoleUri, NAME, newPassword, bodies[4]), 401, 'removed: refused');
  const kept = await page.evaluate(async (name) => (await (await fetch(`/api/v1/events?sensor=${name}`)).json()).events.length, NAME);
  assert.equal(kept, 4, 'its events stay');
  assert.deepEqual(page.problems, [], 'no page error, console error or dialog');
  await page.context().close();
});

test('a viewer sees sensor health but no sensor controls', async () => {
  const added = cli(['user', 'add', 'e2e-viewer', '--role', 'viewer', '--password-stdin', '--data-dir', dataDir], 'viewer-password-4\n');
  assert.equal(added.status, 0, added.stderr);
  const page = await sensorsPageAs('e2e-viewer', 'viewer-password-4');
  await page.locator(`[data-testid=sensor-row][data-sensor="${SENSOR}"]`).waitFor();
  assert.equal(await page.getByTestId('sensor-add').count(), 0);
  assert.equal(await page.getByTestId('sensor-rotate').count(), 0);
  assert.equal(await page.getByTestId('sensor-remove').count(), 0);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a sensor that stopped sending 10 minutes ago reads silent: Sensors page, dashboard strip, navigation', async () => {
  // A real server whose wall clock is 10 minutes behind stores the sensor's last upload; a
  // normal server then reads the same data dir.
  const oldDir = freshDataDir();
  const past = await startServer(oldDir, [], { clockOffset: '-10m' });
  const oldAdmin = past.firstAdminPassword();
  const added = cli(['sensor', 'add', 'quiet-01', '--password-stdin', '--data-dir', oldDir], 'quiet-password-1\n');
  assert.equal(added.status, 0, added.stderr);
  assert.equal(await mlogcPut(past.url, { sensor: 'quiet-01', password: 'quiet-password-1' }, bodies[0]), 200);
  await past.stop();

  const present = await startServer(oldDir);
  try {
    const page = await consolePage(browser, present.url);
    await signIn(page, present.url, 'admin', oldAdmin);
    const badge = page.getByTestId('nav-silent');
    await badge.waitFor();
    assert.equal(await badge.textContent(), '● 1');

    await page.getByTestId('nav-dashboard').click();
    const cell = page.locator('[data-testid=strip-sensor][data-sensor="quiet-01"]');
    await cell.waitFor();
    assert.match(await cell.getByTestId('strip-state').textContent(), /^silent (9|10|11) min$/);
    assert.match(await cell.getAttribute('class'), /\bsilent\b/);
    assert.equal(await page.getByTestId('strip-reporting').textContent(), '0 of 1 sending');

    await page.getByTestId('nav-sensors').click();
    const row = page.locator('[data-testid=sensor-row][data-sensor="quiet-01"]');
    await row.waitFor();
    assert.match(await row.getByTestId('sensor-state').textContent(), /^silent (9|10|11) min$/);
    assert.equal(await row.getByTestId('sensor-total').textContent(), '1');
    await page.screenshot({ path: join(ARTIFACTS, 'sensors-silent.png') });
    assertNoProblems(page);
    await page.context().close();
  } finally {
    await present.stop();
  }
});
