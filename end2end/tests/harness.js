// Shared end-to-end harness: runs the real release binary on a free port with a fresh data
// dir, and Debian's chromium through playwright-core (never a downloaded browser).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = process.env.WAFSCOPE_BIN || join(root, 'target', 'release', 'wafscope');
export const ARTIFACTS = join(root, 'end2end', 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });
export const CAPTURES = join(root, 'fixtures', 'corpus', 'mlogc-captured');
export const VIEWPORT = { width: 1440, height: 900 };

/** The mlogc captures in name order: { name, body, headers } (headers as mlogc sent them). */
export function captures() {
  return readdirSync(CAPTURES)
    .filter((name) => name.endsWith('.body'))
    .sort()
    .map((name) => {
      const meta = JSON.parse(readFileSync(join(CAPTURES, name.replace('.body', '.json')), 'utf8'));
      return { name, body: readFileSync(join(CAPTURES, name)), headers: meta.headers };
    });
}

/** Section `letter` of a native ModSecurity 2 entry, as text ('' when absent). */
export function section(body, letter) {
  const text = body.toString('latin1');
  const match = text.match(new RegExp(`--([0-9a-f]+)-${letter}--\\n([\\s\\S]*?)(?=--\\1-[A-Z]--\\n)`));
  return match ? match[2] : '';
}

/** The unique id of a native entry (section A, third field after the bracketed time). */
export function uniqueId(body) {
  return section(body, 'A').trim().split(/\s+/)[2];
}

/**
 * PUT `body` to /rpc/auditLogReceiver as mlogc does: Basic auth, `X-Content-Hash` and, when
 * given in `headers` (as [name, value] pairs), its index line. Resolves to { status, text }.
 */
async function mlogcRequest(url, { sensor, password }, body, headers) {
  const md5 = createHash('md5').update(body).digest('hex');
  const sent = { authorization: 'Basic ' + Buffer.from(`${sensor}:${password}`).toString('base64'), 'x-content-hash': `md5:${md5} ` };
  for (const [name, value] of headers) {
    if (name.toLowerCase() === 'x-forensiclog-summary') sent[name] = value;
  }
  const response = await fetch(url + '/rpc/auditLogReceiver', { method: 'PUT', headers: sent, body });
  return { status: response.status, text: await response.text() };
}

/** An mlogc upload (see `mlogcRequest`); resolves to the HTTP status. */
export async function mlogcPut(url, credentials, body, headers = []) {
  return (await mlogcRequest(url, credentials, body, headers)).status;
}

/** An mlogc upload that must be stored: fails with the server's answer unless it is 200. */
export async function mlogcUpload(url, credentials, body, headers = []) {
  const { status, text } = await mlogcRequest(url, credentials, body, headers);
  assert.equal(status, 200, `upload answered ${status}: ${text}`);
}

export function freshDataDir() {
  return mkdtempSync(join(tmpdir(), 'wafscope-e2e-'));
}

/** Runs a wafscope CLI command to completion; returns { status, stdout, stderr }. */
export function cli(args, input) {
  const result = spawnSync(BIN, args, { input, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Debian's libfaketime (package faketime), thread-safe variant. */
function faketimeLibrary() {
  for (const arch of readdirSync('/usr/lib')) {
    const library = join('/usr/lib', arch, 'faketime', 'libfaketimeMT.so.1');
    if (existsSync(library)) return library;
  }
  throw new Error('libfaketime not found: run `cargo xtask setup` (Debian package faketime)');
}

/**
 * Starts `wafscope serve` on 127.0.0.1:0; resolves when it prints its URL. `clockOffset`
 * (e.g. '-10m') preloads libfaketime so its wall clock is shifted (monotonic time stays real),
 * to leave data that is old by the time a normal server reads it. The server is the child
 * itself either way, so `stop()` signals it directly.
 */
export async function startServer(dataDir, extraArgs = [], { clockOffset } = {}) {
  const env = clockOffset
    ? { ...process.env, LD_PRELOAD: faketimeLibrary(), FAKETIME: clockOffset, FAKETIME_DONT_FAKE_MONOTONIC: '1' }
    : process.env;
  const child = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 15_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = stdout.match(/listening on (http:\/\/\S+)/);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}: ${stderr}`)); });
  });
  return {
    url,
    child,
    stdout: () => stdout,
    /**
     * The password of the `admin` user a first run created (or undefined): without a terminal
     * it is in DATA_DIR/initial-admin-password, never on stdout (which a service manager logs).
     */
    firstAdminPassword: () => {
      const file = join(dataDir, 'initial-admin-password');
      return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
    },
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Launches headless Debian chromium; collects page errors and console errors per page. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A new page whose errors are recorded in `page.problems`. */
export async function watchedPage(browser, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') page.problems.push(`console: ${message.text()}`);
  });
  page.on('dialog', async (dialog) => {
    page.problems.push(`dialog: ${dialog.message()}`);
    await dialog.dismiss();
  });
  return page;
}

/**
 * A watched page (dark, 1440×900 unless `options` say otherwise) that also records every
 * request to another host in `page.foreignRequests`: the console must never make one.
 */
export async function consolePage(browser, serverUrl, options = {}) {
  const page = await watchedPage(browser, { viewport: VIEWPORT, colorScheme: 'dark', ...options });
  const serverHost = new URL(serverUrl).host;
  page.foreignRequests = [];
  page.on('request', (request) => {
    if (new URL(request.url()).host !== serverHost) page.foreignRequests.push(request.url());
  });
  return page;
}

/** Signs in on the login page of `serverUrl`; resolves once Live (the landing page) shows. */
export async function signIn(page, serverUrl, username, password) {
  await page.goto(serverUrl + '/');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('live-state').waitFor();
}

/** Fails on any page error, console error, dialog or request that left the console. */
export function assertNoProblems(page) {
  assert.deepEqual(page.problems, [], 'no page error, console error or dialog');
  assert.deepEqual(page.foreignRequests ?? [], [], 'no request left the console');
}

/**
 * A fresh console with one sensor: starts `serve` on a new data dir, adds `sensor` with
 * `password` through the CLI (while serving); `serveArgs` go to `serve`. Resolves to { server, dataDir, adminPassword }.
 */
export async function startConsoleWithSensor(sensor, password, serveArgs = []) {
  const dataDir = freshDataDir();
  const server = await startServer(dataDir, serveArgs);
  const adminPassword = server.firstAdminPassword();
  const added = cli(['sensor', 'add', sensor, '--password-stdin', '--data-dir', dataDir], password + '\n');
  if (added.status !== 0) throw new Error(`sensor add failed: ${added.stderr}`);
  return { server, dataDir, adminPassword };
}
