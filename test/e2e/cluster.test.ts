// Shared mode in the browser: two server nodes on one Redis, each serving the
// demo page; one person on each node, same room. They must see each other's
// video (decoded frames), with signaling crossing between the nodes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { createSignalingServer, type SignalingServer } from '../../src/server/index.js';
import { skipWithoutRedis, startRedis, type RedisProcess } from '../server/redis.js';
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
      // The invite link of the demo page: straight into the room, served by this node.
      await page.goto(`${server.url}/?room=across-nodes&autojoin`);
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
