// SFU rooms in shared mode: two signaling nodes on one Redis, one person on
// each node in one `sfu` room. The room's Janus placement lives in the shared
// store, so both are in the same Janus room and see each other; when that
// Janus dies, one node wins the re-placement and both people recover; the
// Janus room goes with the last person, whichever node sees the leave.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { JanusConnection, VideoRoomAdmin } from '../../src/server/janus/index.js';
import { createSignalingServer, type SignalingServer } from '../../src/server/index.js';
import { skipWithoutJanus, startJanus, type JanusProcess } from '../server/janus-harness.js';
import { skipWithoutRedis, startRedis, type RedisProcess } from '../server/redis.js';
import { expectRemoteFrames, launchBrowser, sfuPerson } from './browser.js';

/** Janus' own view: every room on the instance, with its participants (publishers first). */
async function janusRooms(janus: JanusProcess): Promise<Map<string, string[]>> {
  const conn = await JanusConnection.open({ url: janus.url, apiSecret: janus.apiSecret });
  try {
    const session = await conn.createSession();
    const admin = await VideoRoomAdmin.attach(session, janus.adminKey);
    const rooms = new Map<string, string[]>();
    for (const room of await admin.list()) rooms.set(room, (await admin.participants(room)).filter((p) => p.publisher).map((p) => p.id).sort());
    await session.destroy();
    return rooms;
  } finally {
    conn.close();
  }
}

async function eventually<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, ms = 20000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms} ms (last: ${JSON.stringify(value, (_, v: unknown) => (v instanceof Map ? [...v] : v))})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('sfu rooms across signaling nodes (Redis, real Janus)', { skip: skipWithoutJanus || skipWithoutRedis }, () => {
  let redis: RedisProcess;
  const januses: JanusProcess[] = [];
  const nodes: SignalingServer[] = [];
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    redis = await startRedis();
    januses.push(await startJanus());
    januses.push(await startJanus({ apiSecret: januses[0]!.apiSecret, adminKey: januses[0]!.adminKey }));
    for (let i = 0; i < 2; i++) {
      nodes.push(
        await createSignalingServer({
          port: 0,
          logLevel: 'silent',
          redisUrl: redis.url,
          // Listed in another order on each node: left alone, each would pick another instance.
          janusUrls: (i ? [...januses].reverse() : januses).map((j) => j.url),
          janusApiSecret: januses[0]!.apiSecret,
          janusAdminKey: januses[0]!.adminKey,
        }),
      );
    }
    browser = await launchBrowser();
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    for (const n of nodes) await n.close();
    for (const j of januses) await j.stop();
    await redis?.stop();
  });

  /** One person on `node`: the node serves the page and carries its socket. */
  async function person(node: SignalingServer, room: string): Promise<{ page: Page; userid: string }> {
    const context = await browser.newContext();
    contexts.push(context);
    const { page, userid, transport } = await sfuPerson(await context.newPage(), node.url!, room, { capture: 'video width="320" height="240"' });
    assert.equal(transport, 'sfu');
    return { page, userid };
  }

  it('one Janus room for members on two nodes; a crash moves it once; it goes with the last leave', { timeout: 240000 }, async () => {
    const [nodeA, nodeB] = nodes as [SignalingServer, SignalingServer];
    const ada = await person(nodeA, 'shared-sfu');
    const bob = await person(nodeB, 'shared-sfu');
    assert.equal(nodeA.io.engine.clientsCount, 1, 'one socket on each node');
    assert.equal(nodeB.io.engine.clientsCount, 1, 'one socket on each node');
    await expectRemoteFrames(ada.page, `remote-stream[userid="${bob.userid}"]`, 5, 45000);
    await expectRemoteFrames(bob.page, `remote-stream[userid="${ada.userid}"]`, 5, 45000);

    // The store holds the placement (secret included: server side only); Janus has one room with both publishing in it.
    const placed = await nodeB.store.sfuPlacement('shared-sfu');
    assert.ok(placed, 'the placement is in the shared store');
    const both = [ada.userid, bob.userid].sort();
    const holder = januses.find((j) => j.url === placed.url)!;
    const rooms = await eventually('both publishers in one Janus room', () => janusRooms(holder), (r) => JSON.stringify(r.get(placed.room)) === JSON.stringify(both));
    assert.deepEqual([...rooms.keys()], [placed.room], 'one Janus room on that instance');
    const other = januses.find((j) => j !== holder)!;
    assert.deepEqual([...(await janusRooms(other)).keys()], [], 'nothing on the other instance');

    // Janus dies: both nodes notice, one wins the store, and both people are told to rebuild.
    await holder.kill();
    await expectRemoteFrames(ada.page, `remote-stream[userid="${bob.userid}"]`, 5, 60000);
    await expectRemoteFrames(bob.page, `remote-stream[userid="${ada.userid}"]`, 5, 60000);
    const moved = await nodeA.store.sfuPlacement('shared-sfu');
    assert.equal(moved?.url, other.url, 'the room moved to the live instance');
    const after = await eventually('both publishers in the new Janus room', () => janusRooms(other), (r) => JSON.stringify(r.get(moved!.room)) === JSON.stringify(both));
    assert.deepEqual([...after.keys()], [moved!.room], 'one Janus room: the node that lost the race dropped its own');
    for (const p of [ada, bob]) assert.equal(await p.page.locator('rtc-room remote-stream').count(), 1, 'one tile each');

    // Ada leaves (node A), then Bob (node B sees the last leave): the Janus room is destroyed.
    await ada.page.evaluate(() => (document.querySelector('rtc-room') as unknown as { leave(): Promise<void> }).leave());
    await eventually('only Bob left in Janus', () => janusRooms(other), (r) => JSON.stringify(r.get(moved!.room)) === JSON.stringify([bob.userid]));
    await bob.page.evaluate(() => (document.querySelector('rtc-room') as unknown as { leave(): Promise<void> }).leave());
    await eventually('the Janus room destroyed', () => janusRooms(other), (r) => r.size === 0);
    assert.equal(await nodeA.store.sfuPlacement('shared-sfu'), null);
  });
});
