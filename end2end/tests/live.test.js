// Live console end-to-end (issue #5): real mlogc uploads from the fixture corpus into the
// release binary, then Live, Events and Event pages in chromium. Covers: a row on Live within a
// second without reload, pause, URL filters, keyboard navigation, prev/next within the filter,
// the rule ids of a fixture event, the raw download byte for byte, XSS payloads as plain text,
// and screenshots of each page in both themes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ARTIFACTS, assertNoProblems, captures, consolePage, launchBrowser, mlogcUpload, section, signIn, startConsoleWithSensor, uniqueId,
} from './harness.js';

const SENSOR = { sensor: 'e2e-web-01', password: 'e2e-sensor-password-1' };

let server;
let browser;

let adminPassword;
const uploaded = new Map(); // unique id -> body (Buffer)

function ruleIds(body) {
  return [...new Set([...section(body, 'H').matchAll(/\[id "(\d+)"\]/g)].map((m) => m[1]))].sort();
}

async function upload(body, headers = []) {
  await mlogcUpload(server.url, SENSOR, body, headers);
  uploaded.set(uniqueId(body), body);
}

const newPage = (options = {}) => consolePage(browser, server.url, { acceptDownloads: true, ...options });
const login = (page) => signIn(page, server.url, 'admin', adminPassword);

/** The stored event id of an uploaded unique id (through the page's session). */
async function eventId(page, unique) {
  const id = await page.evaluate(async (wanted) => {
    const answer = await (await fetch('/api/v1/events?limit=1000')).json();
    return answer.events.find((event) => event.unique_id === wanted)?.id ?? null;
  }, unique);
  assert.ok(id, `event ${unique} stored`);
  return id;
}

function rowIds(page, table) {
  return page.locator(`[data-testid=${table}] tbody tr`).evaluateAll((rows) => rows.map((row) => row.dataset.id));
}

before(async () => {
  ({ server, adminPassword } = await startConsoleWithSensor(SENSOR.sensor, SENSOR.password));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const all = captures();
// 000015: POST /app/api/search, sections A B C F E H Z, rules 942100 949110 980130.
const first = all.find((capture) => capture.name === '000015.body');

test('an empty console explains how to add a sensor', async () => {
  const page = await newPage();
  await login(page);
  const help = page.getByTestId('no-events');
  await help.waitFor();
  assert.match(await help.textContent(), /wafscope sensor add NAME --url http:\/\/127\.0\.0\.1:\d+/);
  assert.match(await help.textContent(), /mlogc\.conf/);
  await page.goto(server.url + '/events');
  await page.getByTestId('no-events').waitFor();
  assertNoProblems(page);
  await page.context().close();
});

test('Live: a row appears within a second of an upload, without reload; pause counts new ones', async () => {
  const page = await newPage();
  await login(page);
  await page.waitForFunction(() => document.querySelector('[data-testid=live-state]')?.textContent.includes('Live'));
  await page.evaluate(() => { window.__sameDocument = true; });

  await upload(first.body, first.headers);
  const uploadedAt = Date.now();
  const row = page.locator('[data-testid=live-table] tbody tr', { hasText: '/app/api/search' });
  await row.waitFor({ timeout: 1000 });
  const latency = Date.now() - uploadedAt;
  assert.ok(latency <= 1000, `row after ${latency} ms`);
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');
  const text = await row.textContent();
  assert.match(text, /942100/);
  assert.match(text, /blocked/);
  assert.match(text, /CRITICAL/);
  assert.match(text, /\+2/, 'two more rules');

  // A burst: every upload becomes exactly one row, newest first.
  const burst = all.filter((capture) => capture !== first).slice(0, 40);
  for (const capture of burst) await upload(capture.body, capture.headers);
  await page.waitForFunction((count) => document.querySelectorAll('[data-testid=live-table] tbody tr').length === count, burst.length + 1, { timeout: 5000 });
  const ids = await rowIds(page, 'live-table');
  assert.equal(new Set(ids).size, ids.length, 'no duplicate rows');
  assert.deepEqual([...ids].sort().reverse(), ids, 'newest first');
  await page.waitForFunction(() => /\d/.test(document.querySelector('[data-testid=rate]')?.textContent ?? ''));

  // Space pauses: new events are counted, not shown; Space again shows them.
  await page.keyboard.press('Space');
  await page.waitForFunction(() => document.querySelector('[data-testid=live-state]').textContent.includes('Paused'));
  const paused = all.filter((capture) => capture !== first).slice(40, 43);
  for (const capture of paused) await upload(capture.body, capture.headers);
  await page.getByTestId('new-count').filter({ hasText: '3 new' }).waitFor({ timeout: 3000 });
  assert.equal((await rowIds(page, 'live-table')).length, burst.length + 1, 'paused: table unchanged');
  await page.screenshot({ path: join(ARTIFACTS, 'live-paused-dark.png') });
  await page.keyboard.press('Space');
  await page.waitForFunction((count) => document.querySelectorAll('[data-testid=live-table] tbody tr').length === count, burst.length + 4);
  await page.waitForTimeout(2600); // let the "just arrived" tint fade for the screenshot
  await page.screenshot({ path: join(ARTIFACTS, 'live-dark.png') });
  assertNoProblems(page);
  await page.context().close();

  const light = await newPage({ colorScheme: 'light' });
  await login(light);
  await light.locator('[data-testid=live-table] tbody tr').first().waitFor();
  await light.screenshot({ path: join(ARTIFACTS, 'live-light.png') });
  assertNoProblems(light);
  await light.context().close();
});

test('Live applies the URL filter on the server stream', async () => {
  const page = await newPage();
  await login(page);
  await page.goto(server.url + '/live?rule=941100');
  await page.waitForFunction(() => document.querySelector('[data-testid=live-state]')?.textContent.includes('Live'));
  const before = await rowIds(page, 'live-table');
  const xss = all.filter((capture) => !uploaded.has(uniqueId(capture.body)));
  const matching = xss.find((capture) => ruleIds(capture.body).includes('941100'));
  const other = xss.find((capture) => ruleIds(capture.body).length > 0 && !ruleIds(capture.body).includes('941100'));
  await upload(other.body, other.headers);
  await upload(matching.body, matching.headers);
  await page.waitForFunction((count) => document.querySelectorAll('[data-testid=live-table] tbody tr').length === count + 1, before.length, { timeout: 2000 });
  await page.waitForTimeout(300);
  const ids = await rowIds(page, 'live-table');
  assert.equal(ids.length, before.length + 1, 'only the matching upload arrived');
  const chips = await page.getByTestId('filter-chip').allTextContents();
  assert.deepEqual(chips.map((chip) => chip.replace('×', '')), ['rule:941100']);
  assertNoProblems(page);
  await page.context().close();
});

test('Events: a URL filter shows only matching events; clicks add filters; j/k/Enter; prev/next keep the filter', async () => {
  const page = await newPage();
  await login(page);
  const expected = [...uploaded.values()].filter((body) => ruleIds(body).includes('942100')).length;
  assert.ok(expected >= 2 && expected < uploaded.size, `fixture choice: ${expected} of ${uploaded.size}`);

  await page.goto(server.url + '/events');
  await page.locator('[data-testid=events-table] tbody tr').first().waitFor();
  assert.equal((await rowIds(page, 'events-table')).length, uploaded.size);

  await page.goto(server.url + '/events?rule=942100');
  await page.waitForFunction((count) => document.querySelectorAll('[data-testid=events-table] tbody tr').length === count, expected);
  await page.waitForTimeout(300);
  const ids = await rowIds(page, 'events-table');
  assert.equal(ids.length, expected);
  const stored = await page.evaluate(async () => (await (await fetch('/api/v1/events?limit=1000')).json()).events);
  const expectedIds = stored.filter((event) => event.rule_ids.includes(942100)).map((event) => String(event.id));
  assert.deepEqual(ids, expectedIds);
  await page.screenshot({ path: join(ARTIFACTS, 'events-filtered-dark.png') });

  // A typed filter and an inverted chip go into the URL.
  await page.getByTestId('filter-input').fill('!status:200');
  await page.getByTestId('filter-input').press('Enter');
  await page.waitForURL(/rule=942100&status=%21200|status=%21200/);
  await page.getByTestId('filter-chip').filter({ hasText: 'status:200' }).getByRole('button', { name: /remove/ }).click();
  await page.waitForURL((url) => !url.search.includes('status'));
  await page.getByTestId('filter-input').fill('rule:abc');
  await page.getByTestId('filter-input').press('Enter');
  assert.match(await page.getByTestId('filter-error').textContent(), /numeric rule id/);
  await page.getByTestId('filter-input').fill('');

  // Clicking a value in a row adds it as a filter.
  await page.locator('[data-testid=events-table] tbody tr').first().locator('td.col-sensor button').click();
  await page.waitForURL(new RegExp(`sensor=${SENSOR.sensor}`));
  assert.ok(new URL(page.url()).search.includes('rule=942100'));
  await page.goto(server.url + '/events?rule=942100');
  await page.waitForFunction((count) => document.querySelectorAll('[data-testid=events-table] tbody tr').length === count, expected);

  // j j Enter opens the second row, with the filter carried in the URL.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  assert.equal(await page.locator('tr.cursor').getAttribute('data-id'), ids[1]);
  await page.keyboard.press('k');
  await page.keyboard.press('j');
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`/events/${ids[1]}\\?rule=942100$`));
  await page.getByTestId('event-summary').waitFor();
  const newer = page.getByTestId('newer');
  const older = page.getByTestId('older');
  await page.waitForFunction(() => document.querySelector('[data-testid=newer]')?.getAttribute('href'));
  assert.equal(await newer.getAttribute('href'), `/events/${ids[0]}?rule=942100`);
  if (ids.length > 2) {
    await page.waitForFunction(() => document.querySelector('[data-testid=older]')?.getAttribute('href'));
    assert.equal(await older.getAttribute('href'), `/events/${ids[2]}?rule=942100`);
  }
  await page.keyboard.press('k');
  await page.waitForURL(new RegExp(`/events/${ids[0]}\\?rule=942100$`));
  await page.waitForFunction(() => document.querySelector('[data-testid=older]')?.getAttribute('href'));
  assert.equal(await older.getAttribute('href'), `/events/${ids[1]}?rule=942100`);
  assert.equal(await newer.getAttribute('href'), null, 'the newest has no newer one');
  assertNoProblems(page);
  await page.context().close();
});

test('Event page shows the fixture rule ids; the raw download is byte-identical', async () => {
  const page = await newPage();
  await login(page);
  const unique = uniqueId(first.body);
  const id = await eventId(page, unique);
  await page.goto(`${server.url}/events/${id}`);
  await page.getByTestId('rule-messages').waitFor();
  const shown = [...new Set(await page.getByTestId('rule-id').allTextContents())].sort();
  assert.deepEqual(shown, ruleIds(first.body));
  assert.deepEqual(shown, ['942100', '949110', '980130']);
  assert.equal(await page.getByTestId('rule-id').first().getAttribute('href'), '/events?rule=942100');
  assert.equal(await page.getByTestId('unique-id').textContent(), unique);
  assert.match(await page.getByTestId('event-summary').textContent(), /Blocked 403 \(phase 2\)/);
  // The entry's zone (+0000) and milliseconds; the parser takes the instant from Stopwatch.
  assert.match(await page.getByTestId('event-time').textContent(), /^2026-11-25 03:22:53\.26\d \+00:00$/);
  assert.match(await page.getByTestId('event-summary').textContent(), /2026-11-25 03:22:53\.26\d UTC/);
  assert.match(await page.getByTestId('request-panel').textContent(), /"filter": "1' or 1=1 -- "/);
  await page.screenshot({ path: join(ARTIFACTS, 'event-dark.png'), fullPage: true });

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('raw-download').click()]);
  const bytes = readFileSync(await download.path());
  assert.ok(bytes.equals(first.body), `raw download: ${bytes.length} bytes vs ${first.body.length} uploaded`);

  // A binary body opens in hex: upload a copy of the entry whose C section has raw bytes.
  const binary = Buffer.concat([
    Buffer.from(first.body.toString('latin1').replace(unique, 'e2eBinaryBody00000000000000').split('--3ea1d659-C--\n')[0] + '--3ea1d659-C--\n', 'latin1'),
    Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x50, 0x4b, 0x03, 0x04, 0x0a]),
    Buffer.from('--3ea1d659-F--\n' + first.body.toString('latin1').split('--3ea1d659-F--\n')[1], 'latin1'),
  ]);
  await upload(binary);
  await page.goto(`${server.url}/events/${await eventId(page, 'e2eBinaryBody00000000000000')}`);
  const hex = page.getByTestId('request-body').getByTestId('hexdump');
  await hex.waitFor();
  assert.match(await hex.textContent(), /00 01 ff fe 50 4b 03 04/);
  assertNoProblems(page);
  await page.context().close();

  const light = await newPage({ colorScheme: 'light' });
  await login(light);
  await light.goto(`${server.url}/events/${id}`);
  await light.getByTestId('rule-messages').waitFor();
  await light.screenshot({ path: join(ARTIFACTS, 'event-light.png'), fullPage: true });
  await light.goto(`${server.url}/events`);
  await light.locator('[data-testid=events-table] tbody tr').first().waitFor();
  await light.screenshot({ path: join(ARTIFACTS, 'events-light.png') });
  assertNoProblems(light);
  await light.context().close();
});

// --- XSS: payloads in every part a sensor controls stay text ------------------------------
const PAYLOADS = {
  uri: "<script>alert('xss-uri')</script>",
  uriJs: 'javascript:alert(document.domain)',
  agent: "<img src=x onerror=alert('xss-agent')>",
  referer: "javascript:alert('xss-referer')",
  template: "{{constructor.constructor('alert(1)')()}}",
  host: "shop.example<svg onload=alert('xss-host')>",
  body: "<svg/onload=alert('xss-body')><iframe src=\"javascript:alert('xss-iframe')\"></iframe>",
  responseHeader: "<script src=http://evil.example/x.js></script>",
  responseBody: "<img src=http://evil.example/pixel.png onerror=alert('xss-resp')>",
  msg: "XSS Attack <svg onload=alert('xss-msg')> {{7*7}}",
  data: "Matched Data: <script>alert('xss-data')</script> found within ARGS:q",
  tag: "<img src=x onerror=alert('xss-tag')>",
};

/** A copy of the real native entry 000015 with payloads in sections A, B, C, F, E and H. */
function xssEntry(unique) {
  const original = first.body.toString('latin1');
  const boundary = '3ea1d659';
  const part = (letter, text) => `--${boundary}-${letter}--\n${text}`;
  const a = section(first.body, 'A').replace(uniqueId(first.body), unique);
  const requestBody = `comment=${PAYLOADS.body}&tpl=${PAYLOADS.template}`;
  const b = [
    `POST /app/search?q=${PAYLOADS.uri}&next=${PAYLOADS.uriJs} HTTP/1.1`,
    `Host: ${PAYLOADS.host}`,
    `User-Agent: ${PAYLOADS.agent}`,
    `Referer: ${PAYLOADS.referer}`,
    `X-Template: ${PAYLOADS.template}`,
    'Content-Type: application/x-www-form-urlencoded',
    `Content-Length: ${Buffer.byteLength(requestBody)}`,
    '', '',
  ].join('\n');
  const f = [
    'HTTP/1.1 403 Forbidden',
    `X-Echo: ${PAYLOADS.responseHeader}`,
    'Content-Type: text/html',
    '', '',
  ].join('\n');
  const e = `${PAYLOADS.responseBody}\n\n`;
  const h = section(first.body, 'H').replace(
    /^(Message: Warning\. detected SQLi[^\n]*)$/m,
    `Message: Warning. detected XSS using libinjection. [file "/usr/share/modsecurity-crs/rules/REQUEST-941-APPLICATION-ATTACK-XSS.conf"] [line "55"] [id "941100"] [msg "${PAYLOADS.msg}"] [data "${PAYLOADS.data}"] [severity "CRITICAL"] [ver "OWASP_CRS/3.3.4"] [tag "attack-xss"] [tag "${PAYLOADS.tag}"] [tag "paranoia-level/1"]\n$1`,
  );
  assert.ok(h.includes('xss-msg'), 'H section edited');
  const text = [part('A', a), part('B', b), part('C', requestBody + '\n'), part('F', f), part('E', e), part('H', h), `--${boundary}-Z--\n`].join('');
  assert.ok(original.includes(`--${boundary}-Z--`));
  return Buffer.from(text, 'utf8');
}

async function assertNoMarkupFromData(page) {
  const found = await page.evaluate(() => ({
    elements: document.querySelectorAll('main script, main img, main iframe, main object, main embed, main svg:not(.sparkline):not(.icon)').length,
    jsLinks: [...document.querySelectorAll('[href], [src]')].map((el) => el.getAttribute('href') ?? el.getAttribute('src')).filter((url) => /^\s*javascript:/i.test(url) || /evil\.example/.test(url)),
    handlers: [...document.querySelectorAll('main *')].filter((el) => [...el.attributes].some((attr) => attr.name.startsWith('on'))).length,
  }));
  assert.deepEqual(found, { elements: 0, jsLinks: [], handlers: 0 });
}

async function assertVisibleText(page, scope, texts) {
  for (const text of texts) {
    const match = scope.getByText(text, { exact: false }).first();
    await match.waitFor({ timeout: 3000 }).catch(() => {});
    assert.ok(await match.isVisible(), `visible verbatim: ${text}`);
  }
}

test('XSS payloads from a sensor are shown verbatim as text on Live, Events and Event', async () => {
  const page = await newPage();
  await login(page);
  await page.waitForFunction(() => document.querySelector('[data-testid=live-state]')?.textContent.includes('Live'));
  const unique = 'e2eXssPayload' + randomBytes(7).toString('hex');
  const body = xssEntry(unique);
  await upload(body);

  const liveRow = page.locator('[data-testid=live-table] tbody tr', { hasText: 'xss-uri' });
  await liveRow.waitFor({ timeout: 2000 });
  const liveText = await liveRow.textContent();
  for (const payload of [PAYLOADS.uri, PAYLOADS.uriJs, PAYLOADS.host, PAYLOADS.msg]) {
    assert.ok(liveText.includes(payload), `Live row has ${payload}: ${liveText}`);
  }
  await assertVisibleText(page, liveRow, [`?q=${PAYLOADS.uri}&next=${PAYLOADS.uriJs}`, PAYLOADS.host, 'XSS Attack <svg onload']);
  await assertNoMarkupFromData(page);
  await page.screenshot({ path: join(ARTIFACTS, 'live-xss-dark.png') });

  await page.goto(server.url + '/events?rule=941100');
  const eventsRow = page.locator('[data-testid=events-table] tbody tr', { hasText: 'xss-uri' });
  await eventsRow.waitFor();
  assert.ok((await eventsRow.textContent()).includes(PAYLOADS.uri));
  await assertVisibleText(page, eventsRow, [`?q=${PAYLOADS.uri}`, PAYLOADS.host]);
  await assertNoMarkupFromData(page);

  await eventsRow.locator('td.col-time a').click();
  await page.getByTestId('rule-messages').waitFor();
  await assertVisibleText(page, page.getByTestId('event-summary'), [PAYLOADS.uri, PAYLOADS.host]);
  await assertVisibleText(page, page.getByTestId('rule-messages'), [PAYLOADS.msg, PAYLOADS.data, PAYLOADS.tag]);
  await assertVisibleText(page, page.getByTestId('request-panel'), [PAYLOADS.agent, PAYLOADS.referer, PAYLOADS.template, PAYLOADS.body]);
  await assertNoMarkupFromData(page);
  await page.screenshot({ path: join(ARTIFACTS, 'event-xss-dark.png'), fullPage: true });
  await page.getByTestId('tab-response').click();
  await assertVisibleText(page, page.getByTestId('response-panel'), [PAYLOADS.responseHeader, PAYLOADS.responseBody]);
  await assertNoMarkupFromData(page);
  // The hex view of the same body is text too.
  await page.getByTestId('response-body').getByRole('button', { name: 'Hex' }).click();
  const responseHex = page.getByTestId('response-body').getByTestId('hexdump');
  await assertVisibleText(page, responseHex, ['<img src=http:/', '3c 69 6d 67 20 73 72 63']);
  await assertNoMarkupFromData(page);

  assertNoProblems(page);
  await page.context().close();
});
