// Sensors page (issue #6): a sensor that sent real fixture uploads shows its total, its
// rejected (409) and refused (401) uploads and the "sending" state; one that never sent says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARTIFACTS, cli, launchBrowser, startConsoleWithSensor, watchedPage } from './harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CAPTURES = join(root, 'fixtures', 'corpus', 'mlogc-captured');
const SENSOR = 'e2e-sensor-01';
const PASSWORD = 'e2e-sensor-password-9';
const CAP = 100_000;

let server;
let browser;
let adminPassword;

async function put(body, password = PASSWORD) {
  const response = await fetch(server.url + '/rpc/auditLogReceiver', {
    method: 'PUT',
    headers: { authorization: 'Basic ' + Buffer.from(`${SENSOR}:${password}`).toString('base64') },
    body,
  });
  await response.arrayBuffer();
  return response.status;
}

before(async () => {
  let dataDir;
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
  const bodies = readdirSync(CAPTURES).filter((name) => name.endsWith('.body')).sort().map((name) => readFileSync(join(CAPTURES, name))).filter((body) => body.length < CAP).slice(0, 12);
  for (const body of bodies) assert.equal(await put(body), 200);
  assert.equal(await put(Buffer.alloc(CAP + 1, 'x')), 409, 'over the cap');
  assert.equal(await put(bodies[0], 'wrong-password'), 401);

  const page = await watchedPage(browser, { viewport: { width: 1440, height: 900 }, colorScheme: 'dark' });
  await page.goto(server.url + '/');
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
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
