// Janus failing under our server, seen from the sockets: a request pending
// when Janus dies settles, the room waits for an instance and moves to it, a
// Janus room that vanished is placed again; members hear `sfu:reset` once,
// the server stays up. (Media across a failover: test/e2e/sfu-failover.test.ts.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SfuResetPayload } from '../../src/protocol.js';
import { JanusConnection, VideoRoomAdmin } from '../../src/server/janus/index.js';
import { roomInJanus, skipWithoutJanus, startJanus, type JanusProcess } from './janus-harness.js';
import { connect, next, ok, record, refused, send, sleep, startServer, type Client } from './helpers.js';

const OFFER = { jsep: { type: 'offer', sdp: 'v=0\r\n' } };

describe('sfu rooms when Janus fails', { skip: skipWithoutJanus }, () => {
  let janus: JanusProcess;
  before(async () => {
    janus = await startJanus();
  });
  after(async () => {
    await janus?.stop();
  });

  const options = () => ({ janusUrls: [janus.url], janusApiSecret: janus.apiSecret, janusAdminKey: janus.adminKey });

  async function members(server: Awaited<ReturnType<typeof startServer>>, roomid: string): Promise<[Client, Client]> {
    const a = await connect(server, { auth: { userid: `${roomid}-a` } });
    const b = await connect(server, { auth: { userid: `${roomid}-b` } });
    await ok(a, 'room:open', { roomid, topology: 'sfu' });
    await ok(b, 'room:join', { roomid });
    return [a, b];
  }

  it('killed mid-request: the request settles (sfu-unavailable), requests meanwhile are refused, the room comes back on the restarted instance and every member hears sfu:reset once', { timeout: 60000 }, async () => {
    const server = await startServer(options());
    const [a, b] = await members(server, 'crash');
    const resets = [record<SfuResetPayload>(a, 'sfu:reset'), record<SfuResetPayload>(b, 'sfu:reset')];

    // Janus frozen: a's publish waits on it; then killed, and the wait ends at once.
    process.kill(janus.pid!, 'SIGSTOP');
    const pending = send(a, 'sfu:publish', OFFER);
    await sleep(300);
    const killedAt = Date.now();
    await janus.kill();
    const ack = await pending;
    assert.equal(ack.ok, false);
    assert.equal(!ack.ok && ack.error.code, 'sfu-unavailable');
    assert.ok(Date.now() - killedAt < 2000, 'settled as soon as the connection died, not after a timeout');

    // No instance: refused, not left waiting.
    await refused(b, 'sfu:publish', OFFER, 'sfu-unavailable');
    assert.deepEqual(resets, [[], []], 'nobody is told to rebuild before there is somewhere to go');

    const reset = [next<SfuResetPayload>(a, 'sfu:reset', 15000), next<SfuResetPayload>(b, 'sfu:reset', 15000)];
    await janus.up();
    assert.deepEqual(await Promise.all(reset), [{ reason: 'media-server-lost' }, { reason: 'media-server-lost' }]);
    assert.equal((await roomInJanus(janus, 'crash')).exists, true, 'the room is on the restarted instance');
    await sleep(500);
    assert.deepEqual(resets.map((r) => r.length), [1, 1], 'one sfu:reset each');
    // Requests work again: the room exists in Janus (a bogus offer is Janus' refusal now, not an outage).
    await refused(b, 'sfu:publish', OFFER, 'invalid-request');
    assert.equal((await send(a, 'room:presence', { roomid: 'crash' })).ok, true, 'the server is up');

    await ok(a, 'room:leave', {});
    await ok(b, 'room:leave', {});
    assert.equal((await roomInJanus(janus, 'crash')).exists, false);
  });

  it('a Janus room that vanished (destroyed behind our back) is placed again at the next request, and members hear sfu:reset', { timeout: 30000 }, async () => {
    const server = await startServer(options());
    const [a, b] = await members(server, 'vanished');
    const placed = await server.store.sfuPlacement('vanished');
    assert.ok(placed && placed.url === janus.url);
    const conn = await JanusConnection.open({ url: janus.url, apiSecret: janus.apiSecret });
    try {
      const admin = await VideoRoomAdmin.attach(await conn.createSession(), janus.adminKey);
      await admin.destroy(placed.room, placed.secret);
    } finally {
      conn.close();
    }
    assert.equal((await roomInJanus(janus, placed.room)).exists, false);

    const reset = [next<SfuResetPayload>(a, 'sfu:reset', 10000), next<SfuResetPayload>(b, 'sfu:reset', 10000)];
    await refused(a, 'sfu:publish', OFFER, 'sfu-unavailable');
    assert.deepEqual(await Promise.all(reset), [{ reason: 'media-server-lost' }, { reason: 'media-server-lost' }]);
    const again = await server.store.sfuPlacement('vanished');
    assert.ok(again);
    assert.notEqual(again.secret, placed.secret, 'a new Janus room, with a new secret');
    assert.equal((await roomInJanus(janus, again.room)).exists, true);
    await ok(a, 'room:leave', {});
    await ok(b, 'room:leave', {});
    assert.equal((await roomInJanus(janus, again.room)).exists, false, 'destroyed with the room');
  });
});
