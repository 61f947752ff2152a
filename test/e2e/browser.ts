// End-to-end helpers: the real server (as `npm start` runs it) and Debian's
// Chromium driven by playwright-core, one browser context per person.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createSignalingServer, type SignalingServer } from '../../src/server/index.js';
import { packageRoot } from '../../src/server/http.js';

export const ROOT = packageRoot();
export const ARTIFACTS = join(ROOT, 'test-artifacts');

interface ScriptsUtil {
  chromePath(): string | undefined;
}
interface ScriptsArgs {
  chromeArgs(extra?: string[]): string[];
}

/** Launches Chromium with the same flags as the browser tests. */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  const util = (await import(pathToFileURL(join(ROOT, 'scripts/util.mjs')).href)) as ScriptsUtil;
  const args = (await import(pathToFileURL(join(ROOT, 'scripts/chrome-args.mjs')).href)) as ScriptsArgs;
  const executablePath = util.chromePath();
  if (!executablePath) throw new Error('No Chromium: apt-get install chromium, or set CHROME_PATH.');
  return chromium.launch({ executablePath, headless: true, args: args.chromeArgs(extraArgs) });
}

/** Our server with the demo, on a free loopback port. */
export function startDemoServer(): Promise<SignalingServer> {
  return createSignalingServer({ port: 0, logLevel: 'silent' });
}

/**
 * Resolves in the page once the `<remote-stream>` matching `selector` (inside
 * an <rtc-room>) has rendered `frames` new video frames.
 */
export async function expectRemoteFrames(page: Page, selector = 'remote-stream', frames = 5, timeout = 20000): Promise<void> {
  await page.waitForSelector(selector, { state: 'attached', timeout });
  await page.evaluate(
    ({ selector, frames, timeout }) =>
      new Promise<void>((resolve, reject) => {
        const el = document.querySelector(selector) as HTMLElement & { updateComplete?: Promise<unknown> };
        const video = el.shadowRoot?.querySelector('video');
        if (!video) return reject(new Error(`${selector} has no <video>`));
        let seen = 0;
        const timer = setTimeout(() => reject(new Error(`only ${seen}/${frames} frames rendered`)), timeout);
        const onFrame = () => {
          if (++seen >= frames) {
            clearTimeout(timer);
            resolve();
          } else video.requestVideoFrameCallback(onFrame);
        };
        video.requestVideoFrameCallback(onFrame);
      }),
    { selector, frames, timeout },
  );
}

/** Saves a screenshot under test-artifacts/ (kept as a test artifact). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export interface DemoSession {
  readonly server: SignalingServer;
  readonly browser: Browser;
  /** A new browser context (one person), closed after the suite. */
  newContext(options?: Parameters<Browser['newContext']>[0]): Promise<BrowserContext>;
}

/** The real server and one Chromium for a describe() block, released after it. */
export function demoSession(): DemoSession {
  let server: SignalingServer | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  before(async () => {
    server = await startDemoServer();
    browser = await launchBrowser();
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.close();
  });
  return {
    get server() {
      return server!;
    },
    get browser() {
      return browser!;
    },
    async newContext(options) {
      const context = await browser!.newContext(options);
      contexts.push(context);
      return context;
    },
  };
}

/**
 * One person in an `sfu` room: `page` opens a page of `server` holding `<rtc-room topology="sfu" autojoin>` with `capture`
 * (a `<media-capture>`'s attributes), `head` markup before it and `tail` after it; resolves once joined, with the page's userid and the
 * name of the transport carrying its media.
 */
export async function sfuPerson(
  page: Page,
  server: string,
  room: string,
  { capture = 'audio video width="320" height="240"', head = '', tail = '', topology = 'sfu' as string | null } = {},
): Promise<{ page: Page; userid: string; transport: string }> {
  await page.route('**/call.html', (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<!doctype html><script type="module" src="/dist/rtc-elements.js"></script>${head}
        <rtc-room room-id="${room}" ${topology ? `topology="${topology}"` : ''} autojoin><media-capture ${capture} autostart></media-capture></rtc-room>${tail}`,
    }),
  );
  await page.goto(`${server}/call.html`);
  await page.waitForFunction(() => document.querySelector('rtc-room')?.getAttribute('state') === 'joined', null, { timeout: 20000 });
  const { userid, transport } = await page.evaluate(() => {
    const room = document.querySelector('rtc-room') as unknown as { room: { userid: string; transport: { name: string } } };
    return { userid: room.room.userid, transport: room.room.transport.name };
  });
  return { page, userid, transport };
}
