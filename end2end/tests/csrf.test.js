// CSRF (hardening issue): a page on another port of the console's host is same-site, so a
// signed-in admin's browser sends the SameSite=Strict session cookie along with its requests.
// Such a page tries to remove a sensor, by fetch and by a submitted form; the console refuses
// both (its Origin is not the console's), and the sensor is still there. The same request from
// the console's own page then works: the refusal is the origin check, not a malformed request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { cli, consolePage, launchBrowser, signIn, startConsoleWithSensor } from './harness.js';

const SENSOR = 'csrf-target-01';

let server;
let dataDir;
let adminPassword;
let browser;
let attacker;
let attackerUrl;
const attackerRequests = [];

function sensorExists() {
  const listed = cli(['sensor', 'list', '--data-dir', dataDir]);
  assert.equal(listed.status, 0, listed.stderr);
  return listed.stdout.includes(SENSOR);
}

/** The attacker's page: a fetch and an auto-submitted form to the console's sensor removal. */
function attackPage(consoleUrl) {
  const target = `${consoleUrl}/api/fn/sensor_remove`;
  return `<!doctype html><title>attacker</title>
<form id="f" method="POST" action="${target}" target="sink" enctype="application/x-www-form-urlencoded">
  <input name="name" value="${SENSOR}"></form>
<iframe name="sink"></iframe>
<script>
  fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', credentials: 'include',
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=${SENSOR}' })
    .finally(() => { document.getElementById('f').submit(); document.title = 'sent'; });
</script>`;
}

before(async () => {
  ({ server, dataDir, adminPassword } = await startConsoleWithSensor(SENSOR, 'csrf-sensor-password-1'));
  attacker = createServer((request, response) => {
    attackerRequests.push(request.url);
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(attackPage(server.url));
  });
  await new Promise((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerUrl = `http://127.0.0.1:${attacker.address().port}`;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  attacker?.close();
});

test('a same-site page on another port cannot remove a sensor with the admin session', async () => {
  const page = await consolePage(browser, server.url);
  await signIn(page, server.url, 'admin', adminPassword);
  const cookies = await page.context().cookies(server.url);
  assert.ok(cookies.some((cookie) => cookie.name === 'wafscope_session' && cookie.sameSite === 'Strict'), 'signed in with a strict cookie');

  const refusals = [];
  page.on('response', (response) => {
    if (response.url().endsWith('/api/fn/sensor_remove')) refusals.push(response.status());
  });
  await page.goto(attackerUrl + '/');
  await page.waitForFunction(() => document.title === 'sent');
  // both requests reached the console and were answered 403
  await page.waitForTimeout(500);
  await assert.ok(attackerRequests.length > 0);
  assert.ok(refusals.length >= 1 && refusals.every((status) => status === 403), `console answers: ${refusals}`);
  assert.ok(sensorExists(), 'the sensor survived the cross-origin requests');

  // the same request from the console's own page (same session) removes it
  await page.goto(server.url + '/');
  const status = await page.evaluate(async (name) => {
    const response = await fetch('/api/fn/sensor_remove', {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: `name=${name}`,
    });
    return response.status;
  }, SENSOR);
  assert.equal(status, 200);
  assert.ok(!sensorExists(), 'removed from the console\'s own origin');
  await page.context().close();
});
