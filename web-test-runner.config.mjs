// Browser tests: Debian's Chromium, headless, fake camera and microphone.
// `npm test` runs this inside a loopback-only network namespace (scripts/test.mjs).
import { existsSync } from 'node:fs';
import { chromeLauncher } from '@web/test-runner-chrome';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromePath } from './scripts/util.mjs';
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
  ],
  browsers: [
    chromeLauncher({
      launchOptions: { executablePath, headless: true, args: chromeArgs() },
    }),
  ],
};
