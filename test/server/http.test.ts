// The plain HTTP side: /healthz, /metrics, static files, attaching to a foreign server.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createSignalingServer, type SignalingServer } from '../../src/server/index.js';
import { packageRoot, resolveFile } from '../../src/server/http.js';
import { connect, connectAll, http, next, ok, startServer } from './helpers.js';

describe('/healthz and /metrics', () => {
  it('/healthz answers 200 with a small JSON status', async () => {
    const server = await startServer();
    await connectAll(server, ['a']);
    const res = await http(server.url!, '/healthz');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const body = JSON.parse(res.body);
    assert.equal(body.status, 'ok');
    assert.equal(body.sockets, 1);
    assert.equal(body.rooms, 0);
    assert.equal(typeof body.uptime, 'number');
  });

  it('/metrics serves Prometheus text: sockets, rooms, relayed and rejected messages', async () => {
    const server = await startServer();
    const [a, b] = await connectAll(server, ['a', 'b']);
    await ok(a!, 'room:open', { roomid: 'r' });
    await ok(b!, 'room:join', { roomid: 'r' });
    await ok(a!, 'signal', { to: 'b', data: { candidate: null } });
    await ok(a!, 'custom', { event: 'x' });
    await connect(server, { auth: { userid: 'no good' } }).catch(() => {});
    const res = await http(server.url!, '/metrics');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    for (const line of [
      'rtc_sockets 2',
      'rtc_rooms 1',
      'rtc_room_members 2',
      'rtc_connections_total 2',
      'rtc_rooms_opened_total 1',
      'rtc_messages_relayed_total{type="signal"} 1',
      'rtc_messages_relayed_total{type="custom"} 1',
      'rtc_handshakes_rejected_total{reason="invalid-request"} 1',
    ]) {
      assert.ok(res.body.split('\n').includes(line), `missing "${line}" in\n${res.body}`);
    }
    assert.match(res.body, /# TYPE rtc_messages_rejected_total counter/);
  });
});

describe('static files', () => {
  let root: string;
  let server: SignalingServer;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'rtc-static-'));
    mkdirSync(join(root, 'demo', 'sub'), { recursive: true });
    mkdirSync(join(root, 'dist', 'server'), { recursive: true });
    writeFileSync(join(root, 'demo', 'index.html'), '<!doctype html><title>demo</title>');
    writeFileSync(join(root, 'demo', 'app.css'), 'body{}');
    writeFileSync(join(root, 'demo', 'logo.svg'), '<svg/>');
    writeFileSync(join(root, 'demo', 'sub', 'index.html'), 'sub');
    writeFileSync(join(root, 'demo', '.env'), 'SECRET=1');
    writeFileSync(join(root, 'demo', 'notes.xyz'), 'unknown type');
    writeFileSync(join(root, 'dist', 'rtc-elements.js'), 'export {};');
    writeFileSync(join(root, 'dist', 'rtc-elements.js.map'), '{}');
    writeFileSync(join(root, 'dist', 'x.mjs'), 'export {};');
    writeFileSync(join(root, 'dist', 'data.json'), '{}');
    writeFileSync(join(root, 'dist', 'server', 'cli.js'), '// cli');
    writeFileSync(join(root, 'secret.txt'), 'outside');
    writeFileSync(join(root, 'package.json'), '{"name":"outside"}');
    server = await startServer({ staticRoot: root });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('serves demo/ at / and dist/ at /dist/ with the right content types', async () => {
    const cases: [string, number, RegExp?, string?][] = [
      ['/', 200, /^text\/html; charset=utf-8$/, '<!doctype html><title>demo</title>'],
      ['/index.html', 200, /^text\/html/],
      ['/?room=abc', 200, /^text\/html/],
      ['/app.css', 200, /^text\/css/],
      ['/logo.svg', 200, /^image\/svg\+xml$/],
      ['/sub/', 200, /^text\/html/, 'sub'],
      ['/dist/rtc-elements.js', 200, /^text\/javascript/, 'export {};'],
      ['/dist/rtc-elements.js.map', 200, /^application\/json/],
      ['/dist/x.mjs', 200, /^text\/javascript/],
      ['/dist/data.json', 200, /^application\/json/],
      ['/dist/server/cli.js', 200, /^text\/javascript/],
      ['/missing.html', 404],
      ['/dist/missing.js', 404],
      ['/notes.xyz', 404],
    ];
    for (const [path, status, type, body] of cases) {
      const res = await http(server.url!, path);
      assert.equal(res.status, status, path);
      if (type) assert.match(String(res.headers['content-type']), type, path);
      if (body !== undefined) assert.equal(res.body, body, path);
      if (status === 200) assert.equal(res.headers['x-content-type-options'], 'nosniff');
    }
  });

  it('refuses directory traversal, encoded or not, and dotfiles', async () => {
    for (const path of [
      '/../secret.txt',
      '/../package.json',
      '/%2e%2e/secret.txt',
      '/%2E%2E/package.json',
      '/..%2fsecret.txt',
      '/dist/../../secret.txt',
      '/dist/%2e%2e/%2e%2e/secret.txt',
      '/dist/..%2f..%2fsecret.txt',
      '/dist/..%5c..%5csecret.txt',
      '/..\\secret.txt',
      '/%00/index.html',
      '/index.html%00.js',
      '/.env',
      '/%2eenv',
      '//etc/passwd',
      '/%2fetc%2fpasswd',
      '/dist/../secret.txt',
    ]) {
      const res = await http(server.url!, path);
      assert.ok(res.status === 404 || res.status === 400, `${path}: ${res.status}`);
      assert.doesNotMatch(res.body, /outside|SECRET|root:/, path);
    }
    assert.equal((await http(server.url!, '/%E0%A4%A')).status, 400, 'malformed escapes');
  });

  it('security headers: a strict CSP on the demo pages (framing only for the embed page), COOP, no referrer, nosniff', async () => {
    const server = await startServer();
    const page = await http(server.url!, '/');
    assert.equal(page.status, 200);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-eval|script-src[^;]*unsafe-inline/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(page.headers['cross-origin-opener-policy'], 'same-origin');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.match(String((await http(server.url!, '/embed.html')).headers['content-security-policy']), /frame-ancestors \*/);
    const bundle = await http(server.url!, '/dist/rtc-elements.js');
    assert.equal(bundle.headers['referrer-policy'], 'no-referrer');
    assert.equal(bundle.headers['content-security-policy'], undefined);
    // No demo page holds an inline script (the CSP would block it).
    for (const name of ['/', '/embed.html', '/chat.html', '/seed.html', '/capture.html']) {
      const body = (await http(server.url!, name)).body;
      assert.doesNotMatch(body, /<script(?![^>]*\bsrc=)[^>]*>/, `${name} has an inline script`);
    }
  });

  it('answers HEAD, refuses other methods', async () => {
    const head = await http(server.url!, '/', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    const post = await http(server.url!, '/', { method: 'POST' });
    assert.equal(post.status, 405);
  });

  it('resolveFile keeps every result inside its mount', () => {
    const mounts: [string, string][] = [['/dist/', '/pkg/dist'], ['/', '/pkg/demo']];
    assert.equal(resolveFile('/a/b.js', mounts), '/pkg/demo/a/b.js');
    assert.equal(resolveFile('/dist/x.js', mounts), '/pkg/dist/x.js');
    for (const bad of ['/../x', '/dist/../x', '/a/../../x', 'x', '/a\\..\\x', '/a\0', '/.git/config', '/dist/.hidden']) {
      assert.equal(resolveFile(bad, mounts), undefined, bad);
    }
  });

  it('with serveStatic false, only the endpoints answer', async () => {
    const bare = await startServer({ staticRoot: root, serveStatic: false });
    assert.equal((await http(bare.url!, '/')).status, 404);
    assert.equal((await http(bare.url!, '/healthz')).status, 200);
  });

  it('finds the package root from the compiled module (demo/ and dist/ live there)', () => {
    const rootDir = packageRoot();
    assert.ok(rootDir.length > 0);
    assert.doesNotMatch(rootDir, /[/\\](build|dist)$/);
  });
});

describe('attached to an existing http server', () => {
  it('serves socket.io on it, leaves its routes and foreign upgrades alone, and close() does not close it', async () => {
    let foreignUpgrades = 0;
    const host: Server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`app: ${req.url}`);
    });
    host.on('upgrade', (req, socket) => {
      if (req.url?.startsWith('/socket.io/')) return;
      foreignUpgrades++;
      socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    });
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(host.address() as { port: number }).port}`;
    const signaling = await createSignalingServer({ httpServer: host, logLevel: 'silent' });
    try {
      assert.equal(signaling.url, url);
      assert.equal((await http(url, '/anything')).body, 'app: /anything');
      assert.equal((await http(url, '/healthz')).body, 'app: /healthz', 'endpoints are opt-in when attached');
      const client = await connect(url, { auth: { userid: 'a' } });
      await ok(client, 'room:open', { roomid: 'r' });
      // A foreign websocket upgrade (a dev server's own) is not destroyed.
      const rawUpgrade = await new Promise<number>((resolve) => {
        const req = request({
          host: '127.0.0.1',
          port: new URL(url).port,
          path: '/hmr',
          headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'x', 'sec-websocket-version': '13' },
        });
        req.on('upgrade', (res, socket) => {
          socket.destroy();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', () => resolve(-1));
        req.end();
      });
      assert.equal(rawUpgrade, 101);
      assert.ok(foreignUpgrades >= 1);
      const shutdown = next(client, 'server:shutdown');
      await signaling.close();
      await shutdown;
      assert.equal(host.listening, true, 'the host server keeps running');
      assert.equal((await http(url, '/after')).body, 'app: /after');
      assert.equal(host.listeners('request').length, 1, 'request listeners restored');
      assert.equal(host.listeners('upgrade').length, 1, 'upgrade listeners restored');
    } finally {
      await signaling.close();
      host.closeAllConnections();
      await new Promise((r) => host.close(r));
    }
  });

  it('serves /healthz on a foreign server when asked to', async () => {
    const host = createServer((_req, res) => res.end('app'));
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
    const signaling = await createSignalingServer({ httpServer: host, logLevel: 'silent', serveEndpoints: true });
    try {
      assert.equal((await http(signaling.url!, '/healthz')).status, 200);
      assert.equal((await http(signaling.url!, '/other')).body, 'app');
    } finally {
      await signaling.close();
      await new Promise((r) => host.close(r));
    }
  });
});

describe('TLS', () => {
  it('serves https and wss with the given certificate (paths or PEM text)', async () => {
    const fixtures = fileURLToPath(new URL('../../../test/server/fixtures/', import.meta.url));
    const certFile = join(fixtures, 'localhost-cert.pem');
    const cert = readFileSync(certFile, 'utf8');
    for (const tls of [
      { cert: certFile, key: join(fixtures, 'localhost-key.pem') },
      { cert, key: readFileSync(join(fixtures, 'localhost-key.pem'), 'utf8') },
    ]) {
      const server = await startServer({ tls });
      assert.match(server.url!, /^https:\/\/127\.0\.0\.1:\d+$/);
      const status = await new Promise<number>((resolve, reject) => {
        httpsGet(`${server.url}/healthz`, { ca: cert }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
      assert.equal(status, 200);
      for (const transports of [['websocket'], ['polling']] as const) {
        const client = await connect(server, { ca: cert, transports: [...transports], auth: { userid: `t-${transports[0]}` } });
        await ok(client, 'room:presence', { roomid: 'r' });
      }
      await assert.rejects(connect(server), 'an untrusted certificate is refused by the client');
      await server.close();
    }
  });
});

describe('close()', () => {
  it('tells clients server:shutdown (websocket and polling), disconnects them, frees the port, and is idempotent', async () => {
    const server = await createSignalingServer({ port: 0, logLevel: 'silent' });
    const ws = await connect(server, { auth: { userid: 'w' } });
    const polling = await connect(server, { auth: { userid: 'p' }, transports: ['polling'] });
    await ok(ws, 'room:open', { roomid: 'r' });
    await ok(polling, 'room:join', { roomid: 'r' });
    const got = [next(ws, 'server:shutdown'), next(polling, 'server:shutdown')];
    const gone = [next<string>(ws, 'disconnect'), next<string>(polling, 'disconnect')];
    const url = server.url!;
    await Promise.all([server.close(), server.close()]);
    assert.deepEqual(await Promise.all(got), [{}, {}]);
    assert.deepEqual(await Promise.all(gone), ['io server disconnect', 'io server disconnect']);
    assert.equal(server.httpServer.listening, false);
    await assert.rejects(http(url, '/healthz'));
    await server.close();
  });
});
