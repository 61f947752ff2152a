// Hosts (issue #20): roles, the lobby, admit/deny, mute, remove with a ban,
// lock and end, every rule enforced by the server: real sockets on a real
// server, and a participant forging each host request.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  LobbyDeniedPayload,
  LobbyKnockPayload,
  LobbyResolvedPayload,
  MemberMutedPayload,
  PeerInfo,
  PeerLeavePayload,
  Permission,
  RoomJoinedPayload,
  RoomRemovedPayload,
  RoomWaitingPayload,
} from '../../src/protocol.js';
import { mintRoomToken } from '../../src/server/index.js';
import { connect, connectAll, flush, next, ok, record, refused, send, sleep, startServer, type Client } from './helpers.js';
import { skipWithoutJanus, startJanus } from './janus-harness.js';

const SECRET = 'hosts-test-secret-that-is-at-least-32-bytes';
const token = (userid: string, permissions?: Permission[]) =>
  mintRoomToken({ secret: SECRET, userid, room: '*', ttlSeconds: 600, ...(permissions ? { permissions } : {}) });

const joined = (ack: Record<string, unknown>) => ack as unknown as RoomJoinedPayload;
const waiting = (ack: Record<string, unknown>) => ack as unknown as RoomWaitingPayload;

/** A host `h` in room `r` (with a lobby when asked) and participants, all entered. */
async function room(server: Awaited<ReturnType<typeof startServer>>, participants: string[], lobby = false) {
  const [h, ...others] = await connectAll(server, ['h', ...participants]);
  assert.equal(joined(await ok(h!, 'room:open', { roomid: 'r', lobby })).role, 'host');
  for (const c of others) {
    if (lobby) {
      const knock = next<LobbyKnockPayload>(h!, 'lobby:knock');
      await ok(c, 'room:join', { roomid: 'r' });
      const admitted = next(c, 'lobby:admitted');
      await ok(h!, 'lobby:admit', { userid: (await knock).userid });
      await admitted;
    }
    assert.equal(joined(await ok(c, 'room:join', { roomid: 'r' })).role, 'participant');
  }
  return { h: h!, others: others as Client[] };
}

const HOST_REQUESTS: [string, Record<string, unknown>][] = [
  ['host:make', { userid: 'p2' }],
  ['lobby:admit', { userid: 'p2' }],
  ['lobby:deny', { userid: 'p2' }],
  ['member:mute', { userid: 'p2', kind: 'audio' }],
  ['member:remove', { userid: 'p2' }],
  ['room:lock', { locked: true }],
  ['room:end', {}],
];

describe('hosts: roles', () => {
  it('the opener is host, joiners are participants: in the join ack, ack peers and peer:join', async () => {
    const server = await startServer();
    const [a, b] = await connectAll(server, ['a', 'b']);
    const opened = joined(await ok(a!, 'room:open', { roomid: 'r' }));
    assert.deepEqual([opened.role, opened.lobby, opened.locked], ['host', false, false]);
    const seen = next<PeerInfo>(a!, 'peer:join');
    const ack = joined(await ok(b!, 'room:join', { roomid: 'r' }));
    assert.equal(ack.role, 'participant');
    assert.deepEqual(ack.peers, [{ userid: 'a', extra: {}, role: 'host' }]);
    assert.deepEqual(await seen, { userid: 'b', extra: {}, role: 'participant' });
  });

  it('open-or-join: whoever opens is host, whoever joins is not', async () => {
    const server = await startServer();
    const [a, b] = await connectAll(server, ['a', 'b']);
    const [x, y] = await Promise.all([ok(a!, 'room:open-or-join', { roomid: 'r' }), ok(b!, 'room:open-or-join', { roomid: 'r' })]);
    const roles = [joined(x), joined(y)].map((j) => `${j.isInitiator}:${j.role}`).sort();
    assert.deepEqual(roles, ['false:participant', 'true:host']);
  });

  it('with room tokens, moderate makes a host (joiners too) and open alone does not; no claim means no moderate', async () => {
    const server = await startServer({ tokenSecret: SECRET });
    const opener = await connect(server, { auth: { token: await token('opener', ['open', 'publish']) } });
    const mod = await connect(server, { auth: { token: await token('mod', ['moderate']) } });
    const plain = await connect(server, { auth: { token: await token('plain') } });
    assert.equal(joined(await ok(opener, 'room:open', { roomid: 'r' })).role, 'participant');
    const modAck = joined(await ok(mod, 'room:join', { roomid: 'r' }));
    assert.equal(modAck.role, 'host');
    assert.deepEqual(modAck.permissions, ['moderate']);
    const plainAck = joined(await ok(plain, 'room:join', { roomid: 'r' }));
    assert.equal(plainAck.role, 'participant');
    assert.deepEqual(plainAck.permissions, ['open', 'publish', 'data']);
    assert.deepEqual(
      plainAck.peers.map((p) => `${p.userid}:${p.role}`),
      ['opener:participant', 'mod:host'],
    );
    // The opener is no host: its host requests are refused.
    await refused(opener, 'room:lock', { locked: true }, 'forbidden');
    await ok(mod, 'room:lock', { locked: true });
  });

  it('a host makes another member host: everyone sees peer:update with the role, and the new host may act', async () => {
    const server = await startServer();
    const { h, others } = await room(server, ['p1', 'p2']);
    const [p1, p2] = others as [Client, Client];
    await refused(p1, 'room:lock', { locked: true }, 'forbidden');
    const seenByP2 = next<PeerInfo>(p2, 'peer:update');
    const seenByP1 = next<PeerInfo>(p1, 'peer:update');
    await ok(h, 'host:make', { userid: 'p1' });
    assert.deepEqual(await seenByP2, { userid: 'p1', extra: {}, role: 'host' });
    assert.deepEqual(await seenByP1, { userid: 'p1', extra: {}, role: 'host' }, 'the new host is told too');
    await ok(p1, 'room:lock', { locked: true });
    await refused(h, 'host:make', { userid: 'nobody' }, 'peer-not-found');
    // A later joiner sees both hosts.
    await ok(h, 'room:lock', { locked: false });
    const late = await connect(server, { auth: { userid: 'late' } });
    assert.deepEqual(
      joined(await ok(late, 'room:join', { roomid: 'r' })).peers.map((p) => `${p.userid}:${p.role}`),
      ['h:host', 'p1:host', 'p2:participant'],
    );
  });

  it('a host reconnecting (a newer connection of the same userid) stays host', async () => {
    const server = await startServer();
    const { h } = await room(server, ['p1']);
    const again = await connect(server, { auth: { userid: 'h' } });
    const replaced = next(h, 'session:replaced');
    assert.equal(joined(await ok(again, 'room:join', { roomid: 'r' })).role, 'host');
    await replaced;
    await ok(again, 'room:lock', { locked: true });
  });
});

describe('hosts: a participant forging host requests', () => {
  for (const [event, payload] of HOST_REQUESTS) {
    it(`${event} from a participant is forbidden and changes nothing`, async () => {
      const server = await startServer();
      const { h, others } = await room(server, ['p1', 'p2']);
      const [p1, p2] = others as [Client, Client];
      const p2Events = ['member:muted', 'room:removed', 'room:locked', 'room:ended', 'peer:update', 'disconnect'].map((e) => record(p2, e as never));
      const hEvents = ['room:locked', 'room:ended', 'peer:update', 'peer:leave'].map((e) => record(h, e as never));
      await refused(p1, event, payload, 'forbidden');
      await flush(p2);
      await flush(h);
      assert.deepEqual([...p2Events, ...hEvents].flat(), []);
      assert.ok(p2.connected);
      const info = await server.store.get('r');
      assert.deepEqual([info?.size, info?.locked], [3, false]);
      assert.equal((await server.store.member('r', 'p2'))?.role, 'participant');
      assert.equal((await server.store.member('r', 'p2'))?.hostMuted, undefined);
      assert.equal((await server.store.member('r', 'p1'))?.role, 'participant');
    });
  }

  it('every host request outside a room is not-in-room; a host acting on itself is invalid', async () => {
    const server = await startServer();
    const lone = await connect(server, { auth: { userid: 'lone' } });
    for (const [event, payload] of HOST_REQUESTS) await refused(lone, event, payload, 'not-in-room');
    await refused(lone, 'member:unmute', { kind: 'audio' }, 'not-in-room');
    const { h } = await room(server, ['p1']);
    await refused(h, 'member:remove', { userid: 'h' }, 'invalid-request');
    await refused(h, 'member:mute', { userid: 'h', kind: 'video' }, 'invalid-request');
    await refused(h, 'member:mute', { userid: 'p1', kind: 'screen' }, 'invalid-request');
    await refused(h, 'member:remove', { userid: 'ghost' }, 'peer-not-found');
  });
});

describe('hosts: the lobby', () => {
  it('a joiner waits (no peers, no media), the host gets a knock; admitted, the same join enters', async () => {
    const server = await startServer();
    const [h, p] = await connectAll(server, ['h', 'p']);
    assert.equal(joined(await ok(h!, 'room:open', { roomid: 'r', lobby: true })).lobby, true);
    const knock = next<LobbyKnockPayload>(h!, 'lobby:knock');
    const joins = record(h!, 'peer:join');
    const wait = waiting(await ok(p!, 'room:join', { roomid: 'r', extra: { name: 'Pat' } }));
    assert.deepEqual(wait, { ok: true, roomid: 'r', userid: 'p', waiting: true, hostPresent: true, timeoutMs: 300_000 });
    assert.equal('peers' in wait, false);
    assert.deepEqual(await knock, { userid: 'p', extra: { name: 'Pat' } });
    // Outside the room: no signal, no custom, nobody told.
    await refused(p!, 'signal', { to: 'h', data: { candidate: null } }, 'not-in-room');
    await refused(p!, 'custom', { event: 'x' }, 'not-in-room');
    assert.equal((await server.store.get('r'))?.size, 1);
    await flush(h!);
    assert.deepEqual(joins, []);

    const admitted = next(p!, 'lobby:admitted');
    const resolved = next<LobbyResolvedPayload>(h!, 'lobby:resolved');
    await ok(h!, 'lobby:admit', { userid: 'p' });
    assert.deepEqual(await admitted, { roomid: 'r' });
    assert.deepEqual(await resolved, { userid: 'p', outcome: 'admitted' });
    const seen = next<PeerInfo>(h!, 'peer:join');
    const ack = joined(await ok(p!, 'room:join', { roomid: 'r', extra: { name: 'Pat' } }));
    assert.deepEqual(ack.peers, [{ userid: 'h', extra: {}, role: 'host' }]);
    assert.deepEqual(await seen, { userid: 'p', extra: { name: 'Pat' }, role: 'participant' });
    // The admission was used up.
    await refused(h!, 'lobby:admit', { userid: 'p' }, 'peer-not-found');
  });

  it('an admission belongs to the waiting connection: another connection of the same userid waits again', async () => {
    const server = await startServer();
    const [h, p] = await connectAll(server, ['h', 'p']);
    await ok(h!, 'room:open', { roomid: 'r', lobby: true });
    await ok(p!, 'room:join', { roomid: 'r' });
    await ok(h!, 'lobby:admit', { userid: 'p' });
    const impostor = await connect(server, { auth: { userid: 'p' } });
    assert.equal(waiting(await ok(impostor, 'room:join', { roomid: 'r' })).waiting, true);
  });

  it('denied: the joiner gets lobby:denied (it may knock again: a denial is no ban)', async () => {
    const server = await startServer();
    const [h, p] = await connectAll(server, ['h', 'p']);
    await ok(h!, 'room:open', { roomid: 'r', lobby: true });
    await ok(p!, 'room:join', { roomid: 'r' });
    const denied = next<LobbyDeniedPayload>(p!, 'lobby:denied');
    const resolved = next<LobbyResolvedPayload>(h!, 'lobby:resolved');
    await ok(h!, 'lobby:deny', { userid: 'p' });
    assert.deepEqual(await denied, { roomid: 'r', reason: 'denied' });
    assert.deepEqual(await resolved, { userid: 'p', outcome: 'denied' });
    await refused(h!, 'lobby:deny', { userid: 'p' }, 'peer-not-found');
    await refused(h!, 'lobby:admit', { userid: 'p' }, 'peer-not-found');
    const knock = next<LobbyKnockPayload>(h!, 'lobby:knock');
    assert.equal(waiting(await ok(p!, 'room:join', { roomid: 'r' })).waiting, true);
    await knock;
  });

  it('two hosts admitting the same knock at once: exactly one succeeds', async () => {
    const server = await startServer();
    const { h, others } = await room(server, ['h2'], true);
    const h2 = others[0]!;
    await ok(h, 'host:make', { userid: 'h2' });
    const [p] = await connectAll(server, ['p']);
    const knocks = [next<LobbyKnockPayload>(h, 'lobby:knock'), next<LobbyKnockPayload>(h2, 'lobby:knock')];
    await ok(p!, 'room:join', { roomid: 'r' });
    await Promise.all(knocks);
    const admitted = record(p!, 'lobby:admitted');
    const results = await Promise.all([send(h, 'lobby:admit', { userid: 'p' }), send(h2, 'lobby:admit', { userid: 'p' })]);
    assert.deepEqual(results.map((r) => (r.ok ? 'ok' : r.error.code)).sort(), ['ok', 'peer-not-found']);
    await flush(p!);
    assert.equal(admitted.length, 1, 'told once');
    assert.equal(joined(await ok(p!, 'room:join', { roomid: 'r' })).role, 'participant');
  });

  it('a host entering (or made host) hears every knock waiting; without a host the joiner is told so', async () => {
    const server = await startServer({ tokenSecret: SECRET });
    const opener = await connect(server, { auth: { token: await token('opener', ['open', 'moderate']) } });
    await ok(opener, 'room:open', { roomid: 'r', lobby: true });
    const member = await connect(server, { auth: { token: await token('member', []) } });
    await ok(member, 'room:join', { roomid: 'r' });
    await ok(opener, 'lobby:admit', { userid: 'member' });
    await ok(member, 'room:join', { roomid: 'r' });
    await ok(opener, 'room:leave', {});
    const guest = await connect(server, { auth: { token: await token('guest', []) } });
    const wait = waiting(await ok(guest, 'room:join', { roomid: 'r', extra: { name: 'G' } }));
    assert.deepEqual([wait.waiting, wait.hostPresent], [true, false]);
    const mod = await connect(server, { auth: { token: await token('mod', ['moderate']) } });
    const knock = next<LobbyKnockPayload>(mod, 'lobby:knock');
    const ack = joined(await ok(mod, 'room:join', { roomid: 'r' }));
    assert.equal(ack.role, 'host', 'a host does not wait in the lobby');
    assert.deepEqual(await knock, { userid: 'guest', extra: { name: 'G' } });
    // Made host: told of who waits too.
    const knockMember = next<LobbyKnockPayload>(member, 'lobby:knock');
    await ok(mod, 'host:make', { userid: 'member' });
    assert.deepEqual(await knockMember, { userid: 'guest', extra: { name: 'G' } });
  });

  it('the lobby times out: the joiner is told (timeout), the hosts see it leave', async () => {
    const server = await startServer({ lobbyTimeout: 300 });
    const [h, p] = await connectAll(server, ['h', 'p']);
    await ok(h!, 'room:open', { roomid: 'r', lobby: true });
    const started = Date.now();
    const denied = next<LobbyDeniedPayload>(p!, 'lobby:denied', 3000);
    const resolved = next<LobbyResolvedPayload>(h!, 'lobby:resolved', 3000);
    assert.equal(waiting(await ok(p!, 'room:join', { roomid: 'r' })).timeoutMs, 300);
    assert.deepEqual(await denied, { roomid: 'r', reason: 'timeout' });
    assert.ok(Date.now() - started >= 250);
    assert.deepEqual(await resolved, { userid: 'p', outcome: 'left' });
    await refused(h!, 'lobby:admit', { userid: 'p' }, 'peer-not-found');
  });

  it('a joiner leaving the lobby (room:leave, disconnect, another room) is gone from it', async () => {
    const server = await startServer();
    const [h, p, q, s] = await connectAll(server, ['h', 'p', 'q', 's']);
    await ok(h!, 'room:open', { roomid: 'r', lobby: true });
    await ok(h!, 'extra:update', { extra: {} });
    const resolved = record<LobbyResolvedPayload>(h!, 'lobby:resolved');
    for (const c of [p, q, s]) await ok(c!, 'room:join', { roomid: 'r' });
    await ok(p!, 'room:leave', {});
    q!.disconnect();
    await ok(s!, 'room:open', { roomid: 'elsewhere' });
    await sleep(100);
    await flush(h!);
    assert.deepEqual(resolved.map((r) => `${r.userid}:${r.outcome}`).sort(), ['p:left', 'q:left', 's:left']);
    assert.deepEqual(await server.store.lobby('r'), []);
  });
});

describe('hosts: lock', () => {
  it('locked: no new member, not even through the lobby (waiting ones are turned away); members see room:locked', async () => {
    const server = await startServer();
    const { h, others } = await room(server, ['p1'], true);
    const p1 = others[0]!;
    const [w, late] = await connectAll(server, ['w', 'late']);
    await ok(w!, 'room:join', { roomid: 'r' });
    const deniedW = next<LobbyDeniedPayload>(w!, 'lobby:denied');
    const seenByP1 = next(p1, 'room:locked');
    const seenByH = next(h, 'room:locked');
    await ok(h, 'room:lock', { locked: true });
    assert.deepEqual(await deniedW, { roomid: 'r', reason: 'locked' });
    assert.deepEqual(await seenByP1, { locked: true, by: 'h' });
    assert.deepEqual(await seenByH, { locked: true, by: 'h' });
    await refused(late!, 'room:join', { roomid: 'r' }, 'room-locked');
    await refused(late!, 'room:open-or-join', { roomid: 'r' }, 'room-locked');
    // A member's newer connection still takes its own place.
    const again = await connect(server, { auth: { userid: 'p1' } });
    assert.equal(joined(await ok(again, 'room:join', { roomid: 'r' })).locked, true);
    await ok(h, 'room:lock', { locked: false });
    assert.equal(waiting(await ok(late!, 'room:join', { roomid: 'r' })).waiting, true);
  });
});

describe('hosts: mute', () => {
  const streams = (audioMuted: boolean, videoMuted = false) => ({ streams: [{ streamid: 's-p1', kind: 'camera', audioMuted, videoMuted }] });

  it('the member is told; announcing that kind unmuted is refused until it unmutes itself; a reload keeps the mute', async () => {
    const server = await startServer();
    const { h, others } = await room(server, ['p1']);
    const p1 = others[0]!;
    await ok(p1, 'signal', { to: 'h', data: streams(false) });
    const muted = next<MemberMutedPayload>(p1, 'member:muted');
    await ok(h, 'member:mute', { userid: 'p1', kind: 'audio' });
    assert.deepEqual(await muted, { kind: 'audio', by: 'h' });
    const relayed = record(h, 'signal');
    await refused(p1, 'signal', { to: 'h', data: streams(false) }, 'forbidden');
    // Muted audio, unmuted video: relayed.
    await ok(p1, 'signal', { to: 'h', data: streams(true, false) });
    // Signals without a stream list (candidates, descriptions) are not concerned.
    await ok(p1, 'signal', { to: 'h', data: { candidate: null } });
    // A reload: the new connection is told it is still muted, and still refused.
    const reloaded = await connect(server, { auth: { userid: 'p1' } });
    assert.deepEqual(joined(await ok(reloaded, 'room:join', { roomid: 'r' })).hostMuted, ['audio']);
    await refused(reloaded, 'signal', { to: 'h', data: streams(false) }, 'forbidden');
    await ok(reloaded, 'member:unmute', { kind: 'audio' });
    await ok(reloaded, 'signal', { to: 'h', data: streams(false) });
    await flush(h);
    assert.equal(relayed.length, 3);
  });

  it('video too, and a host cannot unmute anyone (member:unmute only lifts the sender\'s own)', async () => {
    const server = await startServer();
    const { h, others } = await room(server, ['p1', 'p2']);
    const [p1, p2] = others as [Client, Client];
    await ok(h, 'member:mute', { userid: 'p1', kind: 'video' });
    await refused(p1, 'signal', { to: 'h', data: streams(true, false) }, 'forbidden');
    await ok(p2, 'member:unmute', { kind: 'video' });
    await ok(h, 'member:unmute', { kind: 'video' });
    await refused(p1, 'signal', { to: 'h', data: streams(true, false) }, 'forbidden');
    await ok(p1, 'signal', { to: 'h', data: streams(true, true) });
    assert.deepEqual((await server.store.member('r', 'p1'))?.hostMuted, ['video']);
  });
});

describe('hosts: mute in an sfu room (real Janus)', { skip: skipWithoutJanus }, () => {
  // An sfu room carries kinds and mute flags as in a mesh (signal { streams }); sfu:publish carries SDP only, which
  // shows no mute (a muted track is disabled, not removed). So the same rule holds: the muted kind announced unmuted is refused.
  it('announcing the host-muted kind unmuted is refused until the member unmutes itself, as in a mesh', async () => {
    const janus = await startJanus();
    try {
      const server = await startServer({ janusUrls: [janus.url], janusApiSecret: janus.apiSecret, janusAdminKey: janus.adminKey });
      const [h, p1] = (await connectAll(server, ['h', 'p1'])) as [Client, Client];
      assert.equal(joined(await ok(h, 'room:open', { roomid: 'r', topology: 'sfu' })).topology, 'sfu');
      assert.equal(joined(await ok(p1, 'room:join', { roomid: 'r' })).topology, 'sfu');
      const streams = (audioMuted: boolean) => ({ streams: [{ streamid: 's-p1', kind: 'camera' as const, audioMuted, videoMuted: false }] });
      const relayed = record(h, 'signal');
      await ok(p1, 'signal', { to: 'h', data: streams(false) });
      const muted = next<MemberMutedPayload>(p1, 'member:muted');
      await ok(h, 'member:mute', { userid: 'p1', kind: 'audio' });
      assert.deepEqual(await muted, { kind: 'audio', by: 'h' });
      await refused(p1, 'signal', { to: 'h', data: streams(false) }, 'forbidden');
      await ok(p1, 'signal', { to: 'h', data: streams(true) });
      await ok(p1, 'member:unmute', { kind: 'audio' });
      await ok(p1, 'signal', { to: 'h', data: streams(false) });
      await flush(h);
      assert.deepEqual(
        relayed.map((e) => (e as { data: { streams: { audioMuted: boolean }[] } }).data.streams[0]!.audioMuted),
        [false, true, false],
        'the host never heard the refused announcement',
      );
      await ok(p1, 'room:leave', {});
      await ok(h, 'room:leave', {});
    } finally {
      await janus.stop();
    }
  });
});

describe('hosts: remove', () => {
  it('removed: told, disconnected, the room sees peer:leave removed; it cannot come back until the ban ends', async () => {
    const server = await startServer({ banTime: 600 });
    const { h, others } = await room(server, ['p1', 'p2']);
    const [p1, p2] = others as [Client, Client];
    const told = next<RoomRemovedPayload>(p1, 'room:removed');
    const gone = next<string>(p1, 'disconnect');
    const leftP2 = next<PeerLeavePayload>(p2, 'peer:leave');
    const leftH = next<PeerLeavePayload>(h, 'peer:leave');
    await ok(h, 'member:remove', { userid: 'p1' });
    assert.deepEqual(await told, { by: 'h', banMs: 600 });
    assert.equal(await gone, 'io server disconnect');
    assert.deepEqual(await leftP2, { userid: 'p1', reason: 'removed' });
    assert.deepEqual(await leftH, { userid: 'p1', reason: 'removed' });
    await refused(p2, 'signal', { to: 'p1', data: { candidate: null } }, 'peer-not-found');
    assert.equal((await server.store.get('r'))?.size, 2);
    const back = await connect(server, { auth: { userid: 'p1' } });
    await refused(back, 'room:join', { roomid: 'r' }, 'denied');
    await refused(back, 'room:open-or-join', { roomid: 'r' }, 'denied');
    await sleep(700);
    assert.equal(joined(await ok(back, 'room:join', { roomid: 'r' })).role, 'participant');
  });

  it('removing someone in the lobby turns it away and bans it too', async () => {
    const server = await startServer();
    const [h, p] = await connectAll(server, ['h', 'p']);
    await ok(h!, 'room:open', { roomid: 'r', lobby: true });
    await ok(p!, 'room:join', { roomid: 'r' });
    const denied = next<LobbyDeniedPayload>(p!, 'lobby:denied');
    await ok(h!, 'member:remove', { userid: 'p' });
    assert.deepEqual(await denied, { roomid: 'r', reason: 'denied' });
    assert.ok(p!.connected);
    await refused(p!, 'room:join', { roomid: 'r' }, 'denied');
  });

  it('removal racing the member\'s rejoin on a new connection: it ends up out of the room either way', async () => {
    for (let round = 0; round < 5; round++) {
      const server = await startServer();
      const { h, others } = await room(server, ['p1']);
      const fresh = await connect(server, { auth: { userid: 'p1' } });
      const expelled = record(fresh, 'room:removed');
      const [removal, rejoin] = await Promise.all([send(h, 'member:remove', { userid: 'p1' }), send(fresh, 'room:join', { roomid: 'r' })]);
      await sleep(50);
      assert.equal(await server.store.member('r', 'p1'), undefined, `round ${round}: still a member`);
      if (rejoin.ok) {
        // The rejoin won: it was the membership that got removed.
        assert.equal(removal.ok, true);
        assert.equal(expelled.length, 1, `round ${round}: the new connection was told`);
      } else {
        assert.equal(rejoin.error.code, 'denied');
      }
      await refused(await connect(server, { auth: { userid: 'p1' } }), 'room:join', { roomid: 'r' }, 'denied');
      void others;
    }
  });
});

describe('hosts: end', () => {
  it('everyone is told and disconnected, the lobby turned away, the room deleted; the host is out', async () => {
    const server = await startServer();
    const { h, others } = await room(server, ['p1', 'p2'], true);
    const [p1, p2] = others as [Client, Client];
    const [w] = await connectAll(server, ['w']);
    await ok(w!, 'room:join', { roomid: 'r' });
    const ended = [p1, p2].map((c) => next(c, 'room:ended'));
    const gone = [p1, p2].map((c) => next<string>(c, 'disconnect'));
    const denied = next<LobbyDeniedPayload>(w!, 'lobby:denied');
    const hostEvents = record(h, 'room:ended');
    await ok(h, 'room:end', {});
    assert.deepEqual(await Promise.all(ended), [{ by: 'h' }, { by: 'h' }]);
    assert.deepEqual(await Promise.all(gone), ['io server disconnect', 'io server disconnect']);
    assert.deepEqual(await denied, { roomid: 'r', reason: 'ended' });
    assert.equal(await server.store.get('r'), undefined);
    assert.deepEqual(await server.store.lobby('r'), []);
    assert.deepEqual(await server.store.stats(), { rooms: 0, members: 0 });
    assert.deepEqual((await ok(w!, 'room:presence', { roomid: 'r' })).exists, false);
    // The host got its ack, stays connected, is in no room, and may open the room again.
    assert.ok(h.connected);
    await flush(h);
    assert.deepEqual(hostEvents, []);
    await refused(h, 'signal', { to: 'p1', data: { candidate: null } }, 'not-in-room');
    assert.equal(joined(await ok(h, 'room:open', { roomid: 'r' })).role, 'host');
  });
});
