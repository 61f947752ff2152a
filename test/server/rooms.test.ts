// Room operations: open, join, open-or-join, presence, leave, extra:update,
// and the peer:* events they cause.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PeerLeavePayload, PeerInfo, RoomJoinedPayload } from '../../src/protocol.js';
import { connect, connectAll, flush, metric, next, ok, record, refused, send, startServer } from './helpers.js';

describe('rooms', () => {
  it('room:open creates a room and acks the full join payload', async () => {
    const server = await startServer({ iceServers: [{ urls: 'turn:turn.invalid:3478', username: 'u', credential: 'c' }] });
    const [alice] = await connectAll(server, ['alice']);
    const ack = (await ok(alice!, 'room:open', { roomid: 'r1', extra: { name: 'Alice' } })) as unknown as RoomJoinedPayload;
    assert.deepEqual(ack, {
      ok: true,
      roomid: 'r1',
      userid: 'alice',
      isInitiator: true,
      peers: [],
      iceServers: [{ urls: 'turn:turn.invalid:3478', username: 'u', credential: 'c' }],
      maxParticipants: 8,
      topology: 'mesh',
      role: 'host',
      lobby: false,
      locked: false,
    });
    assert.equal(await metric(server, 'rtc_rooms'), 1);
    assert.equal(await metric(server, 'rtc_room_members'), 1);
  });

  it('room:join lists the peers in join order and announces the newcomer', async () => {
    const server = await startServer();
    const [a, b, c] = await connectAll(server, ['a', 'b', 'c']);
    await ok(a!, 'room:open', { roomid: 'r', extra: { n: 1 } });
    const aSeesB = next<PeerInfo>(a!, 'peer:join');
    const joinedB = (await ok(b!, 'room:join', { roomid: 'r' })) as unknown as RoomJoinedPayload;
    assert.equal(joinedB.isInitiator, false);
    assert.deepEqual(joinedB.peers, [{ userid: 'a', extra: { n: 1 }, role: 'host' }]);
    assert.deepEqual(await aSeesB, { userid: 'b', extra: {}, role: 'participant' });

    const bSeesC = next<PeerInfo>(b!, 'peer:join');
    const joinedC = (await ok(c!, 'room:join', { roomid: 'r', extra: ['x'] })) as unknown as RoomJoinedPayload;
    assert.deepEqual(
      joinedC.peers.map((p) => p.userid),
      ['a', 'b'],
    );
    assert.deepEqual(await bSeesC, { userid: 'c', extra: ['x'], role: 'participant' });
  });

  it('the handshake extra is used unless the join gives one', async () => {
    const server = await startServer();
    const a = await connect(server, { auth: { userid: 'a', extra: { from: 'handshake' } } });
    const b = await connect(server, { auth: { userid: 'b' } });
    await ok(a, 'room:open', { roomid: 'r' });
    const joined = (await ok(b, 'room:join', { roomid: 'r' })) as unknown as RoomJoinedPayload;
    assert.deepEqual(joined.peers, [{ userid: 'a', extra: { from: 'handshake' }, role: 'host' }]);
  });

  it('assigns a userid when the handshake has none', async () => {
    const server = await startServer();
    const anon = await connect(server);
    const ack = (await ok(anon, 'room:open', { roomid: 'r' })) as unknown as RoomJoinedPayload;
    assert.match(ack.userid, /^[A-Za-z0-9_.-]{1,64}$/);
    const other = await connect(server);
    const ack2 = (await ok(other, 'room:join', { roomid: 'r' })) as unknown as RoomJoinedPayload;
    assert.notEqual(ack2.userid, ack.userid);
  });

  it('room:open refuses an existing room with room-exists', async () => {
    const server = await startServer();
    const [a, b] = await connectAll(server, ['a', 'b']);
    await ok(a!, 'room:open', { roomid: 'r' });
    await refused(b!, 'room:open', { roomid: 'r' }, 'room-exists');
  });

  it('room:join refuses a missing room with room-not-found', async () => {
    const server = await startServer();
    const [a] = await connectAll(server, ['a']);
    await refused(a!, 'room:join', { roomid: 'nope' }, 'room-not-found');
  });

  it('room:open-or-join opens, then joins', async () => {
    const server = await startServer();
    const [a, b] = await connectAll(server, ['a', 'b']);
    const first = (await ok(a!, 'room:open-or-join', { roomid: 'r' })) as unknown as RoomJoinedPayload;
    const second = (await ok(b!, 'room:open-or-join', { roomid: 'r', maxParticipants: 2 })) as unknown as RoomJoinedPayload;
    assert.equal(first.isInitiator, true);
    assert.equal(second.isInitiator, false);
    assert.equal(second.maxParticipants, 8, 'a joiner cannot resize the room');
  });

  it('the (max+1)th joiner gets room-full; the opener may ask for fewer, never more, than the server maximum', async () => {
    const server = await startServer({ maxRoomSize: 4, defaultRoomSize: 3 });
    const users = await connectAll(server, ['u0', 'u1', 'u2', 'u3', 'u4']);
    const big = (await ok(users[0]!, 'room:open', { roomid: 'big', maxParticipants: 100 })) as unknown as RoomJoinedPayload;
    assert.equal(big.maxParticipants, 4, 'clamped to the server maximum');
    for (const u of users.slice(1, 4)) await ok(u, 'room:join', { roomid: 'big' });
    await refused(users[4]!, 'room:join', { roomid: 'big' }, 'room-full');
    await refused(users[4]!, 'room:open-or-join', { roomid: 'big' }, 'room-full');

    const [x, y, z] = await connectAll(server, ['x', 'y', 'z']);
    const small = (await ok(x!, 'room:open', { roomid: 'small', maxParticipants: 2 })) as unknown as RoomJoinedPayload;
    assert.equal(small.maxParticipants, 2);
    await ok(y!, 'room:join', { roomid: 'small' });
    await refused(z!, 'room:join', { roomid: 'small' }, 'room-full');

    const [d] = await connectAll(server, ['d']);
    const dflt = (await ok(d!, 'room:open', { roomid: 'default' })) as unknown as RoomJoinedPayload;
    assert.equal(dflt.maxParticipants, 3, 'defaultRoomSize');
  });

  it('maxParticipants must be an integer of at least 2', async () => {
    const server = await startServer();
    const [a] = await connectAll(server, ['a']);
    for (const maxParticipants of [1, 0, -5, 2.5, '4', null]) {
      await refused(a!, 'room:open', { roomid: 'r', maxParticipants }, 'invalid-request');
    }
  });

  it('one room per connection: already-in-room until room:leave', async () => {
    const server = await startServer();
    const [a, b] = await connectAll(server, ['a', 'b']);
    await ok(b!, 'room:open', { roomid: 'other' });
    await ok(a!, 'room:open', { roomid: 'r' });
    await refused(a!, 'room:open', { roomid: 'r2' }, 'already-in-room');
    await refused(a!, 'room:join', { roomid: 'other' }, 'already-in-room');
    await refused(a!, 'room:open-or-join', { roomid: 'r' }, 'already-in-room');
    await ok(a!, 'room:leave', {});
    await ok(a!, 'room:join', { roomid: 'other' });
  });

  it('room:presence tells exists, isFull, isPasswordProtected and nothing else', async () => {
    const server = await startServer({ maxRoomSize: 2 });
    const [a, b, c] = await connectAll(server, ['a', 'b', 'c']);
    assert.deepEqual(await ok(c!, 'room:presence', { roomid: 'r' }), {
      ok: true,
      exists: false,
      isFull: false,
      isPasswordProtected: false,
    });
    await ok(a!, 'room:open', { roomid: 'r', password: 'secret' });
    assert.deepEqual(await ok(c!, 'room:presence', { roomid: 'r' }), {
      ok: true,
      exists: true,
      isFull: false,
      isPasswordProtected: true,
    });
    await ok(b!, 'room:join', { roomid: 'r', password: 'secret' });
    const full = await ok(c!, 'room:presence', { roomid: 'r' });
    assert.deepEqual(full, { ok: true, exists: true, isFull: true, isPasswordProtected: true });
  });

  it('room:leave tells the others (reason leave), is idempotent, and an empty room is deleted', async () => {
    const server = await startServer();
    const [a, b] = await connectAll(server, ['a', 'b']);
    await ok(a!, 'room:open', { roomid: 'r' });
    await ok(b!, 'room:join', { roomid: 'r' });
    const left = next<PeerLeavePayload>(a!, 'peer:leave');
    assert.deepEqual(await ok(b!, 'room:leave', {}), { ok: true });
    assert.deepEqual(await left, { userid: 'b', reason: 'leave' });
    assert.deepEqual(await ok(b!, 'room:leave', {}), { ok: true }, 'leaving twice is fine');
    await ok(a!, 'room:leave', {});
    assert.equal((await ok(b!, 'room:presence', { roomid: 'r' })).exists, false);
    assert.equal(await metric(server, 'rtc_rooms'), 0);
    // The id is free again.
    await ok(b!, 'room:open', { roomid: 'r' });
  });

  it('a disconnect is a leave (reason disconnect), at once', async () => {
    const server = await startServer();
    const [a, b] = await connectAll(server, ['a', 'b']);
    await ok(a!, 'room:open', { roomid: 'r' });
    await ok(b!, 'room:join', { roomid: 'r' });
    const left = next<PeerLeavePayload>(a!, 'peer:leave', 1000);
    b!.disconnect();
    assert.deepEqual(await left, { userid: 'b', reason: 'disconnect' });
    a!.disconnect();
    for (let i = 0; i < 50 && (await metric(server, 'rtc_rooms')) > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await metric(server, 'rtc_rooms'), 0, 'the emptied room is deleted');
  });

  it('a vanished client (no clean close) is removed after the ping timeout', async () => {
    const server = await startServer({ pingInterval: 200, pingTimeout: 200 });
    const [a, b] = await connectAll(server, ['a', 'b']);
    await ok(a!, 'room:open', { roomid: 'r' });
    await ok(b!, 'room:join', { roomid: 'r' });
    const left = next<PeerLeavePayload>(a!, 'peer:leave', 5000);
    // Stop reading (so no pong goes back) without closing the TCP connection,
    // as a phone that lost its network would.
    const tcp = (b!.io.engine as unknown as { transport: { ws: { _socket: { pause(): void; destroy(): void } } } }).transport.ws
      ._socket;
    tcp.pause();
    const started = Date.now();
    try {
      assert.deepEqual(await left, { userid: 'b', reason: 'disconnect' });
      assert.ok(Date.now() - started < 3000, 'noticed by the heartbeat (400 ms here), not by TCP');
    } finally {
      tcp.destroy();
    }
  });

  it('extra:update is relayed as peer:update and seen by later joiners', async () => {
    const server = await startServer();
    const [a, b, c] = await connectAll(server, ['a', 'b', 'c']);
    await ok(a!, 'extra:update', { extra: { before: true } });
    await ok(a!, 'room:open', { roomid: 'r' });
    await ok(b!, 'room:join', { roomid: 'r' });
    const updates = record<PeerInfo>(b!, 'peer:update');
    const own = record<PeerInfo>(a!, 'peer:update');
    await ok(a!, 'extra:update', { extra: { name: 'Ann', muted: true } });
    await flush(b!);
    await flush(a!);
    assert.deepEqual(updates, [{ userid: 'a', extra: { name: 'Ann', muted: true }, role: 'host' }]);
    assert.deepEqual(own, [], 'the sender is not told about itself');
    const joined = (await ok(c!, 'room:join', { roomid: 'r' })) as unknown as RoomJoinedPayload;
    assert.deepEqual(joined.peers[0], { userid: 'a', extra: { name: 'Ann', muted: true }, role: 'host' });
  });

  it('room:leave while in no room acks ok; presence needs no room', async () => {
    const server = await startServer();
    const [a] = await connectAll(server, ['a']);
    assert.deepEqual(await send(a!, 'room:leave', {}), { ok: true });
  });
});
