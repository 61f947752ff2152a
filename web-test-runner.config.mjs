// Browser tests: Debian's Chromium, headless, fake camera and microphone.
// `npm test` runs this inside a loopback-only network namespace (scripts/test.mjs).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { defaultReporter } from '@web/test-runner';
import { chromeLauncher } from '@web/test-runner-chrome';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromePath, freePort } from './scripts/util.mjs';
import { chromeArgs } from './scripts/chrome-args.mjs';

const executablePath = chromePath();
if (!executablePath) {
  throw new Error('No Chromium found: install Debian\'s `chromium` (apt-get install chromium) or set CHROME_PATH.');
}

/**
 * Attaches our signaling server to the test runner's own HTTP server, so test
 * pages reach it at their own origin (`/socket.io/`), as pages served by
 * `npm start` do. Tests that need a second, separate server start one through
 * the `/__rtc/` control endpoints below.
 */
function signalingPlugin() {
  let signaling;
  return {
    name: 'rtc-signaling',
    async serverStart({ server }) {
      if (!existsSync('./dist/server/index.js')) return;
      const { createSignalingServer } = await import('./dist/server/index.js');
      signaling = await createSignalingServer({
        httpServer: server,
        logLevel: 'silent',
        // Many users in one page share this server; keep the real limits' shape but roomier.
        rateLimit: { burst: 2000, perSecond: 1000 },
        passwordHashCost: 1024,
      });
    },
    async serverStop() {
      await signaling?.close();
    },
  };
}

/**
 * Lets browser tests run a signaling server in its own process and kill it
 * (-9) or restart it on the same port: `executeServerCommand('signaling',
 * { action: 'start' | 'kill' | 'restart' | 'stop', id, args? })` (`args`:
 * extra CLI options, kept for restarts). `executeServerCommand('room-token',
 * { secret, userid, room, ttlSeconds, permissions? })` mints a room token as a
 * backend would.
 */
function signalingProcessPlugin() {
  const servers = new Map(); // id -> { port, child }
  const launch = (port, args = []) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['dist/server/cli.js', '--port', String(port), '--log-level', 'warn', ...args], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 10000);
      child.stderr.on('data', (chunk) => {
        err += chunk;
        if (err.includes('signaling server')) {
          clearTimeout(timer);
          resolve(child);
        }
      });
      child.on('exit', (code) => reject(new Error(`server exited (${code}): ${err}`)));
    });
  const kill = (entry) =>
    new Promise((resolve) => {
      if (!entry?.child || entry.child.exitCode !== null || entry.child.signalCode !== null) return resolve();
      entry.child.once('exit', () => resolve());
      entry.child.kill('SIGKILL');
    });
  return {
    name: 'rtc-signaling-process',
    async executeCommand({ command, payload }) {
      if (command === 'room-token') {
        const { mintRoomToken } = await import('./dist/server/tokens.js');
        return { token: await mintRoomToken(payload) };
      }
      if (command !== 'signaling') return undefined;
      const { action, id = 'default' } = payload ?? {};
      let entry = servers.get(id);
      const running = entry?.child && entry.child.exitCode === null && entry.child.signalCode === null;
      if (action === 'start' && running) return { url: `http://127.0.0.1:${entry.port}`, port: entry.port };
      if (action === 'start' || action === 'restart') {
        if (action === 'restart') await kill(entry);
        const port = entry?.port ?? (await freePort());
        const args = payload.args ?? entry?.args ?? [];
        entry = { port, args, child: await launch(port, args) };
        servers.set(id, entry);
        return { url: `http://127.0.0.1:${port}`, port };
      }
      if (action === 'kill' || action === 'stop') {
        await kill(entry);
        if (action === 'stop') servers.delete(id);
        return { ok: true };
      }
      throw new Error(`signaling: unknown action ${action}`);
    },
    async serverStop() {
      await Promise.all([...servers.values()].map(kill));
    },
  };
}

/**
 * webrtc-adapter imports `sdp`, a CommonJS module; the bundle converts it with
 * @rollup/plugin-commonjs, and the test server wraps it as ESM here.
 */
function cjsSdpPlugin() {
  return {
    name: 'cjs-sdp',
    transform(context) {
      if (!/\/node_modules\/sdp\/sdp\.js$/.test(context.path)) return undefined;
      return {
        body: `const module = { exports: {} };\n(function (module, exports) {\n${context.body}\n})(module, module.exports);\nexport default module.exports;\n`,
      };
    },
  };
}

/**
 * `executeServerCommand('screenshot', { name })` saves what the test page shows
 * as test-artifacts/<name>.png, for people to look at (the UI tests take them).
 */
function screenshotPlugin() {
  return {
    name: 'rtc-screenshot',
    async executeCommand({ command, payload, session }) {
      if (command !== 'screenshot') return undefined;
      const name = String(payload?.name ?? '').replace(/[^\w.-]+/g, '_') || 'screenshot';
      const path = `test-artifacts/${name}.png`;
      mkdirSync('test-artifacts', { recursive: true });
      const png = await session.browser.getPage(session.id).screenshot({ path });
      return { path, bytes: png.length };
    },
  };
}

/**
 * `executeServerCommand('grant-clipboard')` lets the test page read the clipboard
 * (a person would paste it), so a test can check what a Copy button put there.
 */
function clipboardPlugin() {
  return {
    name: 'rtc-clipboard',
    async executeCommand({ command, session }) {
      if (command !== 'grant-clipboard') return undefined;
      const page = session.browser.getPage(session.id);
      // setPermission changes only these (overridePermissions would deny the camera and microphone).
      const granted = (name) => ({ permission: { name }, state: 'granted' });
      await page.browserContext().setPermission(new URL(page.url()).origin, granted('clipboard-read'), granted('clipboard-write'));
      return true;
    },
  };
}

/** Counts passed/failed tests into build/browser-tests.json for npm test's closing line. */
function countingReporter() {
  const count = (suite, acc) => {
    for (const t of suite?.tests ?? []) {
      if (t.skipped) acc.skipped++;
      else if (t.passed) acc.passed++;
      else acc.failed++;
    }
    for (const s of suite?.suites ?? []) count(s, acc);
    return acc;
  };
  return {
    onTestRunFinished({ sessions }) {
      const acc = { passed: 0, failed: 0, skipped: 0, brokenFiles: 0 };
      for (const session of sessions) {
        count(session.testResults, acc);
        if (!session.passed && !session.testResults?.tests?.length && !session.testResults?.suites?.length) acc.brokenFiles++;
      }
      mkdirSync('build', { recursive: true });
      writeFileSync('build/browser-tests.json', JSON.stringify(acc));
    },
  };
}

export default {
  files: ['test/browser/**/*.test.ts'],
  nodeResolve: { browser: true, exportConditions: ['browser', 'production'] },
  concurrency: 1,
  concurrentBrowsers: 1,
  testsFinishTimeout: 10 * 60 * 1000,
  testFramework: { config: { timeout: 30000 } },
  browserStartTimeout: 60000,
  plugins: [
    esbuildPlugin({ ts: true, target: 'es2022' }),
    cjsSdpPlugin(),
    signalingPlugin(),
    signalingProcessPlugin(),
    screenshotPlugin(),
    clipboardPlugin(),
  ],
  reporters: [defaultReporter(), countingReporter()],
  browsers: [
    chromeLauncher({
      launchOptions: { executablePath, headless: true, args: chromeArgs() },
    }),
  ],
};
