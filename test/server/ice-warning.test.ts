// The start-up warning for a server open beyond loopback with no STUN/TURN server (src/server/ice-warning.ts),
// as a function and as the `rtc-elements` process logs it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { iceServersWarning, isLoopbackHost } from '../../src/server/ice-warning.js';

describe('iceServersWarning', () => {
  it('says nothing for a server only this machine can reach', () => {
    for (const host of [undefined, '127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1', 'app.localhost']) {
      assert.equal(iceServersWarning({ host }), null, String(host));
    }
    assert.equal(iceServersWarning({ host: ['127.0.0.1', '::1'] }), null);
  });

  it('warns for a server open to the network without STUN or TURN, naming the flags to add', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'example.org', '128.0.0.1']) {
      const warning = iceServersWarning({ host, iceServers: [] });
      assert.ok(warning, host);
      assert.ok(warning.includes(host), `names ${host}: ${warning}`);
      assert.match(warning, /--turn-secret/);
      assert.match(warning, /--turn-urls/);
      assert.match(warning, /--ice-servers/);
    }
    // One loopback address among others does not make it private.
    assert.match(iceServersWarning({ host: ['127.0.0.1', '0.0.0.0'] }) ?? '', /^Listening on 0\.0\.0\.0 /);
  });

  it('says nothing once a STUN or TURN server is configured', () => {
    const host = '0.0.0.0';
    assert.equal(iceServersWarning({ host, iceServers: [{ urls: 'stun:stun.example.org:3478' }] }), null);
    assert.equal(iceServersWarning({ host, iceServers: [{ urls: ['turns:turn.example.org:5349'], username: 'u', credential: 'p' }] }), null);
    assert.equal(iceServersWarning({ host, turn: { urls: ['turn:turn.example.org:3478'] } }), null);
  });

  it('is not fooled by entries that name no STUN or TURN server', () => {
    assert.ok(iceServersWarning({ host: '0.0.0.0', iceServers: [{ urls: 'https://stun.example.org' }] }));
    assert.ok(iceServersWarning({ host: '0.0.0.0', turn: { urls: [] } }));
  });
});

describe('isLoopbackHost', () => {
  it('tells loopback from the rest', () => {
    assert.equal(isLoopbackHost('127.0.0.1'), true);
    assert.equal(isLoopbackHost('127.255.255.254'), true);
    assert.equal(isLoopbackHost('0.0.0.0'), false);
    assert.equal(isLoopbackHost('::'), false);
    assert.equal(isLoopbackHost('10.0.0.1'), false);
    assert.equal(isLoopbackHost('127.example.org'), false);
    assert.equal(isLoopbackHost(''), false);
  });
});

// This file runs from build/test/server/; the CLI under test is the built one.
const cli = fileURLToPath(new URL('../../../dist/server/cli.js', import.meta.url));

/** Runs the CLI until its start line, stops it (SIGTERM), and returns every JSON log line it wrote. */
function logLines(args: string[]): Promise<Record<string, unknown>[]> {
  const child = spawn(process.execPath, [cli, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no start line within 10 s; stderr: ${stderr}`));
    }, 10_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (/"port":\d+/.test(stdout)) child.kill('SIGTERM');
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`exited with ${code}; stderr: ${stderr}`));
      resolve(stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
    });
  });
}

describe('the rtc-elements process at start-up', () => {
  const warnings = (lines: Record<string, unknown>[]) => lines.filter((l) => l.level === 40).map((l) => String(l.msg));

  it('warns once, naming the flags, when it listens on every address with no STUN/TURN', async () => {
    // Inside npm test's network namespace "every address" is loopback alone: nothing can reach it from outside.
    const found = warnings(await logLines(['--host', '0.0.0.0']));
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.match(found[0]!, /^Listening on 0\.0\.0\.0 with no STUN or TURN server/);
    assert.match(found[0]!, /--turn-secret <secret> --turn-urls/);
  });

  it('stays quiet on loopback, and with a STUN server configured', async () => {
    assert.deepEqual(warnings(await logLines([])), []);
    assert.deepEqual(warnings(await logLines(['--host', '0.0.0.0', '--ice-servers', '[{"urls":"stun:stun.example.org:3478"}]'])), []);
  });
});
