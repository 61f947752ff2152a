// Shared mode in the browser: two server nodes on one Redis, each serving the
// demo page; one person on each node, same room. They must see each other's
// video (decoded frames), with signaling crossing between the nodes; and when
// one node is killed, its person must land on the other one through the load
// balancer and the call must go on.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createSignalingServer, type SignalingServer } from '../../src/server/index.js';
import { http } from '../server/helpers.js';
import { NODE_TTL_MS, startNodeProcess, type Node } from '../server/nodes.js';
import { skipWithoutRedis, startRedis, type RedisProcess } from '../server/redis.js';
import { startBalancer, type Balancer } from './balancer.js';
import { expectRemoteFrames, launchBrowser, screenshot } from './browser.js';

describe('two people on two nodes sharing rooms through Redis', { skip: skipWithoutRedis }, () => {
  let redis: RedisProcess | undefined;
  const servers: SignalingServer[] = [];
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  before(async () => {
    redis = await startRedis();
    for (let i = 0; i < 2; i++) servers.push(await createSignalingServer({ port: 0, logLevel: 'silent', redisUrl: redis.url }));
    browser = await launchBrowser();
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await Promise.all(servers.map((s) => s.close()));
    await redis?.stop();
  });

  it('each sees the other\'s video', { timeout: 90000 }, async () => {
    const [nodeA, nodeB] = servers as [SignalingServer, SignalingServer];
    assert.notEqual(nodeA.nodeId, nodeB.nodeId);
    const errors: string[] = [];
    const pages = [];
    for (const server of [nodeA, nodeB]) {
      const context = await browser!.newContext();
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      // The invite link of the demo page (the room filled in), served by this node; the person clicks Join.
      await page.goto(`${server.url}/?room=across-nodes`);
      await page.getByRole('button', { name: 'Join' }).click();
      pages.push(page);
    }
    await Promise.all(pages.map((p) => expectRemoteFrames(p)));
    // One socket on each node: the call really crossed between them.
    assert.equal(nodeA.io.engine.clientsCount, 1);
    assert.equal(nodeB.io.engine.clientsCount, 1);
    assert.equal((await nodeA.store.stats()).members, 2);
    await screenshot(pages[0]!, 'cluster-node-a');
    await screenshot(pages[1]!, 'cluster-node-b');
    assert.deepEqual(errors, []);
  });
});

interface Seen {
  type: string;
  value: string | null;
}

/** From now on, records in the page what its <rtc-room> reports, and remembers its one peer connection. */
function watchRoom(page: Page): Promise<void> {
  return page.evaluate(() => {
    const room = document.querySelector('rtc-room') as HTMLElement & { peers: Map<string, { connection: RTCPeerConnection }> };
    const w = window as unknown as { seen: { type: string; value: string | null }[]; pcBefore: RTCPeerConnection };
    w.seen = [];
    const value = (e: Event): string | null => {
      const d = (e as CustomEvent<{ state?: string; code?: string; userid?: string }>).detail;
      return d.state ?? d.code ?? d.userid ?? null;
    };
    for (const type of ['room-state', 'room-joined', 'room-error', 'peer-leave', 'peer-join']) {
      room.addEventListener(type, (e) => w.seen.push({ type, value: value(e) }));
    }
    w.pcBefore = [...room.peers.values()][0]!.connection;
  });
}

/** What watchRoom recorded, and whether the room still holds the very same peer connection (and only it). */
function roomReport(page: Page): Promise<{ seen: Seen[]; samePc: boolean; peers: number; tiles: number }> {
  return page.evaluate(() => {
    const room = document.querySelector('rtc-room') as HTMLElement & { peers: Map<string, { connection: RTCPeerConnection }> };
    const w = window as unknown as { seen: Seen[]; pcBefore: RTCPeerConnection };
    const peers = [...room.peers.values()];
    return { seen: w.seen, samePc: peers[0]?.connection === w.pcBefore, peers: peers.length, tiles: room.querySelectorAll('remote-stream').length };
  });
}

async function sockets(node: Node): Promise<number> {
  return (JSON.parse((await http(node.url, '/healthz')).body) as { sockets: number }).sockets;
}

describe('a node killed (-9) behind a load balancer', { skip: skipWithoutRedis }, () => {
  let redis: RedisProcess | undefined;
  const nodes: Node[] = [];
  const balancers: Balancer[] = [];
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  before(async () => {
    redis = await startRedis();
    nodes.push(...(await Promise.all([startNodeProcess(redis.url), startNodeProcess(redis.url)])));
    browser = await launchBrowser();
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await Promise.all(balancers.map((b) => b.close()));
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
  });

  it('its person reconnects through the balancer to the other node, rejoins by itself, and the call never stops', { timeout: 120000 }, async () => {
    const [nodeA, nodeB] = nodes as [Node, Node];
    const portOf = (n: Node) => Number(new URL(n.url).port);
    // Each person's balancer prefers "their" node and fails over to the other.
    const viaA = await startBalancer(() => [portOf(nodeA), portOf(nodeB)]);
    const viaB = await startBalancer(() => [portOf(nodeB), portOf(nodeA)]);
    balancers.push(viaA, viaB);
    const errors: string[] = [];
    const pages: Page[] = [];
    for (const balancer of [viaA, viaB]) {
      const context = await browser!.newContext();
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${balancer.port}/?room=failover`);
      await page.getByRole('button', { name: 'Join' }).click();
      pages.push(page);
    }
    const [onA, onB] = pages as [Page, Page];
    await Promise.all(pages.map((p) => expectRemoteFrames(p)));
    assert.equal(await sockets(nodeA), 1);
    assert.equal(await sockets(nodeB), 1);
    await Promise.all(pages.map(watchRoom));

    nodeA.proc.kill('SIGKILL');
    await onA.waitForFunction(() => (window as unknown as { seen: Seen[] }).seen.some((e) => e.type === 'room-joined'), null, { timeout: 20000 });
    assert.equal(await sockets(nodeB), 2, 'both people are on the surviving node');
    await Promise.all(pages.map((p) => expectRemoteFrames(p)));

    // Past the dead node's heartbeat TTL and a sweep: nothing more happens, nobody is left behind as a ghost.
    await new Promise((r) => setTimeout(r, NODE_TTL_MS + 3000));
    const metrics = (await http(nodeB.url, '/metrics')).body;
    assert.match(metrics, /^rtc_room_members 2$/m);
    const [a, b] = await Promise.all([roomReport(onA), roomReport(onB)]);
    for (const report of [a, b]) {
      assert.ok(report.samePc, 'the call kept its RTCPeerConnection');
      assert.equal(report.peers, 1);
      assert.equal(report.tiles, 1, 'one tile, no duplicate');
    }
    const states = a.seen.filter((e) => e.type === 'room-state').map((e) => e.value);
    assert.deepEqual(states, ['reconnecting', 'joined']);
    assert.deepEqual(a.seen.filter((e) => e.type === 'peer-leave' || e.type === 'room-error'), []);
    // The other person never saw them leave: the rejoin took the dead connection's place at once.
    assert.deepEqual(b.seen.filter((e) => e.type === 'peer-leave' || e.type === 'room-error' || e.type === 'room-state'), []);
    await Promise.all(pages.map((p) => expectRemoteFrames(p)));
    await screenshot(onA, 'cluster-failover-moved');
    await screenshot(onB, 'cluster-failover-stayed');
    assert.deepEqual(errors, []);
  });
});
