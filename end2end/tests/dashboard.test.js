// Dashboard end-to-end (issue #6): real mlogc uploads of the fixture corpus into the release
// binary, then /dashboard in chromium. Covers: the empty state of a window without events and a
// live update without reload when an event is stored (and no refetch while nothing happens);
// the top rules as counted independently over /api/v1/events pages (ids, counts, order), the
// totals, the timeline and histogram bars and their axes; clicks through to Events (top rule
// row, timeline bin, histogram bar with its score filter); the scoring-rule switch; the sensor
// strip; a custom window typed in another time zone; payloads from a sensor shown
// as text; screenshots in both themes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  ARTIFACTS, assertNoProblems, captures, consolePage, launchBrowser, mlogcUpload, signIn, startConsoleWithSensor, uniqueId,
} from './harness.js';

const SENSOR = { sensor: 'e2e-dash-01', password: 'e2e-dash-password-3' };
const HOUR = 3_600_000;

let server;
let browser;
let adminPassword;
const fixtureIds = new Set(); // unique ids of the uploaded fixture captures

async function upload(body, headers = []) {
  await mlogcUpload(server.url, SENSOR, body, headers);
}

const all = captures();
// 000015: POST /app/api/search on www.example.test, rules 942100 949110 980130.
const first = all.find((capture) => capture.name === '000015.body');

/** A copy of 000015 with a new unique id, edited by `edit(text)`; optionally happening now. */
function variant(unique, { now = false, edit = (text) => text } = {}) {
  let text = first.body.toString('latin1').replace(uniqueId(first.body), unique);
  if (now) {
    const date = new Date();
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const two = (n) => String(n).padStart(2, '0');
    const stamp = `${two(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}.${String(date.getUTCMilliseconds() * 1000).padStart(6, '0')} +0000`;
    const micros = String(date.getTime() * 1000);
    text = text.replace(/^\[[^\]]+\]/m, `[${stamp}]`).replace(/^(Stopwatch2?: )\d+/gm, `$1${micros}`);
  }
  return Buffer.from(edit(text), 'latin1');
}

/** A console page that also counts its requests to /api/v1/stats in `page.statsRequests`. */
async function newPage(options = {}) {
  const page = await consolePage(browser, server.url, options);
  page.statsRequests = 0;
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/api/v1/stats') page.statsRequests += 1;
  });
  return page;
}

const login = (page) => signIn(page, server.url, 'admin', adminPassword);
/** Every stored event in [from, to) (ms), through the list API, following `next_before`. */
async function eventsBetween(page, from, to) {
  return page.evaluate(async ([fromMs, toMs]) => {
    const events = [];
    let before = null;
    for (let pages = 0; pages < 100; pages += 1) {
      const query = `limit=1000&from=${fromMs}&to=${toMs}` + (before ? `&before=${before}` : '');
      const answer = await (await fetch('/api/v1/events?' + query)).json();
      events.push(...answer.events);
      if (!answer.next_before) return events;
      before = answer.next_before;
    }
    throw new Error('too many pages');
  }, [from, to]);
}

/** Rules by how many events carry them, as the dashboard orders them: count, then id as text. */
function rankRules(events) {
  const counts = new Map();
  for (const event of events) {
    for (const rule of new Set(event.rule_ids)) counts.set(String(rule), (counts.get(String(rule)) ?? 0) + 1);
  }
  return [...counts].map(([id, count]) => ({ id, count })).sort((a, b) => b.count - a.count || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const numberIn = (text) => Number(text.replace(/[^\d]/g, ''));

/** The counts in the aria labels of chart bars (`… 12 events: …`). */
async function barTotals(page, testId) {
  const labels = await page.getByTestId(testId).evaluateAll((bars) => bars.map((bar) => bar.getAttribute('aria-label')));
  return labels.map((label) => numberIn(label.match(/([\d,]+) events:/)[1]));
}

before(async () => {
  ({ server, adminPassword } = await startConsoleWithSensor(SENSOR.sensor, SENSOR.password));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a window without events explains itself, then updates live when an event is stored', async () => {
  const page = await newPage();
  await login(page);
  await page.getByTestId('nav-dashboard').click();
  await page.waitForURL(/\/dashboard$/);
  await page.getByTestId('range-15m').click();
  await page.waitForURL(/\/dashboard\?range=15m$/);
  const empty = page.getByTestId('dashboard-empty');
  await empty.waitFor();
  assert.match(await empty.textContent(), /No events in this window/);
  assert.match(await empty.textContent(), /last 7 d/);
  assert.equal(await page.getByTestId('range-15m').getAttribute('aria-pressed'), 'true');
  await page.waitForFunction(() => document.querySelector('[data-testid=dashboard-live]')?.textContent.includes('Live'));
  await page.evaluate(() => { window.__sameDocument = true; });

  // Nothing stored: the stream's stats arrive every second, but nothing is asked again.
  const idleFrom = page.statsRequests;
  await page.waitForTimeout(5000);
  assert.equal(page.statsRequests, idleFrom, 'no refetch while no event is stored');

  await upload(variant('e2eDashboardNow0000000000001', { now: true }));
  await page.getByTestId('kpi-total').waitFor({ timeout: 15_000 });
  assert.equal(numberIn(await page.getByTestId('kpi-total').locator('.kpi-value').textContent()), 1);
  assert.equal(numberIn(await page.getByTestId('kpi-blocked').locator('.kpi-value').textContent()), 1);
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'updated without reload');
  assert.deepEqual(await barTotals(page, 'timeline-bin'), [1]);
  const refetches = page.statsRequests - idleFrom;
  assert.ok(refetches >= 1 && refetches <= 3, `throttled refetches: ${refetches}`);
  assertNoProblems(page);
  await page.context().close();
});

test('the fixture corpus: top rules as counted over /api/v1/events, charts, click-through to Events', async () => {
  for (const capture of all) {
    await upload(capture.body, capture.headers);
    fixtureIds.add(uniqueId(capture.body));
  }
  const page = await newPage({ timezoneId: 'UTC' });
  await login(page);

  // The window: whole UTC hours around the fixtures' own event times (they are old).
  const stored = (await eventsBetween(page, 0, Date.now() + HOUR)).filter((event) => fixtureIds.has(event.unique_id));
  assert.equal(stored.length, all.length, 'every capture stored once');
  const times = stored.map((event) => Math.floor((event.time ?? event.received_at) / 1000));
  const from = Math.floor(Math.min(...times) / HOUR) * HOUR;
  const to = Math.ceil((Math.max(...times) + 1) / HOUR) * HOUR;
  const inWindow = await eventsBetween(page, from, to);
  // CRS's scoring rules (949/959 blocking evaluation, 980 correlation) are hidden by default
  const rankedAll = rankRules(inWindow);
  const ranked = rankedAll.filter(({ id }) => !/^(949|959|980)\d{3}$/.test(id));
  assert.ok(ranked.length >= 5 && rankedAll.length >= 10, `fixture rules: ${ranked.length} of ${rankedAll.length}`);
  assert.notEqual(rankedAll[0].id, ranked[0].id, 'a scoring rule leads the full count');
  const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');
  const query = `from=${encodeURIComponent(iso(from))}&to=${encodeURIComponent(iso(to))}`;

  await page.goto(`${server.url}/dashboard?${query}`);
  const rules = page.getByTestId('top-rules');
  await rules.getByTestId('top-row').first().waitFor();
  const ruleRows = () => rules.getByTestId('top-row').evaluateAll((items) => items.map((item) => ({
    id: item.dataset.value,
    count: Number(item.querySelector('[data-testid=top-count]').textContent.replace(/[^\d]/g, '')),
    shownId: item.querySelector('[data-testid=top-rule-id]').textContent,
  })));
  const rows = await ruleRows();
  assert.equal(rows[0].id, ranked[0].id, `top rule ${JSON.stringify(rows[0])} vs ${JSON.stringify(ranked.slice(0, 3))}`);
  assert.equal(rows[0].shownId, ranked[0].id);
  assert.equal(rows[0].count, ranked[0].count);
  assert.deepEqual(rows.map(({ id, count }) => ({ id, count })), ranked.slice(0, 10), 'top list = independent count');
  // with the scoring rules shown, the list is the full count
  await rules.getByTestId('hide-scoring').uncheck();
  await rules.locator(`[data-testid=top-row][data-value="${rankedAll[0].id}"]`).waitFor();
  assert.deepEqual((await ruleRows()).map(({ id, count }) => ({ id, count })), rankedAll.slice(0, 10), 'all rules = independent count');
  await rules.getByTestId('hide-scoring').check();
  await rules.locator(`[data-testid=top-row][data-value="${rankedAll[0].id}"]`).waitFor({ state: 'detached' });

  // The sensor strip: the one sensor, sending, opens the dashboard narrowed to it.
  const strip = page.getByTestId('sensor-strip');
  assert.equal(await strip.getByTestId('strip-reporting').textContent(), '1 of 1 sending');
  const stripSensor = strip.getByTestId('strip-sensor');
  assert.equal(await stripSensor.count(), 1);
  assert.equal(await stripSensor.getAttribute('data-sensor'), SENSOR.sensor);
  assert.equal(await stripSensor.getByTestId('strip-state').textContent(), 'sending');
  assert.match(await stripSensor.textContent(), /ev\/min · last \d+ s ago/);
  assert.equal(new URL(await stripSensor.getAttribute('href'), server.url).searchParams.get('sensor'), SENSOR.sensor);
  const label = await rules.getByTestId('top-row').first().locator('.bar-text').textContent();
  const newest = inWindow.find((event) => event.top_rule === Number(ranked[0].id));
  if (newest) assert.equal(label, newest.top_message, 'the rule message of its newest event');

  // Totals by action, counted independently.
  const kpi = async (name) => numberIn(await page.getByTestId(`kpi-${name}`).locator('.kpi-value').textContent());
  assert.equal(await kpi('total'), inWindow.length);
  for (const action of ['blocked', 'detected', 'passed']) {
    assert.equal(await kpi(action), inWindow.filter((event) => event.action === action).length, action);
  }

  // The charts: bars that add up to the total, count and time axes, a legend, tooltips.
  assert.equal((await barTotals(page, 'timeline-bin')).reduce((a, b) => a + b, 0), inWindow.length);
  assert.equal((await barTotals(page, 'histogram-bar')).reduce((a, b) => a + b, 0), inWindow.length);
  assert.ok(await page.locator('[data-testid=timeline] rect.seg').count() >= 1, 'timeline segments');
  assert.ok(await page.locator('[data-testid=histogram] rect.seg').count() >= 2, 'histogram segments');
  const timeTicks = await page.locator('[data-testid=timeline] text.time-tick').allTextContents();
  assert.ok(timeTicks.length >= 4, `time ticks: ${timeTicks}`);
  for (const tick of timeTicks) assert.match(tick, /^(\d\d:\d\d|\d{1,2} [A-Z][a-z]{2})$/);
  assert.ok(timeTicks.includes('03:30') || timeTicks.includes('03:20'), `ticks in the page's zone (UTC): ${timeTicks}`);
  const countTicks = await page.locator('[data-testid=timeline] .axis text:not(.time-tick)').allTextContents();
  assert.equal(countTicks[0], '0');
  assert.ok(countTicks.length >= 3, `count ticks: ${countTicks}`);
  assert.match(await page.locator('[data-testid=timeline-bin] title').first().textContent(), /25 Nov \d\d:\d\d – \d\d:\d\d\n\d+ events: \d+ blocked/);
  assert.deepEqual(await page.getByTestId('chart-legend').locator('a').allTextContents(), ['blocked', 'detected', 'passed']);
  assert.match(await page.getByTestId('dashboard-window').textContent(), /25 Nov 0\d:00 – 0\d:00 UTC/);
  assert.match(await page.getByTestId('dashboard-live').textContent(), /Fixed range/, 'a custom window is not live');
  for (const list of ['client-ips', 'paths', 'hosts', 'sensors', 'statuses', 'severities']) {
    assert.ok(await page.getByTestId(`top-${list}`).getByTestId('top-row').count() >= 1, list);
  }
  assert.equal(await page.getByTestId('top-sensors').getByTestId('top-row').first().getAttribute('data-value'), SENSOR.sensor);
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-dark.png'), fullPage: true });

  // The top rule row opens Events with rule=<id> added to the dashboard's window.
  await page.evaluate(() => { window.__sameDocument = true; });
  await rules.getByTestId('top-row').first().click();
  await page.waitForURL(/\/events\?/);
  const opened = new URL(page.url()).searchParams;
  assert.equal(opened.get('rule'), ranked[0].id);
  assert.equal(opened.get('from'), iso(from));
  assert.equal(opened.get('to'), iso(to));
  await page.waitForFunction((count) => document.querySelectorAll('[data-testid=events-table] tbody tr').length === count, ranked[0].count);
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'client-side navigation');

  // A timeline bin opens Events for its own span.
  await page.goBack();
  await page.getByTestId('timeline-bin').first().waitFor();
  const bin = page.getByTestId('timeline-bin').first();
  const binCount = numberIn((await bin.getAttribute('aria-label')).match(/([\d,]+) events:/)[1]);
  await bin.click();
  await page.waitForURL(/\/events\?from=/);
  const span = new URL(page.url()).searchParams;
  const [binFrom, binTo] = [Date.parse(span.get('from')), Date.parse(span.get('to'))];
  assert.ok(binFrom >= from && binTo <= to && binTo > binFrom, `bin ${span}`);
  const expectedInBin = inWindow.filter((event) => (event.time ?? event.received_at) / 1000 >= binFrom && (event.time ?? event.received_at) / 1000 < binTo).length;
  assert.equal(binCount, expectedInBin);
  await page.waitForFunction((count) => document.querySelectorAll('[data-testid=events-table] tbody tr').length === count, expectedInBin);

  // Each histogram bar opens Events with a score filter selecting exactly its events.
  await page.goBack();
  await page.getByTestId('histogram-bar').first().waitFor();
  const bars = page.getByTestId('histogram-bar');
  const scored = (event) => event.anomaly_score ?? null;
  for (let index = 0; index < await bars.count(); index += 1) {
    const href = new URL(await bars.nth(index).getAttribute('data-href'), server.url).searchParams;
    const value = href.get('score');
    const [low, high] = value === 'none' ? [null, null] : value.includes('-') ? value.split('-').map(Number) : [Number(value), Number(value)];
    const expected = inWindow.filter((event) => (low === null ? scored(event) === null : scored(event) !== null && scored(event) >= low && scored(event) <= high)).length;
    const label = await bars.nth(index).getAttribute('aria-label');
    assert.equal(numberIn(label.match(/([\d,]+) events:/)[1]), expected, `bar ${value}: ${label}`);
  }
  const tallest = (await barTotals(page, 'histogram-bar')).reduce((best, count, index, all) => (count > all[best] ? index : best), 0);
  const tallestCount = (await barTotals(page, 'histogram-bar'))[tallest];
  await bars.nth(tallest).click();
  await page.waitForURL(/\/events\?.*score=/);
  assert.equal(new URL(page.url()).searchParams.get('from'), iso(from), 'the window is kept');
  await page.waitForFunction((count) => document.querySelectorAll('[data-testid=events-table] tbody tr').length === count, tallestCount);
  // A view already filtered by score keeps its own score filter (one condition per field).
  await page.goto(`${server.url}/dashboard?${query}&score=!5`);
  await page.getByTestId('histogram-bar').first().waitFor();
  const kept = await page.getByTestId('histogram-bar').evaluateAll((items) => items.map((item) => new URL(item.dataset.href, location.href).searchParams.get('score')));
  assert.ok(kept.length >= 2 && kept.every((score) => score === '!5'), `bars keep score=!5: ${kept}`);
  assertNoProblems(page);
  await page.context().close();

  // Light theme, in a zone east of UTC, with the window typed into the custom inputs.
  const light = await newPage({ colorScheme: 'light', timezoneId: 'Asia/Kolkata' });
  await login(light);
  await light.goto(`${server.url}/dashboard?range=24h`);
  await light.getByTestId('range-custom').click();
  const local = (ms) => new Date(ms + 330 * 60_000).toISOString().slice(0, 16);
  await light.getByTestId('custom-from').fill(local(from));
  await light.getByTestId('custom-to').fill(local(to));
  await light.getByTestId('custom-range').getByRole('button', { name: 'Apply' }).click();
  await light.waitForURL((url) => url.searchParams.get('from') === iso(from) && url.searchParams.get('to') === iso(to));
  await light.getByTestId('top-rules').getByTestId('top-row').first().waitFor();
  assert.equal(await light.getByTestId('top-rules').getByTestId('top-row').first().getAttribute('data-value'), ranked[0].id);
  assert.match(await light.getByTestId('dashboard-window').textContent(), /25 Nov 0\d:30 – 0\d:30 UTC\+05:30/);
  const zonedTicks = await light.locator('[data-testid=timeline] text.time-tick').allTextContents();
  assert.ok(zonedTicks.some((tick) => /^0[89]:\d0$/.test(tick)), `ticks in +05:30: ${zonedTicks}`);
  await light.waitForTimeout(300);
  await light.screenshot({ path: join(ARTIFACTS, 'dashboard-light.png'), fullPage: true });
  assertNoProblems(light);
  await light.context().close();
});

const PAYLOADS = {
  path: "/shop/<script>alert('xss-path')</script>",
  host: "shop.example<svg onload=alert('xss-host')>",
  msg: "SQLi <img src=x onerror=alert('xss-msg')> {{7*7}}",
};

test('hosts, paths and rule messages from a sensor are text on the dashboard', async () => {
  const body = variant('e2eDashboardXss000000000001', {
    edit: (text) => text
      .replace('POST /app/api/search HTTP/1.1', `POST ${PAYLOADS.path}?q=1 HTTP/1.1`)
      .replace('Host: www.example.test', `Host: ${PAYLOADS.host}`)
      .replace('[msg "SQL Injection Attack Detected via libinjection"]', `[msg "${PAYLOADS.msg}"]`),
  });
  await upload(body);
  const page = await newPage();
  await login(page);
  // Filtered by the payload host: the scan path of the stats API, one event.
  await page.goto(`${server.url}/dashboard?host=${encodeURIComponent(PAYLOADS.host)}&from=2026-11-25T00%3A00%3A00Z&to=2026-11-26T00%3A00%3A00Z`);
  const hosts = page.getByTestId('top-hosts').getByTestId('top-row');
  await hosts.first().waitFor();
  assert.equal(await hosts.first().locator('.bar-text').textContent(), PAYLOADS.host.toLowerCase());
  assert.equal(await page.getByTestId('top-paths').getByTestId('top-row').first().locator('.bar-text').textContent(), PAYLOADS.path);
  assert.equal(await page.getByTestId('top-rules').locator('.bar-text', { hasText: 'xss-msg' }).first().textContent(), PAYLOADS.msg);
  const pathHref = await page.getByTestId('top-paths').getByTestId('top-row').first().getAttribute('href');
  assert.ok(pathHref.startsWith('/events?host='), pathHref);
  assert.equal(new URL(pathHref, server.url).searchParams.get('path'), PAYLOADS.path);
  const found = await page.evaluate(() => ({
    markup: document.querySelectorAll('main script, main img, main iframe, main svg:not(.chart):not(.icon):not(.activity)').length,
    handlers: [...document.querySelectorAll('main *')].filter((el) => [...el.attributes].some((attr) => attr.name.startsWith('on'))).length,
    links: [...document.querySelectorAll('main a[href]')].map((a) => a.getAttribute('href')).filter((href) => !href.startsWith('/')),
  }));
  assert.deepEqual(found, { markup: 0, handlers: 0, links: [] });
  assertNoProblems(page);
  await page.context().close();
});
