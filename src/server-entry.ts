/**
 * `rtc-elements/server`: the signaling server of src/server/index.ts.
 *
 * The server's dependencies (socket.io, redis, pino, prom-client…) are not
 * dependencies of rtc-elements, so that a front-end install stays small: they
 * come with the package `@rtc-elements/server`. Without it, importing the
 * server (or running `npx rtc-elements`) says what to install, not Node's
 * "Cannot find package 'socket.io'". Types: package.json points
 * `rtc-elements/server` at dist/server/index.d.ts.
 */
import type * as Server from './server/index.js';

let server: typeof Server;
try {
  server = await import('./server/index.js');
} catch (err) {
  const missing = /Cannot find package '([^']+)'/.exec(String((err as Error | undefined)?.message))?.[1];
  if ((err as { code?: unknown } | undefined)?.code !== 'ERR_MODULE_NOT_FOUND' || !missing) throw err;
  throw Object.assign(
    new Error(
      `rtc-elements: the signaling server is not installed (Node cannot find the package '${missing}').\n` +
        'The server and its dependencies are the package @rtc-elements/server (so that a front-end install of rtc-elements stays small):\n' +
        "  npm install @rtc-elements/server     then `npx rtc-elements` and `import { createSignalingServer } from 'rtc-elements/server'` work\n" +
        '  npx @rtc-elements/server [options]   runs the server without installing it',
      { cause: err },
    ),
    { code: 'RTC_SERVER_NOT_INSTALLED' },
  );
}

// Every value export of src/server/index.ts (test/e2e/pack.test.ts compares the lists).
export const {
  createSignalingServer,
  MemoryRoomStore,
  RedisRoomStore,
  DEFAULT_KEY_PREFIX,
  DEFAULT_RATE_LIMIT,
  mintRoomToken,
  DEFAULT_TURN_TTL,
  turnCredentials,
  ERROR_CODES,
  CLIENT_EVENTS,
  PERMISSIONS,
  PROTOCOL_VERSION,
} = server;
