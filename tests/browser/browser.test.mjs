// Browser tests of `portscope serve`: Debian's chromium, headless, driven by
// playwright-core (which never downloads a browser of its own). run.sh starts
// the server and passes its URL in PORTSCOPE_URL.
//
// Every page visited is checked for Content-Security-Policy violations (both
// the console messages and the DOM's securitypolicyviolation events), for
// JavaScript dialogs (which an injected script would open), and is
// screenshotted into ARTIFACTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { chromium } from 'playwright-core';

const BASE = process.env.PORTSCOPE_URL;
const ARTIFACTS = process.env.ARTIFACTS || 'test-artifacts';
const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';
// MACHINE-NOTES.md; playwright adds a fresh temporary --user-data-dir itself.
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
              '--disable-sync', '--no-first-run'];

assert.ok(BASE, 'PORTSCOPE_URL is not set (run tests/browser/run.sh)');
mkdirSync(ARTIFACTS, { recursive: true });

let browser;

before(async () => {
  browser = await chromium.launch({ executablePath: EXECUTABLE, headless: true, args: ARGS });
});

after(async () => {
  if (browser) await browser.close();
});

// A page that records what must never happen: dialogs, CSP violations,
// console errors, uncaught exceptions.
async function watchedPage(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, ...options });
  const page = await context.newPage();
  const seen = { dialogs: [], csp: [], errors: [] };
  page.on('dialog', async (d) => {
    seen.dialogs.push(d.message());
    await d.dismiss();
  });
  page.on('console', (m) => {
    if (/Content[- ]Security[- ]Policy/i.test(m.text())) seen.csp.push(m.text());
    else if (m.type() === 'error') seen.errors.push(m.text());
  });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  if (options.javaScriptEnabled !== false) {
    await page.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
      });
    });
  }
  return { context, page, seen };
}

async function expectClean(page, seen, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  let domViolations = [];
  try {
    domViolations = await page.evaluate(() => window.__cspViolations || []);
  } catch (e) {
    // JavaScript disabled: the console still reports violations.
  }
  assert.deepEqual(seen.csp, [], `CSP violations in the console on ${name}`);
  assert.deepEqual(domViolations, [], `securitypolicyviolation events on ${name}`);
  assert.deepEqual(seen.dialogs, [], `dialogs opened on ${name}`);
  assert.deepEqual(seen.errors, [], `console errors on ${name}`);
}

test('the page for port 2244 shows nmsserver, its facts and its FAQ', async () => {
  const { context, page, seen } = await watchedPage();
  const res = await page.goto(`${BASE}ports/2244`);
  assert.equal(res.status(), 200);
  assert.match(await page.locator('h1').innerText(), /Port 2244: nmsserver/);
  assert.match(await page.locator('#facts').innerText(), /NMS Server/);
  assert.match(await page.locator('#faq').innerText(), /Is port 2244 assigned\?\s+Yes\. IANA assigns port 2244/);
  assert.match(await page.locator('#here').innerText(), /Here, now/);
  // The stylesheet applied (so it loaded under the CSP): cards have a border.
  const border = await page.locator('.card').first().evaluate((e) => getComputedStyle(e).borderTopStyle);
  assert.equal(border, 'solid');
  await page.locator('a[rel=next]').click();
  await page.waitForURL(/\/ports\/2245$/);
  await expectClean(page, seen, 'port-2244-then-2245');
  await context.close();
});

test('search finds postgresql by name', async () => {
  const { context, page, seen } = await watchedPage();
  await page.goto(`${BASE}search?q=postgresql`);
  const row = page.locator('table.results tbody tr', { has: page.locator('a[href="/ports/5432"]') }).first();
  assert.match(await row.innerText(), /postgresql/);
  await expectClean(page, seen, 'search-postgresql');
  await context.close();
});

test('the search box submits and suggests as you type', async () => {
  const { context, page, seen } = await watchedPage();
  await page.goto(BASE);
  const box = page.locator('main form.search input[name=q]');
  await box.click();
  await box.pressSequentially('postgres', { delay: 20 });
  // Suggestions come from /api/search, rendered by app.js.
  const suggestion = page.locator('main ul.suggest a[href="/ports/5432"]').first();
  await suggestion.waitFor({ state: 'visible', timeout: 10000 });
  assert.match(await suggestion.innerText(), /5432\/tcp/);
  await page.screenshot({ path: join(ARTIFACTS, 'home-suggestions.png') });
  await box.fill('postgresql');
  await box.press('Enter');
  await page.waitForURL(/\/search\?q=postgresql/);
  assert.ok(await page.locator('a[href="/ports/5432"]').count() > 0);
  await expectClean(page, seen, 'search-box');
  await context.close();
});

test('a query holding a script is shown as text and runs nothing', async () => {
  const { context, page, seen } = await watchedPage();
  await page.goto(BASE);
  const payload = '<script>alert(1)</script>';
  const box = page.locator('header form.search input[name=q]');
  await box.fill(payload);
  await box.press('Enter');
  await page.waitForURL(/\/search\?q=/);
  assert.equal(await page.locator('h1').innerText(), `Ports matching \u201c${payload}\u201d`);
  assert.equal(await page.locator('main input[name=q]').inputValue(), payload);
  assert.equal(await page.locator('main script').count(), 0);
  // The same through an attribute and an event handler.
  for (const q of ['"><img src=x onerror=alert(2)>', "' autofocus onfocus=alert(3) x='"]) {
    await page.goto(`${BASE}search?q=${encodeURIComponent(q)}`);
    assert.equal(await page.locator('main input[name=q]').inputValue(), q);
    assert.equal(await page.locator('main img').count(), 0);
  }
  // Typing it into a box with suggestions on must not inject either.
  const main = page.locator('main input[name=q]');
  await main.fill('');
  await main.pressSequentially('<img src=x onerror=alert(4)>', { delay: 5 });
  await page.waitForTimeout(500);
  await expectClean(page, seen, 'xss-attempts');
  await context.close();
});

test('pages work without JavaScript', async () => {
  const { context, page, seen } = await watchedPage({ javaScriptEnabled: false });
  await page.goto(BASE);
  assert.match(await page.locator('main').innerText(), /System Ports/);
  const box = page.locator('main form.search input[name=q]');
  await box.fill('nmsserver');
  await box.press('Enter');
  await page.waitForURL(/\/search\?q=nmsserver/);
  await page.locator('a[href="/ports/2244"]').first().click();
  await page.waitForURL(/\/ports\/2244$/);
  assert.match(await page.locator('h1').innerText(), /nmsserver/);
  await expectClean(page, seen, 'no-javascript');
  await context.close();
});

test('home, range and error pages render without violations', async () => {
  const { context, page, seen } = await watchedPage();
  for (const [path, status, name] of [['', 200, 'home'], ['ports/2200-2300', 200, 'range'],
                                      ['ports/70000', 400, 'bad-port'], ['nope', 404, 'not-found']]) {
    const res = await page.goto(`${BASE}${path}`);
    assert.equal(res.status(), status, path);
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: name !== 'range' });
  }
  // The errors of those 400 and 404 loads are expected; nothing else is.
  seen.errors = seen.errors.filter((e) => !/status of 40[04]/.test(e));
  await expectClean(page, seen, 'not-found-last');
  await context.close();
});

test('with a token, the browser logs in with it as the password', async () => {
  const url = process.env.PORTSCOPE_TOKEN_URL;
  const token = process.env.PORTSCOPE_TOKEN;
  assert.ok(url && token, 'PORTSCOPE_TOKEN_URL and PORTSCOPE_TOKEN are not set');
  const denied = await fetch(`${url}ports/2244`);
  assert.equal(denied.status, 401);
  assert.match(denied.headers.get('www-authenticate'), /Basic realm="portscope"/);
  const { context, page, seen } = await watchedPage({ httpCredentials: { username: 'me', password: token } });
  const res = await page.goto(`${url}ports/2244`);
  assert.equal(res.status(), 200);
  assert.match(await page.locator('h1').innerText(), /nmsserver/);
  // The page's own requests (stylesheet, script, suggestions) carry it too.
  const box = page.locator('header form.search input[name=q]');
  await box.pressSequentially('postgres', { delay: 20 });
  await page.locator('header ul.suggest a[href="/ports/5432"]').first().waitFor({ state: 'visible', timeout: 10000 });
  await expectClean(page, seen, 'token-login');
  await context.close();
});

// Connects to the canary's port, sends `payload`, closes; the canary records
// the probe without answering. Resolves once the server's /api/events has it.
async function probeCanary(payload) {
  const port = Number(process.env.CANARY_PORT);
  assert.ok(port > 0, 'CANARY_PORT is not set (run tests/browser/run.sh)');
  const deadline = Date.now() + 20000;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    // The canary never answers and closes with a reset: the connection
    // counts as made once connected; refused means not listening yet.
    const sent = await new Promise((resolve) => {
      let connected = false;
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        connected = true;
        s.end(payload);
      });
      s.on('error', () => {});
      s.on('close', () => resolve(connected));
      s.setTimeout(5000, () => s.destroy());
    });
    if (sent) {
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${BASE}api/events?port=${port}&limit=1000`);
        if (res.ok) {
          const events = await res.json();
          if (events.some((e) => Buffer.from(e.portscope.payload.base64, 'base64').toString() === payload)) return;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`the canary on port ${port} did not record a probe with payload ${JSON.stringify(payload)}`);
}

test('the dashboard shows a probe made during the test; a script payload is text and runs nothing', async () => {
  const port = process.env.CANARY_PORT;
  const payload = '<script>alert(1)</script>';
  await probeCanary(payload);
  const { context, page, seen } = await watchedPage();
  const reportUrls = [];
  const reportTimes = [];
  page.on('request', (r) => {
    if (!r.url().includes('/api/report?')) return;
    reportUrls.push(r.url());
    reportTimes.push(Date.now());
  });
  const res = await page.goto(`${BASE}canary`);
  const loadedAt = Date.now();
  assert.equal(res.status(), 200);
  // The script refreshes the same timeline the server rendered as a table.
  const buckets = await page.locator('#chart').getAttribute('data-buckets');
  assert.equal(await page.locator('details.timeline tbody tr').count(), Number(buckets));
  // The chart (uPlot) draws itself from that table at once, under the CSP,
  // without asking the server again: the first refresh is 5 s later.
  if ((await page.locator('#chart').getAttribute('data-chart')) === 'uplot') {
    await page.locator('#chart .uplot canvas').first().waitFor({ state: 'attached', timeout: 3000 });
    assert.equal(reportUrls.length, 0, 'the chart came from the rendered table, not from /api/report');
  }
  const row = page.locator('#latest-probes tbody tr', { has: page.locator(`a[href="/ports/${port}"]`) }).first();
  await row.waitFor({ state: 'visible', timeout: 10000 });
  assert.equal(await row.locator('code.preview').innerText(), payload);
  assert.match(await row.locator('a.mono').innerText(), /^127\.0\.0\.1$/);
  // The hex view, folded until asked for.
  await row.locator('details.payload summary').click();
  assert.match(await row.locator('pre.hex').innerText(), /3c 73 63 72 69 70 74 3e .*\|<script>alert\(1\)\|/);
  assert.equal(await page.locator('main script').count(), 0);
  await expectClean(page, seen, 'canary-dashboard');

  // Live refresh: a second probe appears without a reload, and the chart's
  // timeline is asked for with as many buckets as the table has.
  await probeCanary('second probe\r\n\x00\x01');
  const second = page.locator('#latest-probes code.preview', { hasText: 'second probe' }).first();
  await second.waitFor({ state: 'visible', timeout: 15000 });
  assert.equal(await second.innerText(), 'second probe\\x0d\\x0a\\x00\\x01');
  assert.match(await page.locator('#live').innerText(), /^live: updated/);
  assert.ok(reportUrls.length > 0, 'the dashboard script asked /api/report for the timeline');
  assert.ok(reportTimes[0] - loadedAt >= 4000, `first refresh ${reportTimes[0] - loadedAt} ms after load`);
  for (const u of reportUrls) assert.equal(new URL(u).searchParams.get('buckets'), buckets, u);
  await expectClean(page, seen, 'canary-dashboard-refreshed');

  // The source's page and the port page tell the same, and the time-range
  // picker works.
  await row.locator('a.mono').click();
  await page.waitForURL(/\/canary\/sources\/127\.0\.0\.1$/);
  assert.ok(await page.locator('code.preview', { hasText: payload }).count() > 0);
  await page.goto(`${BASE}ports/${port}`);
  assert.match(await page.locator('#canary').innerText(), /rows? recorded on port/);
  await page.goto(`${BASE}canary`);
  await page.locator('nav.ranges a', { hasText: '1h' }).click();
  await page.waitForURL(/\/canary\?range=1h$/);
  assert.equal(await page.locator('nav.ranges strong').innerText(), '1h');
  await expectClean(page, seen, 'canary-source-port-range');
  await context.close();
});

test('the dashboard works without JavaScript, and an alert has its page', async () => {
  const { context, page, seen } = await watchedPage({ javaScriptEnabled: false });
  await page.goto(`${BASE}canary`);
  assert.ok(await page.locator('#latest-probes code.preview', { hasText: '<script>alert(1)</script>' }).count() > 0);
  // The timeline as a table stands in for the chart.
  assert.ok(await page.locator('details.timeline tbody tr').count() > 0);
  const alert = page.locator('table.alerts a').first();
  await alert.click();
  await page.waitForURL(/\/canary\/alerts\/\d+$/);
  assert.match(await page.locator('h1').innerText(), /scan from 127\.0\.0\.1/);
  await expectClean(page, seen, 'canary-alert-no-javascript');
  await context.close();
});
