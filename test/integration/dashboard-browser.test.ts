// The dashboard in a real browser (Debian's Chromium, driven by playwright-core) against
// the real demo: live data arrives, every region of each boundary is listed, and when a
// region's telemetry is dropped through the simulator the page says "conservative" with
// the reason. Screenshots are kept under test-artifacts/ for people to look at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { DEMO_ZONES } from '../../src/demo.js';
import { repoRoot } from '../helpers/repo-root.js';
import { haveBinary } from './binaries.js';
import { startDemo } from './demo-process.js';

// The functions handed to page.waitForFunction()/evaluate() run in the browser. The
// project compiles without the DOM library, so this declares the little they use.
interface PageNode {
  readonly textContent: string | null;
  querySelector(selector: string): PageNode | null;
}
declare const document: {
  readonly title: string;
  readonly documentElement: { readonly scrollWidth: number };
  querySelector(selector: string): PageNode | null;
  querySelectorAll(selector: string): Iterable<PageNode> & { readonly length: number };
};
declare const innerWidth: number;

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// Generous: the machine is shared; these are deadlines, not expectations.
const WAIT_MS = 30_000;

const ALL_REGIONS = Object.values(DEMO_ZONES).flat().sort();

async function regionsOf(page: Page, deployment: string): Promise<string[]> {
  return page.$$eval(`[data-deployment="${deployment}"] tr[data-region]`, (rows) =>
    rows.map((r) => r.getAttribute('data-region') ?? ''),
  );
}

async function modeOf(page: Page, deployment: string): Promise<{ mode: string; reason: string }> {
  return page.$eval(`[data-deployment="${deployment}"]`, (card) => ({
    mode: card.querySelector('[data-mode]')?.textContent ?? '',
    reason: card.querySelector('[data-reason]')?.textContent ?? '',
  }));
}

async function assertFitsWidth(page: Page): Promise<void> {
  const [scrollWidth, windowWidth] = await page.evaluate((): [number, number] => [
    document.documentElement.scrollWidth,
    innerWidth,
  ]);
  assert.ok(scrollWidth <= windowWidth, `page is ${scrollWidth}px wide in a ${windowWidth}px window`);
}

async function post(url: string): Promise<void> {
  const res = await fetch(url, { method: 'POST' });
  assert.equal(res.status, 200, `${url}: ${await res.text()}`);
}

test('the dashboard shows the demo live and explains a drop to conservative mode', async (t) => {
  if (!haveBinary(t, CHROMIUM, 'chromium')) return;
  const artifacts = join(repoRoot(), 'test-artifacts');
  mkdirSync(artifacts, { recursive: true });

  const demo = await startDemo();
  t.after(() => demo.stop());
  const profile = mkdtempSync(join(tmpdir(), 'switchyard-chromium-'));
  t.after(() => rmSync(profile, { recursive: true, force: true }));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1400, height: 900 },
  });
  t.after(() => context.close());

  const page = context.pages()[0] ?? (await context.newPage());
  const foreign: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(`${demo.adminUrl}/`)) foreign.push(r.url());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });

  await page.goto(`${demo.adminUrl}/`);
  await page.waitForSelector('body[data-live="true"]', { timeout: WAIT_MS });
  // Live data: every deployment leaves the start-up "no telemetry yet" and turns normal.
  await page.waitForFunction(
    () => {
      const modes = [...document.querySelectorAll('[data-deployment] [data-mode]')].map((m) => m.textContent);
      return modes.length === 6 && modes.every((m) => m === 'normal');
    },
    undefined,
    { timeout: WAIT_MS },
  );

  // Every region of each boundary, and nothing outside it.
  assert.deepEqual(await regionsOf(page, 'chat-eu'), ['norwayeast', 'swedencentral', 'uksouth']);
  assert.deepEqual(await regionsOf(page, 'chat-us'), ['centralus', 'eastus2']);
  assert.deepEqual(await regionsOf(page, 'chat-east'), ['eastus2']);
  assert.deepEqual(await regionsOf(page, 'chat-global'), ALL_REGIONS);
  assert.match((await page.textContent('#telemetry')) ?? '', /telemetry\s*ok/);

  // A little traffic through the router, so the request-rate chart has something to draw.
  await Promise.all(
    Array.from({ length: 12 }, () =>
      fetch(`${demo.dataUrl}/openai/deployments/chat-eu/chat/completions?api-version=2024-10-21`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
      }).then((r) => r.text()),
    ),
  );
  await page.waitForSelector('[data-deployment="chat-eu"] svg polygon', { timeout: WAIT_MS });
  await page.waitForSelector('[data-deployment="chat-eu"] svg polyline', { timeout: WAIT_MS });

  // Break a region: its telemetry disappears, chat-eu's coverage falls to 2/3 < 0.75.
  await post(`${demo.controlUrl}/regions/swedencentral/telemetry/drop`);
  await page.waitForFunction(
    () => {
      const card = document.querySelector('[data-deployment="chat-eu"]');
      return (
        card?.querySelector('[data-mode]')?.textContent === 'conservative' &&
        /swedencentral/.test(card.querySelector('[data-reason]')?.textContent ?? '')
      );
    },
    undefined,
    { timeout: WAIT_MS },
  );
  const eu = await modeOf(page, 'chat-eu');
  assert.match(eu.reason, /^coverage 0\.67 < 0\.75: no fresh data for swedencentral$/);
  assert.match((await page.textContent('#summary')) ?? '', /1 conservative \(chat-eu\)/);
  assert.equal((await modeOf(page, 'chat-us')).mode, 'normal', 'other zones are unaffected');
  const stale = await page.textContent('[data-deployment="chat-eu"] tr[data-region="swedencentral"]');
  assert.match(stale ?? '', /stale/);
  // The chart marks the conservative stretch once the next history sample is in.
  await page.waitForFunction(
    () => document.querySelectorAll('[data-deployment="chat-eu"] svg rect').length > 0,
    undefined,
    { timeout: WAIT_MS },
  );
  await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });
  await assertFitsWidth(page);

  // On a phone-sized screen the page fits its width (no sideways scrolling).
  const phone = await context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(`${demo.adminUrl}/`);
  await phone.waitForSelector('[data-deployment="chat-eu"] [data-mode]', { timeout: WAIT_MS });
  await assertFitsWidth(phone);
  await phone.$eval('[data-deployment="chat-eu"]', (card) => card.scrollIntoView());
  await phone.screenshot({ path: join(artifacts, 'dashboard-phone.png') });
  await phone.close();

  // And back: fresh telemetry again brings chat-eu back to normal.
  await post(`${demo.controlUrl}/regions/swedencentral/telemetry/restore`);
  await page.waitForFunction(
    () =>
      document.querySelector('[data-deployment="chat-eu"] [data-mode]')?.textContent === 'normal' &&
      !/conservative/.test(document.title),
    undefined,
    { timeout: WAIT_MS },
  );

  assert.deepEqual(foreign, [], 'the page loads nothing from anywhere but the admin listener');
  assert.deepEqual(errors, [], 'no script errors');
  await context.close();
  assert.equal(await demo.stop(), 0, 'the demo stops cleanly on SIGINT');
});
