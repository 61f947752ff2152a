// Debian's Chromium through playwright-core, with the flags of the browser
// tests (fake devices, loopback ICE): never a downloaded browser.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { ROOT } from './servers.mjs';

/** Small fake-camera captures everywhere, so the machine's 2 cores are not the bottleneck. */
export const CAPTURE = { width: 320, height: 240, frameRate: 15 };

export async function launchBrowser(extraArgs = []) {
  const { chromePath } = await import(pathToFileURL(join(ROOT, 'scripts/util.mjs')).href);
  const { chromeArgs } = await import(pathToFileURL(join(ROOT, 'scripts/chrome-args.mjs')).href);
  const executablePath = chromePath();
  if (!executablePath) throw new Error('No Chromium: apt-get install chromium, or set CHROME_PATH.');
  return chromium.launch({ executablePath, headless: true, args: chromeArgs(extraArgs) });
}

export async function chromiumVersion() {
  const browser = await launchBrowser();
  try {
    return browser.version();
  } finally {
    await browser.close();
  }
}

/** One person: a fresh browser context (own cookies, own renderer) with one page on `url`. */
export async function openUser(browser, url, errors) {
  const context = await browser.newContext({ viewport: { width: 640, height: 480 } });
  const page = await context.newPage();
  // `user.errors` may be swapped per call; the listeners read it each time.
  const user = { context, page, errors };
  page.on('pageerror', (e) => user.errors?.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') user.errors?.push(`console: ${m.text()}`);
  });
  if (url) await navigate(user, url);
  return user;
}

/** Loads `url` in the user's page (a fresh document; the renderer process is reused) and waits for the bench API. */
export async function navigate(user, url) {
  await user.page.goto(url);
  await user.page.waitForFunction(() => window.bench?.ready === true, null, { timeout: 20000 });
}
