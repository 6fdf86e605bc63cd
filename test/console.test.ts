/**
 * The web console in a real browser (Debian's Chromium via playwright-core) against the real gateway and the
 * simulators: sign in, add a channel, price its model, create a key and edit its limits, generate from the
 * playground until the video plays, find the task in the table, read the audit log, and use every page in a window
 * 420 px wide. Each page's screenshot is saved to test-artifacts/console/.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { consoleDist } from '../src/http/console.js';
import { defaultKlingAccount } from '../src/simulator/kling.js';
import { artifactPath, chromiumUnavailable, launchChromium, type Browser } from './support/browser.js';
import { adminToken, Harness } from './support/harness.js';

const unavailable = chromiumUnavailable();
/** Waits for what the page shows to settle (network, refreshes, video decoding). */
const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 20_000, interval: 100 });
if (unavailable) console.log(unavailable);

/** `npm install` builds the console; a checkout installed with --ignore-scripts gets it built here. */
async function ensureConsoleBuilt(): Promise<void> {
  if (existsSync(join(consoleDist, 'index.html'))) return;
  const { build } = await import('vite');
  await build({ configFile: join(process.cwd(), 'console/vite.config.ts'), logLevel: 'warn' });
}

/** The <video> on the page has started playing: frames decoded and the clock moving. */
async function videoPlays(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const video = document.querySelector('video');
      return video !== null && video.readyState >= 2 && video.currentTime > 0 && !video.error;
    },
    undefined,
    { timeout: 30_000 },
  );
}

describe.skipIf(unavailable !== null)('web console in Chromium', () => {
  let h: Harness;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let apiKey = '';
  let taskId = '';

  const shoot = async (name: string) => {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: artifactPath(name), fullPage: true });
  };
  const goTo = async (section: string) => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: section }).click();
    await eventually(() => page.getByRole('heading', { level: 1 }).first().textContent()).toContain(section);
  };

  beforeAll(async () => {
    await ensureConsoleBuilt();
    // Slow enough to watch the progress, quick enough for a test.
    h = await Harness.start({ simulator: { taskDurationMs: 2500 } });
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      // Refused requests (the wrong token tried on purpose) are logged by the browser too: not page errors.
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource'))
        pageErrors.push(msg.text());
    });
  }, 60_000);

  // Each step builds on the one before: after a failure, the rest would only fail for the same reason.
  let failed = false;
  beforeEach((context) => {
    if (failed) context.skip();
  });
  afterEach((context) => {
    if (context.task.result?.state === 'fail') failed = true;
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('signs an operator in with the admin token, kept out of the URL', async () => {
    await page.goto(`${h.url}/console`);
    await eventually(() => page.getByRole('heading', { name: 'Reelay console' }).isVisible()).toBe(true);
    await shoot('sign-in');
    await page.getByLabel('Admin token or API key').fill('not-the-token-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await eventually(() => page.getByRole('alert').textContent()).toContain('Invalid admin token');

    await page.getByLabel('Admin token or API key').fill(adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await eventually(() => page.getByRole('heading', { level: 1 }).first().textContent()).toBe('Tasks');
    expect(page.url()).not.toContain(adminToken);
    expect(await page.evaluate(() => sessionStorage.getItem('reelay.session'))).toContain('"role":"admin"');
  }, 60_000);

  it('creates a channel pointing at the simulator, asking for exactly Kling’s credentials, and tests it', async () => {
    await goTo('Channels');
    await page.getByRole('button', { name: 'New channel' }).click();
    const dialog = page.getByRole('dialog', { name: 'New channel' });
    const credentialLabels = (vendor: string) =>
      dialog
        .getByRole('group', { name: `${vendor} credentials` })
        .locator('label')
        .allTextContents();
    await dialog.getByLabel('Vendor').selectOption('vidu');
    expect(await credentialLabels('vidu')).toEqual(['API key']);
    await dialog.getByLabel('Vendor').selectOption('jimeng');
    expect(await credentialLabels('jimeng')).toEqual(['Access key ID', 'Secret access key']);
    await dialog.getByLabel('Vendor').selectOption('kling');
    expect(await credentialLabels('kling')).toEqual(['Access key', 'Secret key']);
    await dialog.getByLabel('Name').fill('Kling simulator');
    await dialog.getByLabel('Base URL').fill(h.sim.baseUrl('kling'));
    await dialog.getByLabel('Access key').fill(defaultKlingAccount.access_key);
    await dialog.getByLabel('Secret key').fill(defaultKlingAccount.secret_key);
    await dialog.getByLabel('Models').fill('kling-v1');
    await shoot('channel-form');
    await dialog.getByRole('button', { name: 'Create channel' }).click();

    const row = page.getByRole('row', { name: /Kling simulator/ });
    await eventually(() => row.isVisible()).toBe(true);
    await row.getByRole('button', { name: 'Test Kling simulator' }).click();
    await eventually(() => row.getByRole('status').textContent()).toContain('Works');

    // Edit: credentials stay as they are unless typed again.
    await row.getByRole('button', { name: 'Edit Kling simulator' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit Kling simulator' });
    await edit.getByLabel('Priority').fill('5');
    await edit.getByRole('button', { name: 'Save' }).click();
    await eventually(() => row.textContent()).toContain('5 / 1');
    await row.getByRole('button', { name: 'Disable Kling simulator' }).click();
    await eventually(() => row.textContent()).toContain('Disabled');
    await row.getByRole('button', { name: 'Enable Kling simulator' }).click();
    await eventually(() => row.textContent()).toContain('Enabled');
    await row.getByRole('button', { name: 'Test Kling simulator' }).click();
    await eventually(() => row.getByRole('status').textContent()).toContain('Works');
    await shoot('channels');
    const channels = await h.admin('GET', '/channels');
    expect(channels.body.data).toEqual([
      expect.objectContaining({
        vendor: 'kling',
        name: 'Kling simulator',
        models: ['kling-v1'],
        enabled: true,
      }),
    ]);
  }, 60_000);

  it('shows the new channel’s model as unpriced and prices it from the Prices page', async () => {
    await goTo('Prices');
    const unpriced = page.getByRole('region', { name: 'Models without a price' });
    const unpricedRow = unpriced.getByRole('row', { name: /kling-v1/ });
    await eventually(() => unpricedRow.isVisible()).toBe(true);
    expect(await unpricedRow.textContent()).toContain('Kling simulator');
    expect(await unpriced.textContent()).toContain('model_not_priced');
    await shoot('prices-unpriced');

    await unpricedRow.getByRole('button', { name: 'Set price for kling-v1' }).click();
    const form = page.getByRole('dialog', { name: 'New price' });
    expect(await form.getByLabel('Model', { exact: true }).inputValue()).toBe('kling-v1');
    await form.getByLabel('Unit').selectOption('second');
    // Finer than a micro-unit: said so, nothing sent.
    await form.getByLabel('Price', { exact: true }).fill('0.1000001');
    await form.getByRole('button', { name: 'Save price' }).click();
    await eventually(() => form.getByRole('alert').textContent()).toContain('at most 6 decimals');
    expect((await h.admin('GET', '/prices')).body.data).toEqual([]);

    await form.getByLabel('Price', { exact: true }).fill('0.1');
    await form.getByLabel('1080p').fill('1.5');
    await form.getByLabel('Mode 1 name').fill('pro');
    await form.getByLabel('Mode 1 multiplier').fill('3.5');
    await shoot('price-form');
    await form.getByRole('button', { name: 'Save price' }).click();

    const row = page.getByRole('table', { name: 'Model prices' }).getByRole('row', { name: /kling-v1/ });
    await eventually(() => row.textContent()).toContain('0.100000 per second');
    expect(await row.textContent()).toContain('1080p ×1.5');
    expect(await row.textContent()).toContain('pro ×3.5');
    await eventually(() => unpriced.textContent()).toContain('Every model a channel serves has a price');
    expect((await h.admin('GET', '/prices/kling-v1')).body).toMatchObject({
      unit: 'second',
      price: 100_000,
      resolution_multipliers: { '1080p': 1.5 },
      mode_multipliers: { pro: 3.5 },
      free: false,
    });

    // A price for a model no channel serves yet, made free, then deleted.
    await page.getByRole('button', { name: 'New price' }).click();
    await form.getByLabel('Model', { exact: true }).fill('kling-v2-master');
    await form.getByLabel('Free: serve this model without charge').check();
    await form.getByRole('button', { name: 'Save price' }).click();
    const spare = page.getByRole('row', { name: /kling-v2-master/ });
    await eventually(() => spare.textContent()).toContain('Free');
    expect(await spare.textContent()).toContain('no channel');
    await shoot('prices');
    page.once('dialog', (confirm) => void confirm.accept());
    await spare.getByRole('button', { name: 'Delete price of kling-v2-master' }).click();
    await eventually(() => spare.count()).toBe(0);
    expect((await h.admin('GET', '/prices/kling-v2-master')).status).toBe(404);

    // Editing shows the stored price to the micro-unit.
    await row.getByRole('button', { name: 'Edit price of kling-v1' }).click();
    const edit = page.getByRole('dialog', { name: 'Price of kling-v1' });
    expect(await edit.getByLabel('Price', { exact: true }).inputValue()).toBe('0.100000');
    await edit.getByRole('button', { name: 'Cancel' }).click();
  }, 60_000);

  it('adds a user, tops up the balance and creates a key shown once', async () => {
    await goTo('Keys & users');
    await page.getByLabel("New user's name").fill('Ada');
    await page.getByRole('button', { name: 'Add user' }).click();
    await eventually(() => page.getByRole('heading', { name: 'Ada' }).isVisible()).toBe(true);
    await page.getByLabel('Top-up amount').fill('25');
    await page.getByRole('button', { name: 'Top up' }).click();
    await eventually(() => page.getByTestId('balance').textContent()).toBe('25.00');

    await page.getByRole('button', { name: 'New key' }).click();
    await page.getByRole('dialog').getByLabel('Key name').fill('playground');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByRole('dialog', { name: 'Key created' }).getByLabel('API key');
    await eventually(() => shown.inputValue()).toMatch(/^sk-/);
    apiKey = await shown.inputValue();
    await shoot('key-created');
    await page.getByRole('button', { name: 'Done' }).click();
    await eventually(() => page.getByRole('row', { name: /playground/ }).isVisible()).toBe(true);
    await shoot('keys');
    // The key works, and the list never shows it again.
    expect((await h.http('GET', '/v1/account', { token: apiKey })).status).toBe(200);
    expect(await page.content()).not.toContain(apiKey);
  }, 60_000);

  it("edits the key's spending limit", async () => {
    const row = page.getByRole('row', { name: /playground/ });
    await row.getByRole('button', { name: 'Edit limits of playground' }).click();
    const form = page.getByRole('dialog', { name: 'Limits of playground' });
    await form.getByLabel('Spending limit').fill('2');
    await shoot('key-limits');
    await form.getByRole('button', { name: 'Save limits' }).click();
    await eventually(() => row.textContent()).toContain('0.00 / 2.00');
    const account = await h.http('GET', '/v1/account', { token: apiKey });
    expect(account.body.key).toMatchObject({ name: 'playground', spend_limit: 2_000_000, expires_at: null });
  }, 60_000);

  it('runs a generation from the playground until the video plays', async () => {
    await goTo('Playground');
    const form = page.getByRole('form', { name: 'New generation' });
    // The operator runs as a key created in this tab, picked by whose it is; pasting one is the other choice.
    const runAs = form.getByLabel('Run as');
    expect(await runAs.locator('option:checked').textContent()).toBe('Ada · playground');
    await runAs.selectOption({ label: 'Paste a key…' });
    await form.getByLabel('API key').fill('sk-pasted');
    await runAs.selectOption({ label: 'Ada · playground' });
    expect(await form.getByLabel('API key').count()).toBe(0);
    await form.getByLabel('Model').fill('kling-v1');
    await form.getByLabel('Prompt').fill('A lighthouse at dusk, waves rolling in');
    await form.getByLabel('Duration (seconds)').fill('5');
    await form.getByLabel('Size').fill('1280x720');
    await form.getByRole('button', { name: 'Generate' }).click();

    await eventually(() => page.getByRole('progressbar').isVisible()).toBe(true);
    await shoot('playground-progress');
    await videoPlays(page);
    taskId = (await page.getByRole('link', { name: /^task_/ }).textContent())!;
    expect(taskId).toMatch(/^task_/);
    await shoot('playground');
  }, 60_000);

  it('finds the task in the live table and its detail plays the video', async () => {
    await goTo('Tasks');
    const row = page.getByRole('row').filter({ has: page.locator(`a[title="${taskId}"]`) });
    await eventually(() => row.isVisible()).toBe(true);
    const text = await row.textContent();
    expect(text).toContain('Succeeded');
    expect(text).toContain('kling-v1');
    expect(text).toContain('Kling simulator');
    expect(text).toContain('Ada');
    expect(text).toContain('0.50'); // 5 s at 0.10 per second, 720p
    // "Took" is submit to end; the video's length has its own column.
    const headers = await page.getByRole('table').getByRole('columnheader').allTextContents();
    expect(headers).toEqual(expect.arrayContaining(['Took', 'Length']));
    expect(headers).not.toContain('Duration');
    const cells = await row.locator('th, td').allTextContents();
    expect(cells[headers.indexOf('Length')]).toBe('5 s');
    expect(cells[headers.indexOf('Took')]).toMatch(/^[\d.]+ (ms|s)$|min/);
    await page.getByLabel('Status').selectOption('failed');
    await eventually(() => row.isVisible()).toBe(false);
    await page.getByLabel('Status').selectOption('succeeded');
    await eventually(() => row.isVisible()).toBe(true);
    await shoot('tasks');

    await row.getByRole('link').click();
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(`Task ${taskId}`);
    await videoPlays(page);
    const history = await page.getByRole('region', { name: 'Status history' }).textContent();
    expect(history).toContain('sent to Kling simulator');
    // The request in the API's field names, as the playground sent it.
    const request = JSON.parse((await page.getByLabel('The request as the client sent it').textContent())!);
    expect(request).toEqual({
      model: 'kling-v1',
      prompt: 'A lighthouse at dusk, waves rolling in',
      duration: 5,
      size: '1280x720',
    });
    await shoot('task-detail');
  }, 60_000);

  it('charts spend and task counts over time, with the ledger', async () => {
    await goTo('Usage');
    await eventually(() => page.locator('.recharts-bar-rectangle').count()).toBeGreaterThan(0);
    const totals = page.getByRole('table', { name: 'Totals for the period' });
    expect(await totals.getByRole('row', { name: /kling-v1/ }).textContent()).toContain('0.50');
    await page.getByLabel('User').selectOption({ label: 'Ada' });
    await eventually(() => page.getByRole('heading', { name: 'Ledger of Ada' }).isVisible()).toBe(true);
    await eventually(() => page.getByRole('row', { name: /topup/ }).count()).toBe(1);
    await shoot('usage');
  }, 60_000);

  it('lists admin changes in the audit log: who, what, before and after, secrets masked', async () => {
    await goTo('Audit log');
    const change = (action: RegExp) =>
      page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: action }) });
    const limits = change(/^PATCH \/admin\/v1\/users\/usr_\w+\/keys\/key_\w+$/);
    await eventually(() => limits.isVisible()).toBe(true);
    expect(await limits.textContent()).toContain('Console session');
    await limits.getByText('Before').click();
    await limits.getByText('After').click();
    const [before, after] = (await limits.locator('pre').allTextContents()).map((t) => JSON.parse(t));
    expect(before).toMatchObject({ name: 'playground', spend_limit: null });
    expect(after).toMatchObject({ name: 'playground', spend_limit: 2_000_000 });
    const created = change(/^POST \/admin\/v1\/users\/usr_\w+\/keys$/);
    await created.getByText('After').click();
    expect(await created.locator('pre').textContent()).toContain('"key": "***"');
    expect(await page.content()).not.toContain(apiKey);
    await shoot('audit-log');
  }, 60_000);

  it('fits every operator page in a 420 px wide window: tables scroll inside their box', async () => {
    await page.setViewportSize({ width: 420, height: 800 });
    for (const section of [
      'Tasks',
      'Channels',
      'Prices',
      'Keys & users',
      'Usage',
      'Playground',
      'Audit log',
    ]) {
      await goTo(section);
      await eventually(() => page.locator('.loading').count()).toBe(0);
      const pageWidth = () => page.evaluate(() => document.scrollingElement!.scrollWidth);
      await expect
        .poll(pageWidth, { timeout: 20_000, message: `${section} at 420 px` })
        .toBeLessThanOrEqual(420);
    }
    await goTo('Tasks');
    await eventually(() => page.locator('.table-wrap').first().isVisible()).toBe(true);
    // The task table is wider than the window: it scrolls within its own box.
    const wrap = page.locator('.table-wrap').first();
    expect(await wrap.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
    await shoot('tasks-420');
    await page.locator(`a[title="${taskId}"]`).click();
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(`Task ${taskId}`);
    await eventually(() => page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(
      420,
    );
    await page.setViewportSize({ width: 1280, height: 860 });
  }, 60_000);

  it('shows a key holder only their own tasks and usage, on a phone-sized screen too', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token or API key').fill(apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await goTo('Tasks');
    const nav = await page.getByRole('navigation', { name: 'Sections' }).textContent();
    expect(nav).not.toContain('Channels');
    expect(nav).not.toContain('Keys');
    await eventually(() => page.locator(`a[title="${taskId}"]`).isVisible()).toBe(true);
    await page.setViewportSize({ width: 390, height: 800 });
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(390);
    await shoot('user-tasks-phone');
    await page.setViewportSize({ width: 1280, height: 860 });
    await goTo('Usage');
    await eventually(() => page.locator('.recharts-bar-rectangle').count()).toBeGreaterThan(0);
    await shoot('user-usage');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
