/**
 * Debian's Chromium driven by playwright-core, for the console's browser tests. Playwright's own browser
 * downloads are never used: the machine's /usr/bin/chromium (or CHROMIUM_PATH) runs with a fresh profile.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or null when they can. */
export function chromiumUnavailable(): string | null {
  return existsSync(chromiumPath)
    ? null
    : `Browser tests skipped: no Chromium at ${chromiumPath} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'reelay-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Where screenshots go (gitignored): test-artifacts/console/<name>.png. */
export function artifactPath(name: string): string {
  const dir = join(process.cwd(), 'test-artifacts', 'console');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${name}.png`);
}
