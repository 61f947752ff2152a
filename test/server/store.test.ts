// The RoomStore suite against both stores, and the Redis store's node
// bookkeeping (heartbeat, sweep, drain, restore) against a real redis-server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { MemoryRoomStore, type RoomMember } from '../../src/server/rooms.js';
import { RedisRoomStore } from '../../src/server/redis-store.js';
import { skipWithoutRedis, startRedis, type RedisProcess } from './redis.js';
import { roomStoreSuite } from './store-suite.js';

roomStoreSuite('MemoryRoomStore', async () => {
  const store = new MemoryRoomStore();
  return { store, other: store };
});

let redis: RedisProcess | undefined;
let client: ReturnType<typeof createClient> | undefined;
let fixtures = 0;

before(async () => {
  if (skipWithoutRedis) return;
  redis = await startRedis();
  client = createClient({ url: redis.url });
  client.on('error', () => {});
  await client.connect();
});
after(async () => {
  client?.destroy();
  await redis?.stop();
});

/** Two nodes' stores on one Redis, under a key prefix of their own. */
function nodes(): { a: RedisRoomStore; b: RedisRoomStore; prefix: string } {
  const prefix = `t${++fixtures}:`;
  return {
    prefix,
    a: new RedisRoomStore(client!, { nodeId: 'node-a', keyPrefix: prefix }),
    b: new RedisRoomStore(client!, { nodeId: 'node-b', keyPrefix: prefix }),
  };
}

roomStoreSuite(
  'RedisRoomStore',
  async () => {
    const { a, b } = nodes();
    return { store: a, other: b };
  },
  skipWithoutRedis,
);

const m = (userid: string, connId: string): RoomMember => ({ userid, connId, extra: { userid } });
const room = { maxParticipants: 4, passwordHash: null };

describe('RedisRoomStore: nodes', { skip: skipWithoutRedis }, () => {
  it('refuses a prefix or node id that could break out of its keys', () => {
    assert.throws(() => new RedisRoomStore(client!, { nodeId: 'a b' }), TypeError);
    assert.throws(() => new RedisRoomStore(client!, { nodeId: 'n', keyPrefix: 'a b' }), TypeError);
    assert.equal(new RedisRoomStore(client!, { nodeId: 'n' }).keyPrefix, 'rtc:');
  });

  it('heartbeat: reports whether it had expired, and the epoch (new after Redis lost its data)', async () => {
    const { a, prefix } = nodes();
    const first = await a.heartbeat(60000, 'e1');
    assert.deepEqual(first, { existed: false, epoch: 'e1' });
    assert.deepEqual(await a.heartbeat(60000, 'e2'), { existed: true, epoch: 'e1' });
    // Redis restarted empty, as far as this prefix goes.
    const keys = await client!.keys(`${prefix}*`);
    await client!.del(keys);
    assert.deepEqual(await a.heartbeat(60000, 'e3'), { existed: false, epoch: 'e3' });
    assert.ok((await client!.pTTL(`${prefix}node:node-a`)) > 0, 'the heartbeat key has a TTL');
  });

  it('sweep: members of a node whose heartbeat expired are removed and reported; live nodes are left alone', async () => {
    const { a, b, prefix } = nodes();
    await a.heartbeat(60000, 'e');
    await b.heartbeat(60000, 'e');
    const r = await a.create({ roomid: 'r', ...room }, m('alice', 'a1'));
    assert.equal(r.status, 'ok');
    const token = (await a.get('r'))!.token;
    await b.join('r', token, m('bob', 'b1'));
    await b.create({ roomid: 'solo', ...room }, m('bo', 'b2'));
    assert.deepEqual(await a.sweep(10), [], 'both alive');
    await client!.del(`${prefix}sweep`);
    // node-b dies: its heartbeat key expires.
    await client!.del(`${prefix}node:node-b`);
    const removed = await a.sweep(10);
    assert.deepEqual(
      removed.sort((x, y) => x.userid.localeCompare(y.userid)),
      [
        { roomid: 'solo', userid: 'bo' },
        { roomid: 'r', userid: 'bob' },
      ],
    );
    assert.equal(await a.get('solo'), undefined);
    assert.deepEqual((await a.get('r'))!.size, 1);
    assert.equal(await a.member('r', 'bob'), undefined);
    assert.equal(await client!.exists(`${prefix}node:node-b:m`), 0);
    assert.equal(await client!.sIsMember(`${prefix}nodes`, 'node-b'), 0);
    // A node that comes back finds its heartbeat gone (and puts its members back, see restore).
    assert.equal((await b.heartbeat(60000, 'e')).existed, false);
  });

  it('sweep: one node per lock period does it', async () => {
    const { a, b, prefix } = nodes();
    const dead = new RedisRoomStore(client!, { nodeId: 'node-dead', keyPrefix: prefix });
    await a.heartbeat(60000, 'e');
    await b.heartbeat(60000, 'e');
    assert.deepEqual(await a.sweep(60000), []);
    await dead.create({ roomid: 'r', ...room }, m('ghost', 'g1'));
    assert.deepEqual(await b.sweep(60000), [], 'a holds the lock');
    assert.equal((await a.get('r'))?.size, 1);
    await client!.del(`${prefix}sweep`); // the lock expires
    assert.deepEqual(await b.sweep(60000), [{ roomid: 'r', userid: 'ghost' }]);
  });

  it('drain: this node\'s members and heartbeat go, the other node\'s stay', async () => {
    const { a, b, prefix } = nodes();
    await a.heartbeat(60000, 'e');
    await a.create({ roomid: 'r', ...room }, m('alice', 'a1'));
    await b.join('r', (await a.get('r'))!.token, m('bob', 'b1'));
    assert.deepEqual(await a.drain(), [{ roomid: 'r', userid: 'alice' }]);
    assert.equal(await a.member('r', 'alice'), undefined);
    assert.equal((await a.member('r', 'bob'))?.connId, 'b1');
    assert.equal(await client!.exists(`${prefix}node:node-a`), 0);
    assert.deepEqual(await a.drain(), []);
  });

  it('nodeMembers: the memberships recorded for this node, following replacements across nodes', async () => {
    const { a, b } = nodes();
    await a.create({ roomid: 'r', ...room }, m('alice', 'a1'));
    await a.create({ roomid: 'r2', ...room }, m('carol', 'c1'));
    assert.deepEqual(
      (await a.nodeMembers()).sort((x, y) => x.userid.localeCompare(y.userid)),
      [
        { userid: 'alice', roomid: 'r', connId: 'a1' },
        { userid: 'carol', roomid: 'r2', connId: 'c1' },
      ],
    );
    // alice reconnects through node b: her membership moves there.
    await b.join('r', (await a.get('r'))!.token, m('alice', 'a2'));
    assert.deepEqual(await a.nodeMembers(), [{ userid: 'carol', roomid: 'r2', connId: 'c1' }]);
    assert.deepEqual(await b.nodeMembers(), [{ userid: 'alice', roomid: 'r', connId: 'a2' }]);
  });

  it('restore: puts a lost membership back (re-creating the room as it was), leaves a present one, refuses a taken userid', async () => {
    const { a, b, prefix } = nodes();
    await a.create({ roomid: 'r', maxParticipants: 3, passwordHash: 'scrypt$x' }, m('alice', 'a1'));
    await b.join('r', (await a.get('r'))!.token, m('bob', 'b1'));
    assert.equal(await a.restore('r', { maxParticipants: 3, passwordHash: 'scrypt$x' }, m('alice', 'a1')), 'present');
    await client!.del(await client!.keys(`${prefix}*`));
    assert.equal(await a.restore('r', { maxParticipants: 3, passwordHash: 'scrypt$x' }, m('alice', 'a1')), 'restored');
    assert.equal(await b.restore('r', { maxParticipants: 3, passwordHash: 'scrypt$x' }, m('bob', 'b1')), 'restored');
    const info = await a.get('r');
    assert.deepEqual({ ...info, token: 't' }, { roomid: 'r', token: 't', maxParticipants: 3, passwordHash: 'scrypt$x', size: 2, lobby: false, locked: false });
    const joined = await a.join('r', info!.token, m('carl', 'c1'));
    assert.equal(joined.status, 'ok');
    assert.deepEqual(joined.status === 'ok' && joined.peers.map((p) => p.userid), ['alice', 'bob']);
    // While Redis had lost it, dave reconnected elsewhere: the older connection cannot come back.
    await b.create({ roomid: 'other', ...room }, m('dave', 'd2'));
    assert.equal(await a.restore('r', room, m('dave', 'd1')), 'taken');
    assert.equal(await a.member('r', 'dave'), undefined);
  });
});
