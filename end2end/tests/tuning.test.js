// Triage and tuning end-to-end: the real fixture uploads; an admin triages an event on its
// page (state, tags, note, history), follows an alert's "Draft exclusion" to the Tuning page,
// where the groups match the API and click through to exactly their events, the draft shows
// the exclusion as text with its impact, and proposing, approving and downloading the
// before-CRS file work; a viewer sees triage and tuning without any control; payloads in
// samples stay text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, assertNoProblems, captures, cli, consolePage, launchBrowser, mlogcUpload, signIn, startConsoleWithSensor } from './harness.js';

const SENSOR = { sensor: 'e2e-tuning-01', password: 'e2e-tuning-password-3' };
const WINDOW = 'from=2026-11-24T00%3A00%3A00Z&to=2026-11-26T00%3A00%3A00Z';

let server;
let browser;
let adminPassword;
let dataDir;

before(async () => {
  ({ server, dataDir, adminPassword } = await startConsoleWithSensor(SENSOR.sensor, SENSOR.password));
  for (const capture of captures()) await mlogcUpload(server.url, SENSOR, capture.body);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const api = (page, path, options) => page.evaluate(async ([path, options]) => {
  const response = await fetch(path, options);
  return { status: response.status, body: await response.text() };
}, [path, options]);

const json = async (page, path) => JSON.parse((await api(page, path)).body);

test('an admin triages an event and drafts, proposes and approves its exclusion', async () => {
  const page = await consolePage(browser, server.url);
  await signIn(page, server.url, 'admin', adminPassword);
  const tuning = await json(page, `/api/v1/tuning?${WINDOW}&top=500`);
  const top = tuning.groups[0];
  assert.ok(top.events >= 2, JSON.stringify(top));

  // the Event page of the group's newest event: triage it
  const id = top.sample_ids[0];
  await page.goto(`${server.url}/events/${id}`);
  await page.getByTestId('triage').waitFor();
  assert.equal(await page.getByTestId('triage-state').textContent(), 'new');
  await page.getByTestId('triage-select').selectOption('false_positive');
  await page.getByTestId('triage-tags').fill('e2e ticket:9');
  await page.getByTestId('triage-note-input').fill('a search form <b>quoting</b> SQL');
  await page.getByTestId('triage-save').click();
  await page.getByTestId('triage-history').waitFor();
  assert.equal(await page.getByTestId('triage-state').textContent(), 'false positive');
  assert.deepEqual(await page.getByTestId('triage-tag').allTextContents(), ['e2e', 'ticket:9']);
  assert.equal(await page.getByTestId('triage-note').textContent(), 'a search form <b>quoting</b> SQL', 'the note is text');
  assert.match(await page.getByTestId('triage-history').textContent(), /admin: new → false positive, \+e2e \+ticket:9, note changed/);
  const marked = await json(page, '/api/v1/events?state=false_positive&tag=e2e');
  assert.deepEqual(marked.events.map((event) => event.id), [id], 'the API selects exactly the triaged event');

  // its alert's "Draft exclusion" opens the Tuning page with the draft of that alert
  const rows = page.getByTestId('rule-message');
  let link = null;
  for (let index = 0; index < await rows.count(); index += 1) {
    const row = rows.nth(index);
    if ((await row.getByTestId('rule-id').textContent()) === String(top.rule_id) && (await row.getByTestId('draft-exclusion').count()) > 0) {
      link = row.getByTestId('draft-exclusion');
      break;
    }
  }
  assert.ok(link, `the event shows rule ${top.rule_id} with a draft link`);
  const similar = await link.locator('xpath=..').getByTestId('similar-events').getAttribute('href');
  assert.ok(similar.startsWith('/events?rule=' + top.rule_id), similar);
  await link.click();
  await page.getByTestId('draft').waitFor();
  // the fixture events are older than the default window: widen it in the URL
  await page.goto(page.url() + '&' + WINDOW);
  await page.getByTestId('draft-conf').waitFor();
  const conf = await page.getByTestId('draft-conf').textContent();
  assert.ok(conf.includes(`ctl:ruleRemoveTargetById=${top.rule_id};${top.variable}`), conf);
  assert.match(await page.getByTestId('draft-placement').textContent(), /before the CRS rules, where REQUEST-900-EXCLUSION-RULES-BEFORE-CRS\.conf/);
  // (the page drafts for every host until "only on <host>" is ticked)
  const draft = await json(page, `/api/v1/tuning/draft?rule=${top.rule_id}&variable=${encodeURIComponent(top.variable)}&path=${encodeURIComponent(top.path)}&${WINDOW}`);
  const impactText = await page.getByTestId('draft-impact').textContent();
  assert.ok(impactText.includes(`from ${draft.impact.events} event`), `the page shows the API impact: ${impactText} vs ${JSON.stringify(draft.impact)}`);
  const onHost = await json(page, `/api/v1/tuning/draft?rule=${top.rule_id}&variable=${encodeURIComponent(top.variable)}&path=${encodeURIComponent(top.path)}&host=${encodeURIComponent(top.host)}&${WINDOW}`);
  await page.getByTestId('draft-host').check();
  await page.waitForFunction((text) => document.querySelector('[data-testid=draft-impact]')?.textContent.includes(text), `from ${onHost.impact.events} event`);
  assert.ok((await page.getByTestId('draft-conf').textContent()).includes(`@streq ${top.host}`), 'the host form chains a Host rule');

  // the groups table agrees with the API and its counts click through to exactly those events
  await page.goto(`${server.url}/tuning?${WINDOW}`);
  await page.getByTestId('tuning-groups').waitFor();
  const first = page.getByTestId('tuning-group').first();
  assert.equal(await first.getByTestId('group-rule').textContent(), String(top.rule_id));
  assert.equal(await first.getByTestId('group-variable').textContent(), top.variable);
  assert.equal(await first.getByTestId('group-events').textContent(), String(top.events));
  assert.equal(await page.locator('[data-testid=tuning-groups] script, [data-testid=tuning-groups] img').count(), 0, 'samples are text');
  await page.screenshot({ path: join(ARTIFACTS, 'tuning.png'), fullPage: true });
  await first.getByTestId('group-events').click();
  await page.getByTestId('events-table').waitFor();
  await page.waitForFunction((count) => document.querySelectorAll('[data-testid=events-table] tbody tr').length === count, top.events);

  // propose from the group's draft, approve, download
  await page.goto(`${server.url}/tuning?${WINDOW}`);
  await page.getByTestId('group-draft').first().click();
  await page.getByTestId('draft-propose').waitFor();
  await page.getByTestId('draft-comment').fill('e2e: search terms');
  await page.getByTestId('draft-propose').click();
  await page.getByTestId('draft-outcome').waitFor();
  await page.getByTestId('exclusion-approve').waitFor();
  await page.getByTestId('exclusion-approve').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=exclusion-status]')?.textContent === 'approved by admin');
  const before = await api(page, await page.getByTestId('download-before').getAttribute('href'));
  assert.equal(before.status, 200);
  assert.ok(before.body.includes(`ctl:ruleRemoveTargetById=${top.rule_id};${top.variable}`) && before.body.includes('# e2e: search terms'), before.body);
  await page.screenshot({ path: join(ARTIFACTS, 'tuning-approved.png'), fullPage: true });
  assertNoProblems(page);
});

test('a viewer sees triage and tuning without controls', async () => {
  const password = 'e2e-viewer-password-5';
  const created = cli(['user', 'add', 'watcher', '--role', 'viewer', '--password-stdin', '--data-dir', dataDir], password + '\n');
  assert.equal(created.status, 0, created.stderr);
  const page = await consolePage(browser, server.url);
  await signIn(page, server.url, 'watcher', password);
  const listed = await json(page, '/api/v1/events?limit=1');
  await page.goto(`${server.url}/events/${listed.events[0].id}`);
  await page.getByTestId('triage').waitFor();
  assert.equal(await page.getByTestId('triage-save').count(), 0, 'no triage form for viewers');
  await page.goto(`${server.url}/tuning?${WINDOW}`);
  await page.getByTestId('tuning-groups').waitFor();
  await page.getByTestId('group-draft').first().click();
  await page.getByTestId('draft-conf').waitFor();
  assert.equal(await page.getByTestId('draft-propose').count(), 0, 'viewers draft, they do not propose');
  assertNoProblems(page);
  // (through the page's cookies, outside the page: a refused fetch would log a console error)
  const refused = await page.request.post(`${server.url}/api/v1/events/${listed.events[0].id}/triage`, {
    headers: { 'Content-Type': 'application/json', Origin: server.url },
    data: '{"state":"attack"}',
  });
  assert.equal(refused.status(), 403);
  assert.match(await refused.text(), /analyst/, 'refused for the role, not for the origin');
});
