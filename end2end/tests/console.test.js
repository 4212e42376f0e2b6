// Foundation end-to-end: first-run admin, CLI users while serving, login/logout in chromium,
// the Status page, static-file rules and the data-dir lock, all against the release binary.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, cli, freshDataDir, launchBrowser, startServer, watchedPage } from './harness.js';

let server;
let browser;
let dataDir;

before(async () => {
  dataDir = freshDataDir();
  server = await startServer(dataDir);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('first run without a terminal leaves the admin password in a 0600 file, not on stdout', () => {
  const file = join(dataDir, 'initial-admin-password');
  assert.match(server.stdout(), /created user admin \(role admin\); its password is in \S+initial-admin-password/);
  const password = server.firstAdminPassword();
  assert.equal(password.length, 20);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.ok(!server.stdout().includes(password) && !server.stderr().includes(password), 'the password is in no output a log keeps');
});

test('a second serve on the same data dir exits non-zero with a clear message', async () => {
  const second = cli(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir]);
  assert.notEqual(second.status, 0);
  assert.match(second.stderr, /in use by another wafscope process/);
});

test('user and token commands work while serve runs', () => {
  const added = cli(['user', 'add', 'operator', '--role', 'analyst', '--password-stdin', '--data-dir', dataDir], 'operator-pass-1\n');
  assert.equal(added.status, 0, added.stderr);
  const listed = cli(['user', 'list', '--data-dir', dataDir]);
  assert.match(listed.stdout, /operator\s+analyst/);
  const token = cli(['token', 'create', 'robot', '--role', 'viewer', '--data-dir', dataDir]);
  assert.equal(token.status, 0, token.stderr);
  const secret = token.stdout.trim().split('\n').pop();
  assert.match(secret, /^wfs_[A-Za-z0-9_-]{43}$/);
});

test('the UI is served with the right types, caching and compression', async () => {
  const index = await fetch(server.url + '/some/client/route');
  assert.equal(index.status, 200);
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  const html = await index.text();
  assert.match(index.headers.get('content-security-policy'), /script-src 'self' 'wasm-unsafe-eval' 'sha256-/);
  const wasmPath = html.match(/\/frontend-[0-9a-f]+_bg\.wasm/)[0];
  const wasm = await fetch(server.url + wasmPath, { headers: { 'accept-encoding': 'zstd' } });
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  assert.equal(wasm.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  const plain = await fetch(server.url + wasmPath, { headers: { 'accept-encoding': 'identity' } });
  assert.equal(plain.headers.get('content-encoding'), null);
  const bytes = new Uint8Array(await plain.arrayBuffer());
  assert.deepEqual([...bytes.slice(0, 4)], [0, 0x61, 0x73, 0x6d], 'a wasm module');
  assert.equal((await fetch(server.url + '/missing-0123456789abcdef.js')).status, 404);
  const api = await fetch(server.url + '/api/nope');
  assert.equal(api.status, 404);
  assert.deepEqual(await api.json(), { error: 'no such API endpoint' });
});

test('a wrong password shows an error and sets no session', async () => {
  const page = await watchedPage(browser);
  await page.goto(server.url + '/');
  await page.getByLabel('Username').fill('operator');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('login-error').waitFor();
  assert.equal(await page.getByTestId('login-error').textContent(), 'wrong username or password');
  const cookies = await page.context().cookies();
  assert.equal(cookies.filter((cookie) => cookie.name === 'wafscope_session').length, 0);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('log in, land on Live, see the Status page, log out', async () => {
  const page = await watchedPage(browser);
  await page.goto(server.url + '/');
  await page.getByLabel('Username').fill('operator');
  await page.getByLabel('Password').fill('operator-pass-1');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('live-state').waitFor();
  await page.getByTestId('nav-status').click();
  const table = page.getByTestId('status-table');
  await table.waitFor();
  const text = await table.textContent();
  assert.match(text, /Version\d+\.\d+\.\d+/);
  assert.ok(text.includes(dataDir), text);
  assert.equal(await page.getByTestId('current-user').textContent(), 'operator');
  const cookie = (await page.context().cookies()).find((c) => c.name === 'wafscope_session');
  assert.ok(cookie?.httpOnly, 'session cookie is HttpOnly');
  assert.equal(cookie.sameSite, 'Strict');
  await page.screenshot({ path: join(ARTIFACTS, 'status-page.png'), fullPage: true });

  await page.reload();
  await page.getByTestId('status-table').waitFor();

  await page.getByTestId('logout').click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  const status = await page.evaluate(async () => (await fetch('/api/v1/status')).status);
  assert.equal(status, 401, 'the session ended server-side');
  await page.screenshot({ path: join(ARTIFACTS, 'login-page.png') });
  // The probe above is the only request allowed to fail.
  assert.deepEqual(page.problems.filter((p) => !p.includes('401')), []);
  await page.context().close();
});

test('SIGTERM shuts the server down cleanly: the next start needs no repair', async () => {
  const dir = freshDataDir();
  const first = await startServer(dir);
  assert.equal(await first.stop(), 0);
  assert.match(first.stderr(), /stopped; the database was closed cleanly/);
  // a CLI command on the stopped data dir closes it cleanly too
  const added = cli(['sensor', 'add', 'clean-01', '--password-stdin', '--data-dir', dir], 'clean-password-1\n');
  assert.equal(added.status, 0, added.stderr);
  const second = await startServer(dir);
  assert.equal(await second.stop(), 0);
  assert.doesNotMatch(second.stderr(), /not closed cleanly/, 'no repair after a clean stop');
});
