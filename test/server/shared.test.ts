// Shared mode inside one process: options, isolation by key prefix, health
// and metrics, the node's housekeeping (a stale record removed, memberships
// put back after this node was presumed dead), and a clean close that leaves
// no connection to Redis behind, attached or not.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import type { RoomJoinedPayload } from '../../src/protocol.js';
import { RedisRoomStore } from '../../src/server/redis-store.js';
import { MemoryRoomStore } from '../../src/server/rooms.js';
import { createSignalingServer, type SignalingServer, type SignalingServerOptions } from '../../src/server/server.js';
import { connect, http, metric, next, ok } from './helpers.js';
import { skipWithoutRedis, startRedis, type RedisProcess } from './redis.js';

describe('shared mode in one process', { skip: skipWithoutRedis }, () => {
  let redis: RedisProcess;
  let client: ReturnType<typeof createClient>;
  let prefixes = 0;
  const prefix = () => `s${++prefixes}:`;

  before(async () => {
    redis = await startRedis();
    client = createClient({ url: redis.url });
    client.on('error', () => {});
    await client.connect();
  });
  // Closed here, before Redis stops.
  const servers: SignalingServer[] = [];
  const startServer = async (options: SignalingServerOptions) => {
    const server = await createSignalingServer({ port: 0, logLevel: 'silent', passwordHashCost: 1024, ...options });
    servers.push(server);
    return server;
  };
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    client?.destroy();
    await redis?.stop();
  });

  /** Connections Redis has now, ours included. */
  const redisClients = async () => (await client.clientList()).length;

  it('refuses redisUrl with a store, or a URL that is not redis://', async () => {
    await assert.rejects(createSignalingServer({ port: 0, logLevel: 'silent', redisUrl: redis.url, store: new MemoryRoomStore() }), TypeError);
    await assert.rejects(createSignalingServer({ port: 0, logLevel: 'silent', redisUrl: 'http://127.0.0.1:6379' }), TypeError);
    await assert.rejects(createSignalingServer({ port: 0, logLevel: 'silent', redisUrl: redis.url, redisKeyPrefix: 'a b' }), TypeError);
    await assert.rejects(createSignalingServer({ port: 0, logLevel: 'silent', redisUrl: redis.url, nodeTtl: 10 }), TypeError);
    assert.equal(await redisClients(), 1, 'nothing connected and left behind');
  });

  it('a Redis that refuses the scripts (a read-only replica) fails the start cleanly', async () => {
    const replica = await startRedis(['--replicaof', '127.0.0.1', String(redis.port)]);
    try {
      await assert.rejects(createSignalingServer({ port: 0, logLevel: 'silent', redisUrl: replica.url }), /READONLY/);
      // Nothing left running: the event loop is free (a spinning read loop would starve this timer).
      await new Promise((resolve) => setTimeout(resolve, 200));
      const replicaClient = createClient({ url: replica.url });
      replicaClient.on('error', () => {});
      await replicaClient.connect();
      const conns = (await replicaClient.clientList()).filter((c) => c.flags !== 'S' && !c.flags.includes('M'));
      replicaClient.destroy();
      assert.equal(conns.length, 1, `only ours: ${JSON.stringify(conns.map((c) => c.flags))}`);
    } finally {
      await replica.stop();
    }
  });

  it('health and metrics say which node and whether Redis is there', async () => {
    const server = await startServer({ redisUrl: redis.url, redisKeyPrefix: prefix() });
    const health = JSON.parse((await http(server.url!, '/healthz')).body) as Record<string, unknown>;
    assert.equal(health.node, server.nodeId);
    assert.equal(health.redis, 'up');
    assert.equal(health.rooms, 0);
    assert.equal(await metric(server, 'rtc_redis_up'), 1);
    assert.ok(server.store instanceof RedisRoomStore);
  });

  it('servers with different key prefixes do not share rooms; with the same one they do', async () => {
    const p = prefix();
    const [s1, s2, other] = await Promise.all([
      startServer({ redisUrl: redis.url, redisKeyPrefix: p }),
      startServer({ redisUrl: redis.url, redisKeyPrefix: p }),
      startServer({ redisUrl: redis.url, redisKeyPrefix: prefix() }),
    ]);
    await ok(await connect(s1, { auth: { userid: 'a' } }), 'room:open', { roomid: 'r' });
    const joined = (await ok(await connect(s2, { auth: { userid: 'b' } }), 'room:join', { roomid: 'r' })) as unknown as RoomJoinedPayload;
    assert.deepEqual(joined.peers.map((x) => x.userid), ['a']);
    const presence = await ok(await connect(other), 'room:presence', { roomid: 'r' });
    assert.equal(presence.exists, false);
  });

  it('a membership recorded for this node without a connection behind it is removed, and its room told', async () => {
    const p = prefix();
    const server = await startServer({ redisUrl: redis.url, redisKeyPrefix: p, nodeTtl: 600 });
    const member = await connect(server, { auth: { userid: 'real' } });
    await ok(member, 'room:open', { roomid: 'r' });
    // As if a leave had failed while Redis was away: a record for this node, no socket.
    const asThisNode = new RedisRoomStore(client, { nodeId: server.nodeId!, keyPrefix: p });
    const room = await asThisNode.get('r');
    const ghost = await asThisNode.join('r', room!.token, { userid: 'ghost', connId: 'gone', extra: {} });
    assert.equal(ghost.status, 'ok');
    assert.deepEqual(await next(member, 'peer:leave', 5000), { userid: 'ghost', reason: 'disconnect' });
    assert.equal(await asThisNode.member('r', 'ghost'), undefined);
    assert.equal((await asThisNode.member('r', 'real'))?.connId, member.id);
  });

  it('a node presumed dead and swept puts its members back when it is heard again; its rooms see them join', async () => {
    const p = prefix();
    const server = await startServer({ redisUrl: redis.url, redisKeyPrefix: p, nodeTtl: 600 });
    const [a, b] = await Promise.all([connect(server, { auth: { userid: 'a' } }), connect(server, { auth: { userid: 'b' } })]);
    await ok(a, 'room:open', { roomid: 'r', password: 'pw', maxParticipants: 3 });
    await ok(b, 'room:join', { roomid: 'r', password: 'pw' });
    // Another node finds this one's heartbeat expired (cut off from Redis) and sweeps it.
    const sweeper = new RedisRoomStore(client, { nodeId: 'sweeper', keyPrefix: p });
    const aBack = next<{ userid: string }>(b, 'peer:join', 5000);
    let removed: string[] = [];
    // The node beats every 200 ms: retry should a beat land between the expiry and the sweep.
    for (let i = 0; i < 20 && !removed.length; i++) {
      await client.del([`${p}node:${server.nodeId}`, `${p}sweep`]);
      removed = (await sweeper.sweep(1000)).map((x) => x.userid).sort();
    }
    assert.deepEqual(removed, ['a', 'b']);
    assert.equal((await aBack).userid, 'a');
    // The room came back as it was: size and password.
    const info = await sweeper.get('r');
    assert.deepEqual({ max: info?.maxParticipants, size: info?.size, protected: !!info?.passwordHash }, { max: 3, size: 2, protected: true });
    const sig = next<{ from: string }>(b, 'signal');
    await ok(a, 'signal', { to: 'b', data: { candidate: null } });
    assert.equal((await sig).from, 'a');
  });

  for (const attached of [false, true]) {
    it(`close() leaves nothing behind in Redis: no member, no heartbeat, no connection (${attached ? 'attached to an app server' : 'own server'})`, async () => {
      const p = prefix();
      const before = await redisClients();
      const app = attached ? createServer((_req, res) => res.end('app')) : undefined;
      if (app) await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
      const server = await createSignalingServer({
        logLevel: 'silent',
        redisUrl: redis.url,
        redisKeyPrefix: p,
        ...(app ? { httpServer: app } : { port: 0 }),
      });
      const url = app ? `http://127.0.0.1:${(app.address() as { port: number }).port}` : server.url!;
      const c = await connect(url, { auth: { userid: 'leaver' } });
      await ok(c, 'room:open', { roomid: 'r' });
      assert.ok((await redisClients()) > before);
      await server.close();
      c.disconnect();
      assert.deepEqual(await client.keys(`${p}room:*`), []);
      assert.equal(await client.hLen(`${p}users`), 0);
      assert.equal(await client.exists(`${p}node:${server.nodeId}`), 0);
      // The adapter's reading connections close once their blocking read returns.
      const deadline = Date.now() + 8000;
      while ((await redisClients()) > before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.equal(await redisClients(), before);
      if (app) {
        assert.equal((await http(url, '/')).body, 'app', 'the app server still serves');
        await new Promise<void>((resolve) => app.close(() => resolve()));
      }
    });
  }
});
