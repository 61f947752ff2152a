// Shared mode end to end: one redis-server, three server processes started
// with the real CLI (as `npm start` runs it) and --redis-url, socket.io
// clients spread over them. Rooms, relays, races and replacements across
// nodes; a node killed with -9; Redis going away and coming back; a node
// stopped cleanly.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import type { RoomJoinedPayload } from '../../src/protocol.js';
import { connect, http, next, ok, record, refused, send, sleep, type Client } from './helpers.js';
import { alive, NODE_TTL_MS, startNodeProcess, type Node } from './nodes.js';
import { skipWithoutRedis, startRedis, type RedisProcess } from './redis.js';

const nodes: Node[] = [];

/** A node for this suite (stopped in `after`). */
async function startNode(redisUrl: string): Promise<Node> {
  const node = await startNodeProcess(redisUrl);
  nodes.push(node);
  return node;
}

function join(client: Client, roomid: string, extra: Record<string, unknown> = {}): Promise<RoomJoinedPayload> {
  return ok(client, 'room:open-or-join', { roomid, extra }) as unknown as Promise<RoomJoinedPayload>;
}

/**
 * Everything `from`'s node published before now has reached `to`'s node and
 * `to` itself: a custom message rides the same ordered Redis stream.
 */
async function barrier(from: Client, to: Client, toUserid: string): Promise<void> {
  const arrived = next(to, 'custom', 5000);
  await ok(from, 'custom', { event: 'barrier', to: toUserid });
  await arrived;
}

/** Retries `fn` until it returns true (every 100 ms, up to `ms`). */
async function eventually(what: string, ms: number, fn: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
}

describe('shared mode: three nodes, one Redis', { skip: skipWithoutRedis }, () => {
  let redis: RedisProcess;
  let redisClient: ReturnType<typeof createClient> | undefined;
  let A: Node;
  let B: Node;
  let C: Node;
  let seq = 0;
  /** A connected client on `node` (fresh userid unless given). */
  const on = (node: Node, userid = `u${++seq}`) => connect(node.url, { auth: { userid } });

  before(async () => {
    redis = await startRedis();
    [A, B, C] = await Promise.all([startNode(redis.url), startNode(redis.url), startNode(redis.url)]);
    redisClient = createClient({ url: redis.url });
    redisClient.on('error', () => {});
    await redisClient.connect();
  });

  after(async () => {
    redisClient?.destroy();
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
  });

  it('three nodes with their own ids', () => {
    assert.equal(new Set([A.id, B.id, C.id]).size, 3);
  });

  it('a room opened on one node is joined through the others; everyone sees everyone', async () => {
    const a = await on(A, 'ann');
    const b = await on(B, 'bea');
    const c = await on(C, 'cid');
    const aJoins = record<{ userid: string; extra: unknown }>(a, 'peer:join');
    const opened = await join(a, 'meet', { name: 'Ann' });
    assert.equal(opened.isInitiator, true);
    const bAck = await join(b, 'meet', { name: 'Bea' });
    assert.equal(bAck.isInitiator, false);
    assert.deepEqual(bAck.peers, [{ userid: 'ann', extra: { name: 'Ann' }, role: 'host' }]);
    const cAck = await join(c, 'meet');
    assert.deepEqual(cAck.peers.map((p) => p.userid), ['ann', 'bea']);
    await barrier(c, a, 'ann');
    assert.deepEqual(aJoins, [
      { userid: 'bea', extra: { name: 'Bea' }, role: 'participant' },
      { userid: 'cid', extra: {}, role: 'participant' },
    ]);
    const presence = await ok(b, 'room:presence', { roomid: 'meet' });
    assert.deepEqual(presence, { ok: true, exists: true, isFull: false, isPasswordProtected: false });
  });

  it('relays reach members on other nodes, and never another room', async () => {
    const [a, b, c] = await Promise.all([on(A, 'ra'), on(B, 'rb'), on(C, 'rc')]);
    const [x, y] = await Promise.all([on(A, 'rx'), on(C, 'ry')]);
    for (const cl of [a, b, c]) await join(cl, 'relay');
    for (const cl of [x, y]) await join(cl, 'elsewhere');
    const seen = new Map([a, b, c, x, y].map((cl) => [cl, { signal: record<{ from: string }>(cl, 'signal'), custom: record<{ from: string; event: string }>(cl, 'custom') }]));

    const data = { description: { type: 'offer', sdp: 'v=0\r\n' }, session: 's1', gen: 0 };
    const arrived = next<{ from: string; data: unknown }>(b, 'signal');
    await ok(a, 'signal', { to: 'rb', data });
    assert.deepEqual(await arrived, { from: 'ra', data });
    const back = next<{ from: string }>(a, 'signal');
    await ok(c, 'signal', { to: 'ra', data: { candidate: null } });
    assert.equal((await back).from, 'rc');
    // Broadcast to the room, and to one member on another node.
    const toAll = [next(a, 'custom'), next(c, 'custom')];
    await ok(b, 'custom', { event: 'hello', data: { n: 1 } });
    await Promise.all(toAll);
    const toOne = next<{ from: string; event: string }>(c, 'custom');
    await ok(a, 'custom', { event: 'psst', to: 'rc' });
    assert.equal((await toOne).event, 'psst');
    // Members of another room are nobody, wherever they are connected.
    await refused(a, 'signal', { to: 'rx', data }, 'peer-not-found');
    await refused(a, 'signal', { to: 'ry', data }, 'peer-not-found');
    await refused(y, 'custom', { event: 'x', to: 'rb' }, 'peer-not-found');
    // The other room's own traffic, then a barrier into every member of both rooms.
    await ok(y, 'custom', { event: 'other-room' });
    await barrier(y, x, 'rx');
    for (const cl of [a, b, c]) await barrier(b === cl ? a : b, cl, cl === a ? 'ra' : cl === b ? 'rb' : 'rc');

    const events = (cl: Client) => seen.get(cl)!.custom.map((m) => m.event).filter((e) => e !== 'barrier');
    assert.deepEqual(events(a), ['hello']);
    assert.deepEqual(events(b), []);
    assert.deepEqual(events(c), ['hello', 'psst']);
    assert.deepEqual(events(x), ['other-room']);
    assert.deepEqual(events(y), []);
    assert.deepEqual(seen.get(x)!.signal, []);
    assert.deepEqual(seen.get(y)!.signal, []);
  });

  /** Entries in `node`'s inbox (the Redis stream only that node reads). */
  const inbox = (node: Node) => redisClient!.xLen(`rtc:node:${node.id}:in`);

  it('a relay goes to the node of its target only: a third node with a member in the room reads none of it', async () => {
    const [a, b, c] = await Promise.all([on(A, 'da'), on(B, 'db'), on(C, 'dc')]);
    for (const cl of [a, b, c]) await join(cl, 'direct');
    await barrier(a, c, 'dc');
    const cSignals = record(c, 'signal');
    const cCustom = record(c, 'custom');
    const [inA, inB, inC] = await Promise.all([inbox(A), inbox(B), inbox(C)]);
    const got = record<{ from: string; data: { gen: number } }>(b, 'signal');
    for (let i = 0; i < 20; i++) await ok(a, 'signal', { to: 'db', data: { candidate: null, gen: i } });
    await ok(a, 'custom', { event: 'one', to: 'db' });
    for (let i = 0; i < 10; i++) await ok(b, 'signal', { to: 'da', data: { candidate: null, gen: i } });
    await barrier(a, b, 'db');
    await barrier(b, a, 'da');
    assert.deepEqual(got.map((m) => m.data.gen), [...Array(20).keys()], 'all of them, in order');
    // What A sent to b went into B's inbox; nothing of it (nor of b's replies) into C's.
    assert.equal((await inbox(B)) - inB, 20 + 1 + 1);
    assert.equal((await inbox(A)) - inA, 10 + 1);
    assert.equal(await inbox(C), inC);
    assert.deepEqual([cSignals, cCustom], [[], []]);
    // socket.io's adapter stream, which every node used to read, is gone.
    assert.equal(await redisClient!.exists('rtc:socket.io'), 0);
    // A room broadcast still reaches the third node.
    const hello = next<{ event: string }>(c, 'custom');
    await ok(a, 'custom', { event: 'all' });
    assert.equal((await hello).event, 'all');
  });

  it("a joiner's first messages, sent as soon as its ack arrives, come after its peer:join at every receiver", async () => {
    const [x, y] = await Promise.all([on(A, 'ox1'), on(C, 'oy1')]);
    await join(x, 'order');
    await join(y, 'order');
    const events = (cl: Client) => {
      const list: string[] = [];
      cl.onAny((event: string, payload: { userid?: string; from?: string }) => list.push(`${event} ${payload.userid ?? payload.from}`));
      return list;
    };
    const atX = events(x);
    const atY = events(y);
    // Six joiners: with the two already in, the room's default size (8).
    const joiners = await Promise.all(Array.from({ length: 6 }, (_, i) => on(i % 2 ? B : C, `oj${i}`)));
    await Promise.all(
      joiners.map(async (j) => {
        await join(j, 'order');
        // At once: the joiner's node has nothing cached for the room yet, its messages race the broadcast.
        await Promise.all([ok(j, 'signal', { to: 'ox1', data: { candidate: null } }), ok(j, 'custom', { event: 'hi', to: 'oy1' })]);
      }),
    );
    // Every message arrives (a barrier from another node would not wait for messages written to this one by a third).
    await eventually('every signal and custom arrived', 5000, async () =>
      Array.from({ length: 6 }, (_, i) => i).every((i) => atX.includes(`signal oj${i}`) && atY.includes(`custom oj${i}`)),
    );
    for (let i = 0; i < 6; i++) {
      const joined = atX.indexOf(`peer:join oj${i}`);
      assert.ok(joined >= 0 && joined < atX.indexOf(`signal oj${i}`), `at ox1: ${atX.join(', ')}`);
      const joinedY = atY.indexOf(`peer:join oj${i}`);
      assert.ok(joinedY >= 0 && joinedY < atY.indexOf(`custom oj${i}`), `at oy1: ${atY.join(', ')}`);
    }
  });

  it('a member that reconnects on another node keeps getting what is sent to it (the cache follows it)', { timeout: 20000 }, async () => {
    const fixed = await on(A, 'mv-fixed');
    const before = await on(B, 'mv-mover');
    await join(fixed, 'move');
    await join(before, 'move');
    const atBefore = record<{ data: { gen: number } }>(before, 'signal');
    // Fills A's cache: mv-mover is on B.
    for (let i = 0; i < 3; i++) await ok(fixed, 'signal', { to: 'mv-mover', data: { candidate: null, gen: i } });
    await barrier(fixed, before, 'mv-mover');
    assert.equal(atBefore.length, 3);

    // fixed keeps sending while mv-mover comes back through C.
    const replaced = next(before, 'session:replaced', 5000);
    const seen = next<{ userid: string }>(fixed, 'peer:join', 5000);
    let moved = false;
    let sentAfterMove = -1;
    const sending = (async () => {
      for (let i = 3; ; i++) {
        if (moved && sentAfterMove < 0) sentAfterMove = i;
        await ok(fixed, 'signal', { to: 'mv-mover', data: { candidate: null, gen: i } });
        if (sentAfterMove >= 0 && i >= sentAfterMove + 20) return i;
      }
    })();
    await sleep(50);
    const after = await on(C, 'mv-mover');
    const atAfter = record<{ data: { gen: number } }>(after, 'signal');
    await join(after, 'move');
    moved = true;
    await replaced;
    const last = await sending;
    // Everything sent once the new connection was in the room reaches it, once each. One sent before A
    // heard the member's new peer:join takes a hop through B (which reroutes it) and may come after later
    // ones, and after any barrier sent from A: wait for each (a lost one fails the comparison below).
    const expected = Array.from({ length: last - sentAfterMove + 1 }, (_, k) => sentAfterMove + k);
    await eventually('every message sent after the move arrived', 5000, async () => expected.every((g) => atAfter.some((m) => m.data.gen === g))).catch(() => {});
    const got = atAfter.map((m) => m.data.gen);
    assert.deepEqual(got.filter((g) => g >= sentAfterMove).sort((x, y) => x - y), expected);
    assert.equal(new Set(got).size, got.length, 'no duplicates');
    assert.ok(atBefore.every((m) => m.data.gen < sentAfterMove), 'nothing sent after the move went to the old connection');
    // Once fixed has seen the new peer:join, what it sends arrives in order.
    assert.equal((await seen).userid, 'mv-mover');
    atAfter.length = 0;
    for (let i = 100; i < 110; i++) await ok(fixed, 'signal', { to: 'mv-mover', data: { candidate: null, gen: i } });
    await barrier(fixed, after, 'mv-mover');
    // A message sent before the move, still on its way through B when the member moved, may come this late (B reroutes
    // it); anything else must be one of these ten, in order.
    const gens = atAfter.map((m) => m.data.gen);
    const late = gens.filter((g) => g < 100);
    assert.ok(late.every((g) => g < sentAfterMove), `only messages from before the move come late: ${late}`);
    assert.ok(late.every((g) => !got.includes(g) && !atBefore.some((m) => m.data.gen === g)), `a late one was delivered before: ${late}`);
    assert.deepEqual(gens.filter((g) => g >= 100), [...Array(10).keys()].map((k) => 100 + k));
    // And back the other way: mv-mover's messages from C reach fixed on A.
    const back = next<{ from: string }>(fixed, 'signal');
    await ok(after, 'signal', { to: 'mv-fixed', data: { candidate: null } });
    assert.equal((await back).from, 'mv-mover');
  });

  it('room-full race with the racers spread over three nodes: exactly the free places are taken', { timeout: 60000 }, async () => {
    const nodesInTurn = [A, B, C];
    for (let round = 0; round < 3; round++) {
      const roomid = `full-${round}`;
      const owner = await on(nodesInTurn[round]!);
      await ok(owner, 'room:open', { roomid, maxParticipants: 5 });
      const racers = await Promise.all(Array.from({ length: 12 }, (_, i) => on(nodesInTurn[i % 3]!)));
      const results = await Promise.all(racers.map((r, i) => send(r, i % 2 ? 'room:join' : 'room:open-or-join', { roomid })));
      assert.equal(results.filter((r) => r.ok).length, 4, JSON.stringify(results));
      for (const r of results) if (!r.ok) assert.equal(r.error.code, 'room-full');
      const presence = await ok(racers[0]!, 'room:presence', { roomid });
      assert.equal(presence.isFull, true);
      for (const c of [owner, ...racers]) c.disconnect();
    }
  });

  it('open-or-join racers on two nodes: exactly one opens', async () => {
    for (let round = 0; round < 6; round++) {
      const [p, q] = await Promise.all([on([A, B, C][round % 3]!), on([A, B, C][(round + 1) % 3]!)]);
      const results = (await Promise.all([p, q].map((cl) => join(cl, `race-${round}`)))) as RoomJoinedPayload[];
      assert.equal(results.filter((r) => r.isInitiator).length, 1);
      p.disconnect();
      q.disconnect();
    }
  });

  it('one userid, one membership: a newer connection on another node replaces the old one, which is told and disconnected', async () => {
    // Same room: the newer connection takes the place; the others see a join, not a leave.
    const old = await on(A, 'dup');
    const peer = await on(B, 'dup-peer');
    await join(old, 'same');
    await join(peer, 'same');
    const leaves = record<{ userid: string }>(peer, 'peer:leave');
    const rejoined = next<{ userid: string }>(peer, 'peer:join');
    const told = next(old, 'session:replaced');
    const kicked = next<string>(old, 'disconnect');
    const fresh = await on(C, 'dup');
    const ack = await join(fresh, 'same');
    assert.deepEqual(ack.peers.map((p) => p.userid), ['dup-peer']);
    await told;
    assert.equal(await kicked, 'io server disconnect');
    assert.equal((await rejoined).userid, 'dup');
    // The old connection's own disconnect (on node A) must not turn into a leave.
    const witness = await on(A, 'dup-witness');
    await join(witness, 'same');
    await barrier(witness, peer, 'dup-peer');
    assert.deepEqual(leaves, []);
    // Relays go to the newer connection.
    const sig = next<{ from: string }>(fresh, 'signal');
    await ok(peer, 'signal', { to: 'dup', data: { candidate: null } });
    assert.equal((await sig).from, 'dup-peer');

    // Another room: that room hears `replaced`.
    const first = await on(B, 'mover');
    const mate = await on(C, 'mover-mate');
    await join(first, 'one');
    await join(mate, 'one');
    const left = next<{ userid: string; reason: string }>(mate, 'peer:leave');
    const firstTold = next(first, 'session:replaced');
    const firstKicked = next(first, 'disconnect');
    const second = await on(A, 'mover');
    await ok(second, 'room:open', { roomid: 'two' });
    await firstTold;
    await firstKicked;
    assert.deepEqual(await left, { userid: 'mover', reason: 'replaced' });
    const presence = await ok(mate, 'room:presence', { roomid: 'one' });
    assert.equal(presence.exists, true);
  });

  it('a password room across nodes', async () => {
    const owner = await on(C);
    await ok(owner, 'room:open', { roomid: 'secret', password: 'hunter2' });
    const guest = await on(A);
    await refused(guest, 'room:join', { roomid: 'secret' }, 'invalid-password');
    await refused(guest, 'room:join', { roomid: 'secret', password: 'wrong' }, 'invalid-password');
    await refused(guest, 'room:open-or-join', { roomid: 'secret', password: 'wrong' }, 'invalid-password');
    const presence = await ok(await on(B), 'room:presence', { roomid: 'secret' });
    assert.equal(presence.isPasswordProtected, true);
    const ack = (await ok(guest, 'room:join', { roomid: 'secret', password: 'hunter2' })) as unknown as RoomJoinedPayload;
    assert.equal(ack.peers.length, 1);
  });

  it('a node killed with -9: its clients rejoin through another node, the others see them back, and no ghost stays', { timeout: 60000 }, async () => {
    const survivor = await on(A, 'stay');
    const survivor2 = await on(B, 'stay2');
    const comeback = await on(C, 'comeback');
    const ghost = await on(C, 'ghost');
    for (const cl of [survivor, survivor2, comeback, ghost]) await join(cl, 'crash');
    await barrier(ghost, survivor, 'stay'); // the joins have all arrived
    const seen: string[] = [];
    survivor.on('peer:join', (p) => seen.push(`join ${p.userid}`));
    survivor.on('peer:leave', (p) => seen.push(`leave ${p.userid} ${p.reason}`));
    const dropped = [next(comeback, 'disconnect'), next(ghost, 'disconnect')];

    C.proc.kill('SIGKILL');
    await Promise.all(dropped);
    // The load balancer sends the reconnect elsewhere; the client rejoins under its userid.
    const back = await on(A, 'comeback');
    const ack = await join(back, 'crash');
    assert.ok(ack.peers.some((p) => p.userid === 'stay') && ack.peers.some((p) => p.userid === 'stay2'));
    // Once the dead node's heartbeat has expired, a live node removes its members.
    await eventually('the ghost is removed', NODE_TTL_MS * 3, async () => seen.some((e) => e.startsWith('leave ghost')));
    await barrier(back, survivor, 'stay');
    assert.deepEqual(seen.filter((e) => e.includes('ghost')), ['leave ghost disconnect']);
    // The survivors saw the comeback join (a reconnect, not a new face); a leave of it, if
    // the sweep came first, came before that join and said `disconnect`.
    const comebacks = seen.filter((e) => e.includes('comeback'));
    assert.equal(comebacks.at(-1), 'join comeback', seen.join(', '));
    assert.ok(comebacks.every((e) => e === 'join comeback' || e === 'leave comeback disconnect'), seen.join(', '));
    assert.ok(!seen.includes('leave stay2 disconnect'));

    // Nothing of the dead node is left in Redis.
    assert.equal(await redisClient!.hExists('rtc:users', 'ghost'), 0);
    assert.equal(await redisClient!.exists(`rtc:node:${C.id}:m`), 0);
    assert.equal(await redisClient!.exists(`rtc:node:${C.id}`), 0);
    assert.equal(await redisClient!.sIsMember('rtc:nodes', C.id), 0);
    assert.deepEqual((await redisClient!.hKeys('rtc:room:crash:m')).sort(), ['comeback', 'stay', 'stay2']);
    const late = await on(B);
    assert.deepEqual((await join(late, 'crash')).peers.map((p) => p.userid), ['stay', 'stay2', 'comeback']);
  });

  it('Redis stopped: room requests get internal-error and nobody crashes; Redis back: the rooms work again', { timeout: 90000 }, async () => {
    const x = await on(A, 'ox');
    const y = await on(B, 'oy');
    await join(x, 'outage');
    await join(y, 'outage');

    await redis.down();
    await eventually('requests fail while Redis is away', 10000, async () => {
      const res = await send(x, 'room:presence', { roomid: 'outage' });
      return !res.ok && res.error.code === 'internal-error';
    });
    await refused(y, 'signal', { to: 'ox', data: { candidate: null } }, 'internal-error');
    await refused(await on(B), 'room:join', { roomid: 'outage' }, 'internal-error');
    await refused(await on(A), 'room:open', { roomid: 'new-room' }, 'internal-error');
    const health = await http(A.url, '/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual((({ status, redis: r, rooms }) => ({ status, redis: r, rooms }))(JSON.parse(health.body) as Record<string, unknown>), {
      status: 'ok',
      redis: 'down',
      rooms: null,
    });
    assert.match((await http(B.url, '/metrics')).body, /^rtc_redis_up 0$/m);
    assert.ok(alive(A) && alive(B), 'both nodes still run');
    assert.ok(x.connected && y.connected, 'the sockets stay: calls keep their signaling');

    // Redis comes back empty; each node puts its members back.
    const yBack = next<{ userid: string }>(y, 'peer:join', 30000);
    await redis.up();
    await eventually('x reaches y again', 30000, async () => (await send(x, 'signal', { to: 'oy', data: { candidate: null } })).ok);
    assert.equal((await yBack).userid, 'ox');
    const z = await on(B);
    assert.deepEqual((await join(z, 'outage')).peers.map((p) => p.userid).sort(), ['ox', 'oy']);
    const opened = (await ok(await on(A), 'room:open', { roomid: 'after-outage' })) as unknown as RoomJoinedPayload;
    assert.equal(opened.isInitiator, true);
    assert.equal((JSON.parse((await http(B.url, '/healthz')).body) as { redis: string }).redis, 'up');
    assert.ok(alive(A) && alive(B));
  });

  it('a node stopped with SIGTERM takes its members out: the other nodes\' members see them leave', { timeout: 30000 }, async () => {
    const stays = await on(A, 'term-stay');
    const goes = await on(B, 'term-goes');
    await join(stays, 'term');
    await join(goes, 'term');
    const left = next<{ userid: string; reason: string }>(stays, 'peer:leave', 10000);
    const shutdown = next(goes, 'server:shutdown', 10000);
    assert.equal(await B.stop(), 0);
    await shutdown;
    assert.deepEqual(await left, { userid: 'term-goes', reason: 'disconnect' });
    assert.equal(await redisClient!.exists(`rtc:node:${B.id}:m`), 0);
    assert.equal(await redisClient!.exists(`rtc:node:${B.id}`), 0);
    assert.equal(await redisClient!.hExists('rtc:users', 'term-goes'), 0);
    // Only node B's clients were told to go.
    assert.ok(stays.connected);
  });
});
