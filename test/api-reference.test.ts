/**
 * The API reference page (GET /docs) in a real browser with every address but the gateway's refused: it must
 * render the whole document from assets the gateway serves itself (from node_modules), asking nothing of a CDN.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactPath, chromiumUnavailable, launchChromium, type Browser } from './support/browser.js';
import { Harness } from './support/harness.js';

const unavailable = chromiumUnavailable();
if (unavailable) console.log(unavailable);

describe('the API reference page', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  it('is served locked to this origin, with only its own two assets reachable', async () => {
    const page = await h.http('GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['content-security-policy']).not.toMatch(/https?:/);
    expect(page.body).not.toMatch(/https?:\/\//);
    const script = await h.http('GET', '/docs/assets/swagger-ui-bundle.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    // The package's demo page (pointing at a petstore on the internet) is not served.
    expect((await h.http('GET', '/docs/assets/index.html')).status).toBe(404);
  });

  describe.skipIf(unavailable !== null)('in Chromium, with the network closed', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(() => browser?.close());

    it('renders every surface of the document offline', async () => {
      const outside: string[] = [];
      const own = new URL(h.url).host;
      await browser.context.route('**/*', (route) => {
        const url = new URL(route.request().url());
        if (url.host === own) return route.continue();
        outside.push(url.href);
        return route.abort('internetdisconnected');
      });
      const page = await browser.context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (err) => pageErrors.push(err.message));
      await page.goto(`${h.url}/docs`);
      await expect
        .poll(() => page.locator('.swagger-ui .info .title').textContent(), { timeout: 20_000 })
        .toContain('Reelay');
      for (const tag of ['generations', 'videos', 'models', 'account', 'admin']) {
        await expect.poll(() => page.locator(`#operations-tag-${tag}`).count(), { timeout: 10_000 }).toBe(1);
      }
      await expect
        .poll(() => page.getByText('/v1/video/generations/{task_id}', { exact: true }).first().isVisible())
        .toBe(true);
      await page.screenshot({ path: artifactPath('api-reference'), fullPage: false });
      expect(outside).toEqual([]);
      expect(pageErrors).toEqual([]);
      await page.close();
    });
  });
});
