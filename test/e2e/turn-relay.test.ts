// A relay-only call through a real coturn (Debian's `turnserver`) on loopback, with the TURN REST
// credentials our server mints (`--turn-secret` scheme): media flows and every selected candidate pair is `relay`.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createSignalingServer, type SignalingServer } from '../../src/server/index.js';
import { expectRemoteFrames, launchBrowser } from './browser.js';

const TURNSERVER = process.env.TURNSERVER ?? '/usr/bin/turnserver';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** coturn as the README runs it next to our server (use-auth-secret), on loopback only; resolves once it listens on UDP. */
function startCoturn(dir: string, port: number, secret: string): Promise<{ child: ChildProcess; log: () => string }> {
  const child = spawn(
    TURNSERVER,
    [
      '-n', // no configuration file: everything is on this command line
      '-v',
      '--log-file=stdout',
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${port}`,
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--realm=rtc-elements.test',
      '--no-tls',
      '--no-dtls',
      '--no-cli',
      // The peers are on 127.0.0.1 too; coturn refuses loopback peers unless told (never in production).
      '--allow-loopback-peers',
      `--userdb=${join(dir, 'turndb')}`,
      `--pidfile=${join(dir, 'turnserver.pid')}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`coturn did not open its UDP listener within 15 s:\n${out}`)), 15_000);
    const poll = setInterval(() => {
      if (out.includes(`UDP listener opened on: 127.0.0.1:${port}`)) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve({ child, log: () => out });
      }
    }, 50);
    child.on('exit', (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`coturn exited with ${code}:\n${out}`));
    });
  });
}

/** Every peer connection's selected candidate pair, as the two candidates' types. */
function selectedPairs(page: Page): Promise<{ local: string; remote: string }[]> {
  return page.evaluate(async () => {
    const room = document.querySelector('rtc-room') as HTMLElement & { peers: Map<string, { connection: RTCPeerConnection }> };
    const pairs: { local: string; remote: string }[] = [];
    for (const { connection } of room.peers.values()) {
      const stats = await connection.getStats();
      const byId = new Map<string, Record<string, unknown>>();
      stats.forEach((s: Record<string, unknown>) => byId.set(s.id as string, s));
      for (const s of byId.values()) {
        if (s.type !== 'transport' || !s.selectedCandidatePairId) continue;
        const pair = byId.get(s.selectedCandidatePairId as string)!;
        pairs.push({
          local: String(byId.get(pair.localCandidateId as string)?.candidateType),
          remote: String(byId.get(pair.remoteCandidateId as string)?.candidateType),
        });
      }
    }
    return pairs;
  });
}

describe('a relay-only call through coturn', { skip: existsSync(TURNSERVER) ? false : `no ${TURNSERVER}: apt-get install coturn (.ci/run does)` }, () => {
  let dir: string;
  let coturn: { child: ChildProcess; log: () => string } | undefined;
  let server: SignalingServer | undefined;
  let browser: Browser | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-elements-turn-'));
    const port = await freePort();
    const secret = randomBytes(24).toString('base64url');
    coturn = await startCoturn(dir, port, secret);
    // What `rtc-elements --turn-secret … --turn-urls turn:127.0.0.1:<port> --relay-only` starts.
    server = await createSignalingServer({
      port: 0,
      logLevel: 'silent',
      turn: { secret, urls: [`turn:127.0.0.1:${port}?transport=udp`] },
      relayOnly: true,
    });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    if (coturn && coturn.child.exitCode === null) {
      const exited = new Promise((resolve) => coturn!.child.once('exit', resolve));
      coturn.child.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('two people see each other, and every selected candidate pair is relay on both sides', { timeout: 120_000 }, async () => {
    const contexts = await Promise.all([browser!.newContext(), browser!.newContext()]);
    try {
      const pages = await Promise.all(contexts.map((c) => c.newPage()));
      const errors: string[] = [];
      for (const p of pages) p.on('pageerror', (e) => errors.push(e.message));
      for (const p of pages) await p.goto(`${server!.url}/embed.html`);
      await Promise.all(pages.map((p) => expectRemoteFrames(p, 'rtc-room remote-stream')));
      for (const p of pages) {
        const pairs = await selectedPairs(p);
        assert.ok(pairs.length >= 1, 'a selected candidate pair');
        assert.deepEqual(pairs, pairs.map(() => ({ local: 'relay', remote: 'relay' })));
      }
      // coturn checked the REST credentials (HMAC of the shared secret) and allocated relays.
      assert.match(coturn!.log(), /ALLOCATE processed, success/);
      assert.deepEqual(errors, []);
    } finally {
      for (const c of contexts) await c.close().catch(() => {});
    }
  });
});
