// The `rtc-elements` command: flags and environment, --help, SIGTERM.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { jwtVerify } from 'jose';
import { HELP, TOKEN_HELP, UsageError, duration, parseCli, parseTokenCli } from '../../src/server/cli-args.js';
import { formatLogLine, logDestination } from '../../src/server/log-format.js';
import { connect, http, next, ok, refused } from './helpers.js';

const SECRET = 'cli-test-secret-that-is-32-bytes-or-more';

// This file runs from build/test/server/; the CLI under test is the built one.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = `${root}dist/server/cli.js`;
const bin = `${root}bin/rtc-elements.js`;

describe('parseCli', () => {
  it('has defaults left to the server', () => {
    assert.deepEqual(parseCli([], {}), { help: false, options: {} });
  });

  it('reads every flag', () => {
    const config = parseCli(
      [
        '--port', '0',
        '--host', '0.0.0.0',
        '--allowed-origins', 'https://a.example, https://b.example',
        '--room-size', '4',
        '--max-room-size', '6',
        '--tls-cert', 'c.pem',
        '--tls-key', 'k.pem',
        '--ice-servers', '[{"urls":"stun:stun.example:3478"},{"urls":["turn:t.example"],"username":"u","credential":"p"}]',
        '--token', 't',
        '--log-level', 'debug',
      ],
      {},
    );
    assert.deepEqual(config, {
      help: false,
      options: {
        port: 0,
        host: '0.0.0.0',
        allowedOrigins: ['https://a.example', 'https://b.example'],
        defaultRoomSize: 4,
        maxRoomSize: 6,
        tls: { cert: 'c.pem', key: 'k.pem' },
        iceServers: [{ urls: 'stun:stun.example:3478' }, { urls: ['turn:t.example'], username: 'u', credential: 'p' }],
        token: 't',
        logLevel: 'debug',
      },
    });
  });

  it('reads the environment; flags win', () => {
    const env = { PORT: '8080', HOST: '::', ALLOWED_ORIGINS: '*', ROOM_SIZE: '3', MAX_ROOM_SIZE: '5', LOG_LEVEL: 'warn', RTC_TOKEN: 'e', ICE_SERVERS: '[]' };
    assert.deepEqual(parseCli([], env), {
      help: false,
      options: { port: 8080, host: '::', allowedOrigins: ['*'], defaultRoomSize: 3, maxRoomSize: 5, logLevel: 'warn', token: 'e', iceServers: [] },
    });
    const config = parseCli(['--port', '9', '--log-level', 'silent'], env);
    assert.equal(!config.help && config.options.port, 9);
    assert.equal(!config.help && config.options.logLevel, 'silent');
  });

  it('refuses bad values with a UsageError', () => {
    for (const argv of [
      ['--port', 'abc'],
      ['--port', '70000'],
      ['--port', '-1'],
      ['--room-size', '1'],
      ['--max-room-size', '2.5'],
      ['--tls-cert', 'only-cert.pem'],
      ['--ice-servers', 'not json'],
      ['--ice-servers', '[{"url":"stun:x"}]'],
      ['--log-level', 'loud'],
      ['--unknown'],
      ['positional'],
    ]) {
      assert.throws(() => parseCli(argv, {}), UsageError, argv.join(' '));
    }
  });

  it('--help', () => {
    assert.deepEqual(parseCli(['--help'], {}), { help: true });
    assert.deepEqual(parseCli(['-h'], {}), { help: true });
    for (const flag of [
      '--port', '--host', '--allowed-origins', '--room-size', '--max-room-size', '--tls-cert', '--tls-key', '--ice-servers', '--log-level',
      '--token-secret', '--jwks-url', '--token-issuer', '--token-audience', '--turn-secret', '--turn-urls', '--turn-ttl', '--relay-only',
    ]) {
      assert.ok(HELP.includes(flag), flag);
    }
    // Grouped by what the options are for, in this order.
    const headings = ['Where it listens', 'Who may connect', 'Rooms', 'Getting media through (STUN/TURN)', 'Several server processes', 'Logs and help'];
    const at = headings.map((h) => HELP.indexOf(`\n${h}\n`));
    assert.ok(at.every((i) => i > 0), String(at));
    assert.deepEqual([...at].sort((a, b) => a - b), at);
    // Each flag under its heading.
    const section = (flag: string) => headings[at.filter((i) => i < HELP.indexOf(`  ${flag} `)).length - 1];
    assert.equal(section('--port'), 'Where it listens');
    assert.equal(section('--allowed-origins'), 'Who may connect');
    assert.equal(section('--token-secret'), 'Who may connect');
    assert.equal(section('--max-room-size'), 'Rooms');
    assert.equal(section('--turn-secret'), 'Getting media through (STUN/TURN)');
    assert.equal(section('--redis-url'), 'Several server processes');
    assert.equal(section('--log-level'), 'Logs and help');
  });

  it('reads the room token, TURN and relay-only flags', () => {
    assert.deepEqual(
      parseCli(
        ['--token-secret', SECRET, '--token-issuer', 'https://backend.example', '--token-audience', 'rtc',
          '--turn-secret', 'ts', '--turn-urls', 'turn:t.example:3478, turns:t.example:5349', '--turn-ttl', '600', '--relay-only'],
        {},
      ),
      {
        help: false,
        options: {
          tokenSecret: SECRET,
          tokenIssuer: 'https://backend.example',
          tokenAudience: 'rtc',
          turn: { secret: 'ts', urls: ['turn:t.example:3478', 'turns:t.example:5349'], ttl: 600 },
          relayOnly: true,
        },
      },
    );
    assert.deepEqual(parseCli([], { RTC_JWKS_URL: 'https://auth.example/jwks.json', TURN_SECRET: 's', TURN_URLS: 'turn:t.example', RELAY_ONLY: '1' }), {
      help: false,
      options: { jwksUrl: 'https://auth.example/jwks.json', turn: { secret: 's', urls: ['turn:t.example'] }, relayOnly: true },
    });
    assert.deepEqual(parseCli([], { RTC_TOKEN_SECRET: SECRET, RELAY_ONLY: '0' }), { help: false, options: { tokenSecret: SECRET } });
    for (const argv of [
      ['--token-secret', 'short'],
      ['--token-secret', SECRET, '--token', 'x'],
      ['--token-secret', SECRET, '--jwks-url', 'https://a.example/j'],
      ['--jwks-url', 'http://auth.example/jwks.json'],
      ['--jwks-url', 'not a url'],
      ['--token-issuer', 'x'],
      ['--turn-secret', 's'],
      ['--turn-urls', 'turn:x'],
      ['--turn-secret', 's', '--turn-urls', 'stun:x'],
      ['--turn-secret', 's', '--turn-urls', 'turn:x', '--turn-ttl', '0'],
      ['--turn-ttl', '60'],
      ['--relay-only'],
      ['--relay-only', '--ice-servers', '[{"urls":"stun:s.example"}]'],
    ]) {
      assert.throws(() => parseCli(argv, {}), UsageError, argv.join(' '));
    }
    // A TURN server given as a plain ICE server is enough for relay-only.
    const config = parseCli(['--relay-only', '--ice-servers', '[{"urls":"turn:t.example","username":"u","credential":"p"}]'], {});
    assert.equal(!config.help && config.options.relayOnly, true);
  });

  it('reads --redis-url and --redis-prefix (shared mode), or REDIS_URL and REDIS_PREFIX', () => {
    assert.deepEqual(parseCli(['--redis-url', 'redis://:secret@cache.internal:6380/2', '--redis-prefix', 'call:'], {}), {
      help: false,
      options: { redisUrl: 'redis://:secret@cache.internal:6380/2', redisKeyPrefix: 'call:' },
    });
    assert.deepEqual(parseCli([], { REDIS_URL: 'rediss://cache.example:6380', REDIS_PREFIX: 'x:' }), {
      help: false,
      options: { redisUrl: 'rediss://cache.example:6380', redisKeyPrefix: 'x:' },
    });
    const flagWins = parseCli(['--redis-url', 'redis://127.0.0.1:1'], { REDIS_URL: 'redis://127.0.0.1:2' });
    assert.equal(!flagWins.help && flagWins.options.redisUrl, 'redis://127.0.0.1:1');
    for (const argv of [
      ['--redis-url', 'http://127.0.0.1:6379'],
      ['--redis-url', '127.0.0.1:6379'],
      ['--redis-url', 'redis://'],
      ['--redis-prefix', 'x:'],
      ['--redis-url', 'redis://127.0.0.1', '--redis-prefix', 'has space'],
      ['--redis-url', 'redis://127.0.0.1', '--redis-prefix', 'x'.repeat(65)],
    ]) {
      assert.throws(() => parseCli(argv, {}), UsageError, argv.join(' '));
    }
    assert.ok(HELP.includes('--redis-url') && HELP.includes('REDIS_URL') && HELP.includes('--redis-prefix'));
  });

  it('reads --janus-url (repeatable or a comma list), --janus-api-secret, --janus-admin-key, --sfu-room-size, --mesh-max, or their variables', () => {
    assert.deepEqual(
      parseCli(
        ['--janus-url', 'ws://127.0.0.1:8188', '--janus-url', 'ws://127.0.0.1:8189,wss://j.example/ws', '--janus-api-secret', 'api', '--janus-admin-key', 'adm', '--sfu-room-size', '20', '--mesh-max', '6'],
        {},
      ),
      {
        help: false,
        options: { janusUrls: ['ws://127.0.0.1:8188', 'ws://127.0.0.1:8189', 'wss://j.example/ws'], janusApiSecret: 'api', janusAdminKey: 'adm', sfuRoomSize: 20, meshMax: 6 },
      },
    );
    assert.deepEqual(parseCli([], { JANUS_URL: 'ws://a:1, ws://b:2', JANUS_API_SECRET: 'x', JANUS_ADMIN_KEY: 'y', SFU_ROOM_SIZE: '30', MESH_MAX: '5' }), {
      help: false,
      options: { janusUrls: ['ws://a:1', 'ws://b:2'], janusApiSecret: 'x', janusAdminKey: 'y', sfuRoomSize: 30, meshMax: 5 },
    });
    const flagWins = parseCli(['--janus-url', 'ws://flag:1'], { JANUS_URL: 'ws://env:1' });
    assert.deepEqual(!flagWins.help && flagWins.options.janusUrls, ['ws://flag:1']);
    for (const argv of [
      ['--janus-url', 'http://127.0.0.1:8188'],
      ['--janus-url', '127.0.0.1:8188'],
      ['--janus-api-secret', 'x'],
      ['--janus-admin-key', 'x'],
      ['--sfu-room-size', '1'],
      ['--sfu-room-size', 'many'],
      ['--mesh-max', '1'],
    ]) {
      assert.throws(() => parseCli(argv, {}), UsageError, argv.join(' '));
    }
    assert.ok(['--janus-url', 'JANUS_URL', '--janus-api-secret', '--janus-admin-key', '--sfu-room-size', 'SFU_ROOM_SIZE', '--mesh-max', 'MESH_MAX'].every((x) => HELP.includes(x)));
  });
});

describe('parseTokenCli (rtc-elements token)', () => {
  it('reads the flags; the secret comes from the flag or RTC_TOKEN_SECRET', () => {
    assert.deepEqual(parseTokenCli(['--room', 'demo', '--user', 'alice'], { RTC_TOKEN_SECRET: SECRET }), {
      help: false,
      mint: { secret: SECRET, userid: 'alice', room: 'demo', ttlSeconds: 3600 },
    });
    assert.deepEqual(
      parseTokenCli(['--room', 'a,b', '--user', 'bob', '--ttl', '15m', '--permissions', 'open,data', '--token-secret', SECRET, '--token-issuer', 'i', '--token-audience', 'a'], {}),
      { help: false, mint: { secret: SECRET, userid: 'bob', room: ['a', 'b'], ttlSeconds: 900, permissions: ['open', 'data'], issuer: 'i', audience: 'a' } },
    );
    assert.deepEqual(parseTokenCli(['--help'], {}), { help: true });
    assert.match(TOKEN_HELP, /--room/);
    for (const argv of [
      ['--room', 'demo', '--user', 'alice'],
      ['--room', 'demo', '--user', 'alice', '--token-secret', 'short'],
      ['--user', 'alice', '--token-secret', SECRET],
      ['--room', 'demo', '--token-secret', SECRET],
      ['--room', 'a b', '--user', 'alice', '--token-secret', SECRET],
      ['--room', 'demo', '--user', 'al ice', '--token-secret', SECRET],
      ['--room', 'demo', '--user', 'alice', '--token-secret', SECRET, '--permissions', 'admin'],
      ['--room', 'demo', '--user', 'alice', '--token-secret', SECRET, '--ttl', 'forever'],
      ['--room', 'demo', '--user', 'alice', '--token-secret', SECRET, '--nope'],
    ]) {
      assert.throws(() => parseTokenCli(argv, {}), UsageError, argv.join(' '));
    }
  });

  it('durations', () => {
    assert.equal(duration('90', 'x'), 90);
    assert.equal(duration('90s', 'x'), 90);
    assert.equal(duration('15m', 'x'), 900);
    assert.equal(duration('1h', 'x'), 3600);
    assert.equal(duration('7d', 'x'), 604800);
    for (const bad of ['0', '', '1w', '-5', '1.5h', '400d']) assert.throws(() => duration(bad, 'x'), UsageError, bad);
  });
});

interface Running {
  child: ChildProcess;
  url: string;
  lines: Record<string, unknown>[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns the CLI and waits for its start line (JSON log with the real port). */
function start(script: string, args: string[], env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    let buffer = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no start line within 10 s; stderr: ${stderr}`));
    }, 10_000);
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>;
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        if (typeof line.port === 'number') {
          clearTimeout(timer);
          resolve({ child, url: `http://127.0.0.1:${line.port}`, lines, exit });
        }
      }
    });
    void exit.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`exited early with ${code}; stderr: ${stderr}`));
    });
  });
}

function run(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('log lines (log-format.ts)', () => {
  it('formats a pino line: time, level, message, fields; an error with its stack', () => {
    const time = Date.UTC(2026, 0, 2, 3, 4, 5);
    assert.equal(
      formatLogLine(JSON.stringify({ level: 40, time, pid: 1, hostname: 'h', name: 'rtc-elements', msg: 'connection refused: origin not allowed', origin: 'https://a.example', n: 2, note: 'two words' })),
      '03:04:05 WARN  connection refused: origin not allowed origin=https://a.example n=2 note="two words"\n',
    );
    const withErr = formatLogLine(JSON.stringify({ level: 50, time, msg: 'handshake failed', err: { message: 'boom', stack: 'Error: boom\n    at x' } }));
    assert.equal(withErr, '03:04:05 ERROR handshake failed err=boom\n    Error: boom\n        at x\n');
    assert.equal(formatLogLine('not json'), 'not json\n');
    assert.match(formatLogLine(JSON.stringify({ level: 30, time, msg: 'hi' }), true), /\u001b\[32mINFO/);
  });

  it('pretty on a terminal, JSON otherwise; LOG_FORMAT overrides', () => {
    const written: string[] = [];
    const tty = { isTTY: true, write: (t: string) => written.push(t) };
    const pipe = { isTTY: false, write: (t: string) => written.push(t) };
    assert.equal(logDestination(pipe, {}), undefined);
    assert.equal(logDestination(tty, { LOG_FORMAT: 'json' }), undefined);
    assert.ok(logDestination(pipe, { LOG_FORMAT: 'pretty' }));
    const dest = logDestination(tty, { NO_COLOR: '1' })!;
    // Lines split across writes come out whole.
    dest.write('{"level":30,"time":0,"msg":"he');
    assert.deepEqual(written, []);
    dest.write('llo"}\n');
    assert.deepEqual(written, ['00:00:00 INFO  hello\n']);
  });
});

describe('the rtc-elements process (dist/server/cli.js: npm run build first)', () => {
  it('logs where it serves, answers, and on SIGTERM tells clients, closes and exits 0', async () => {
    const server = await start(cli, ['--port', '0', '--room-size', '3']);
    try {
      const startLine = server.lines.find((l) => typeof l.port === 'number')!;
      assert.match(String(startLine.msg), /^rtc-elements signaling server \+ demo on http:\/\/localhost:\d+$/);
      assert.equal((await http(server.url, '/healthz')).status, 200);
      assert.match((await http(server.url, '/metrics')).body, /rtc_process_/);
      const client = await connect(server.url, { auth: { userid: 'a' } });
      const ack = await ok(client, 'room:open', { roomid: 'r' });
      assert.equal(ack.maxParticipants, 3);
      const told = next(client, 'server:shutdown');
      const gone = next<string>(client, 'disconnect');
      server.child.kill('SIGTERM');
      assert.deepEqual(await told, {});
      assert.equal(await gone, 'io server disconnect');
      assert.deepEqual(await server.exit, { code: 0, signal: null });
      assert.ok(server.lines.some((l) => l.msg === 'shutting down'));
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  it('SIGINT too; the bin entry and environment variables work', async () => {
    const server = await start(bin, [], { PORT: '0', LOG_LEVEL: 'info' });
    server.child.kill('SIGINT');
    assert.deepEqual(await server.exit, { code: 0, signal: null });
  });

  it('--help prints usage and exits 0; a bad flag exits 2', async () => {
    const help = await run(cli, ['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: rtc-elements/);
    const bad = await run(cli, ['--port', 'nope']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--port/);
  });

  it('`rtc-elements token` prints a token that a server started with --token-secret accepts', async () => {
    const minted = await run(bin, ['token', '--room', 'demo', '--user', 'alice', '--ttl', '1h', '--token-secret', SECRET, '--permissions', 'data']);
    assert.equal(minted.code, 0, minted.stderr);
    const token = minted.stdout.trim();
    const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET));
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.room, 'demo');
    assert.equal(payload.exp! - payload.iat!, 3600);
    const server = await start(cli, ['--port', '0'], { RTC_TOKEN_SECRET: SECRET });
    try {
      await assert.rejects(connect(server.url, { auth: {} }), /unauthorized/);
      const client = await connect(server.url, { auth: { token } });
      await refused(client, 'room:open', { roomid: 'demo' }, 'forbidden');
      client.disconnect();
    } finally {
      server.child.kill('SIGTERM');
      await server.exit;
    }
    const missing = await run(cli, ['token', '--room', 'demo', '--user', 'alice']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /secret/);
  });

  it('LOG_FORMAT=pretty (the default on a terminal) prints readable lines, not JSON', async () => {
    const child = spawn(process.execPath, [cli, '--port', '0'], { env: { ...process.env, LOG_FORMAT: 'pretty' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start line: ${out}`)), 10_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (/demo on http:\/\/localhost:\d+/.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const line = out.split('\n').find((l) => l.includes('demo on'))!;
      assert.match(line, /^\d\d:\d\d:\d\d INFO  rtc-elements signaling server \+ demo on http:\/\/localhost:(\d+) url=http:\/\/127\.0\.0\.1:\1 port=\1 lan=\[\]$/);
      child.kill('SIGTERM');
      assert.equal(await exit, 0);
      assert.match(out, /^\d\d:\d\d:\d\d INFO  shutting down signal=SIGTERM$/m);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a port in use is a clear error, exit 1', async () => {
    const first = await start(cli, ['--port', '0']);
    try {
      const port = new URL(first.url).port;
      const second = await run(cli, ['--port', port]);
      assert.equal(second.code, 1);
      // Which port, and what to do about it.
      assert.match(second.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use \\(EADDRINUSE`));
      assert.match(second.stderr, /--port <n>/);
    } finally {
      first.child.kill('SIGTERM');
      await first.exit;
    }
  });
});
