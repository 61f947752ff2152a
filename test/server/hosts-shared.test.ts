// Hosts across nodes (issue #20): two server processes (the real CLI with
// --redis-url) share a room; the host on one node runs the lobby, mutes,
// removes, locks and ends the room for members on the other. Roles, the lobby
// queue and bans live in Redis, decided atomically like joins.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LobbyDeniedPayload, LobbyKnockPayload, PeerInfo, PeerLeavePayload, RoomJoinedPayload, RoomWaitingPayload } from '../../src/protocol.js';
import { connect, next, ok, refused, send, sleep, type Client } from './helpers.js';
import { startNodeProcess, type Node } from './nodes.js';
import { skipWithoutRedis, startRedis, type RedisProcess } from './redis.js';

describe('hosts in shared mode: two nodes, one Redis', { skip: skipWithoutRedis }, () => {
  let redis: RedisProcess;
  let A: Node;
  let B: Node;
  before(async () => {
    redis = await startRedis();
    [A, B] = await Promise.all([startNodeProcess(redis.url, ['--ban-time', '1']), startNodeProcess(redis.url, ['--ban-time', '1'])]);
  });
  after(async () => {
    await Promise.all([A, B].map((n) => n?.stop()));
    await redis?.stop();
  });
  const on = (node: Node, userid: string) => connect(node.url, { auth: { userid } });

  it('lobby, roles, two hosts racing for one knock, mute, remove with its ban, lock and end, across nodes', { timeout: 30_000 }, async () => {
    // The host on A opens a room with a lobby; a joiner on B knocks.
    const host = await on(A, 'host');
    assert.equal(((await ok(host, 'room:open', { roomid: 'x', lobby: true })) as unknown as RoomJoinedPayload).role, 'host');
    const knock = next<LobbyKnockPayload>(host, 'lobby:knock', 5000);
    const p = await on(B, 'p');
    const wait = (await ok(p, 'room:join', { roomid: 'x', extra: { name: 'P' } })) as unknown as RoomWaitingPayload;
    assert.deepEqual([wait.waiting, wait.hostPresent], [true, true]);
    assert.deepEqual(await knock, { userid: 'p', extra: { name: 'P' } });
    const admitted = next(p, 'lobby:admitted', 5000);
    await ok(host, 'lobby:admit', { userid: 'p' });
    await admitted;
    const seen = next<PeerInfo>(host, 'peer:join', 5000);
    const ack = (await ok(p, 'room:join', { roomid: 'x', extra: { name: 'P' } })) as unknown as RoomJoinedPayload;
    assert.deepEqual(ack.peers, [{ userid: 'host', extra: {}, role: 'host' }]);
    assert.deepEqual(await seen, { userid: 'p', extra: { name: 'P' }, role: 'participant' });

    // p (on B) is made host; both hosts admit the next knock at once: one wins.
    const promoted = next<PeerInfo>(p, 'peer:update', 5000);
    await ok(host, 'host:make', { userid: 'p' });
    assert.equal((await promoted).role, 'host');
    const knocks = [next(host, 'lobby:knock', 5000), next(p, 'lobby:knock', 5000)];
    const q = await on(A, 'q');
    await ok(q, 'room:join', { roomid: 'x' });
    await Promise.all(knocks);
    const results = await Promise.all([send(host, 'lobby:admit', { userid: 'q' }), send(p, 'lobby:admit', { userid: 'q' })]);
    assert.deepEqual(results.map((r) => (r.ok ? 'ok' : r.error.code)).sort(), ['ok', 'peer-not-found']);
    await ok(q, 'room:join', { roomid: 'x' });

    // A participant on A cannot act as host.
    await refused(q, 'member:remove', { userid: 'p' }, 'forbidden');

    // The host on B mutes q on A: q is told and its unmuted announcement refused.
    const muted = next(q, 'member:muted', 5000);
    await ok(p, 'member:mute', { userid: 'q', kind: 'audio' });
    assert.deepEqual(await muted, { kind: 'audio', by: 'p' });
    await refused(q, 'signal', { to: 'host', data: { streams: [{ streamid: 'sq', kind: 'camera', audioMuted: false }] } }, 'forbidden');
    await ok(q, 'member:unmute', { kind: 'audio' });
    await ok(q, 'signal', { to: 'host', data: { streams: [{ streamid: 'sq', kind: 'camera', audioMuted: false }] } });

    // The host on B removes q (on A): q is disconnected, the room hears why, the ban holds on either node.
    const gone = next<string>(q, 'disconnect', 5000);
    const left = next<PeerLeavePayload>(host, 'peer:leave', 5000);
    await ok(p, 'member:remove', { userid: 'q' });
    assert.equal(await gone, 'io server disconnect');
    assert.deepEqual(await left, { userid: 'q', reason: 'removed' });
    await refused(await on(B, 'q'), 'room:join', { roomid: 'x' }, 'denied');
    await refused(await on(A, 'q'), 'room:join', { roomid: 'x' }, 'denied');

    // Locked from A: a joiner on B is refused; the ban (1 s) is over by now, the lock is not.
    await ok(host, 'room:lock', { locked: true });
    await sleep(1100);
    await refused(await on(B, 'q'), 'room:join', { roomid: 'x' }, 'room-locked');
    await ok(host, 'room:lock', { locked: false });
    const r = await on(B, 'r');
    await ok(r, 'room:join', { roomid: 'x' });

    // Ended from B: the host on A is told and disconnected, the waiting r on B turned away, the room gone.
    const ended = next(host, 'room:ended', 5000);
    const hostGone = next<string>(host, 'disconnect', 5000);
    const denied = next<LobbyDeniedPayload>(r, 'lobby:denied', 5000);
    await ok(p, 'room:end', {});
    assert.deepEqual(await ended, { by: 'p' });
    assert.equal(await hostGone, 'io server disconnect');
    assert.deepEqual(await denied, { roomid: 'x', reason: 'ended' });
    const probe: Client = await on(A, 'probe');
    assert.equal((await ok(probe, 'room:presence', { roomid: 'x' })).exists, false);
  });
});
