// Janus as the media server, against a real Janus in the test namespace: sessions, rooms, refusals, media, crashes.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  JanusConnection,
  JanusError,
  JanusPool,
  VideoRoomAdmin,
  VideoRoomPublisherHandle,
  VideoRoomSubscriberHandle,
  type JanusHandle,
  type Jsep,
  type TrickleCandidate,
} from '../../src/server/janus/index.js';
import { launchBrowser } from '../e2e/browser.js';
import { roomInJanus, skipWithoutJanus, startJanus, type JanusProcess } from './janus-harness.js';

// Short enough that the keepalive test sees Janus time a silent session out.
const SESSION_TIMEOUT_S = 4;
const KEEPALIVE_MS = 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the first emission of `event`, or rejects after `ms`. */
function nextEvent<T extends unknown[]>(emitter: { once(e: string, f: (...a: T) => void): unknown }, event: string, ms = 10000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    emitter.once(event, (...args: T) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}


describe('Janus client', { skip: skipWithoutJanus }, () => {
  let janus: JanusProcess;
  let janus2: JanusProcess | undefined;
  before(async () => {
    janus = await startJanus({ sessionTimeout: SESSION_TIMEOUT_S });
  });
  after(async () => {
    await janus?.stop();
    await janus2?.stop();
  });

  it('keeps a session alive past session_timeout with keepalives; a silent one is timed out by Janus', async () => {
    const kept = await JanusConnection.open({ url: janus.url, apiSecret: janus.apiSecret, keepaliveMs: KEEPALIVE_MS });
    const silent = await JanusConnection.open({ url: janus.url, apiSecret: janus.apiSecret, keepaliveMs: 3_600_000 });
    try {
      const live = await kept.createSession();
      const idle = await silent.createSession();
      const [reason] = await nextEvent<[Error]>(idle, 'closed', (SESSION_TIMEOUT_S + 5) * 1000);
      assert.equal((reason as JanusError).code, 458);
      assert.equal(live.closed, false);
      // Janus still knows the kept session: it accepts a handle on it.
      const handle = await live.attach('janus.plugin.videoroom');
      await handle.detach();
      await assert.rejects(idle.attach('janus.plugin.videoroom'), JanusError);
      await live.destroy();
    } finally {
      kept.close();
      silent.close();
    }
  });

  it('is refused with a wrong or missing api_secret, and room creation needs the admin_key', async () => {
    for (const apiSecret of ['wrong', undefined]) {
      const conn = await JanusConnection.open({ url: janus.url, ...(apiSecret ? { apiSecret } : {}) });
      try {
        await assert.rejects(conn.createSession(), (err: unknown) => err instanceof JanusError && err.code === 403);
      } finally {
        conn.close();
      }
    }
    const conn = await JanusConnection.open({ url: janus.url, apiSecret: janus.apiSecret, keepaliveMs: KEEPALIVE_MS });
    try {
      const session = await conn.createSession();
      for (const [key, code] of [['wrong', 433], [undefined, 429]] as const) {
        const admin = await VideoRoomAdmin.attach(session, key);
        await assert.rejects(admin.create({ room: 'no-key' }), (err: unknown) => err instanceof JanusError && err.code === code);
      }
      assert.deepEqual(await roomInJanus(janus, 'no-key'), { exists: false, listed: false });
      await session.destroy();
    } finally {
      conn.close();
    }
  });

  it('creates a private room with a secret, and destroys it (checked through Janus itself)', async () => {
    const pool = new JanusPool({ urls: [janus.url], apiSecret: janus.apiSecret, adminKey: janus.adminKey, keepaliveMs: KEEPALIVE_MS });
    try {
      await pool.start();
      const placed = await pool.createRoom({ room: 'room-a' });
      assert.equal(placed.url, janus.url);
      assert.ok(placed.secret.length >= 32);
      assert.deepEqual(await roomInJanus(janus, 'room-a'), { exists: true, listed: true });
      // Private: without the admin_key, Janus' public list does not show it.
      const conn = await JanusConnection.open({ url: janus.url, apiSecret: janus.apiSecret });
      const session = await conn.createSession();
      assert.equal((await (await VideoRoomAdmin.attach(session, undefined)).list()).includes('room-a'), false);
      // Destroying needs the room's secret: someone else's handle without it is refused.
      const outsider = await VideoRoomAdmin.attach(session, janus.adminKey);
      await assert.rejects(outsider.destroy('room-a', 'not-the-secret'), (err: unknown) => err instanceof JanusError && err.code === 433);
      conn.close();
      await pool.destroyRoom('room-a');
      assert.deepEqual(await roomInJanus(janus, 'room-a'), { exists: false, listed: false });
      assert.equal(pool.instanceOf('room-a'), undefined);
    } finally {
      await pool.close();
    }
  });

  describe('media through Janus (Chromium publishes its fake camera, another page subscribes)', () => {
    let browser: Browser;
    let http: Server;
    let origin: string;
    before(async () => {
      // getUserMedia needs a secure context: http://127.0.0.1 is one.
      http = createServer((_, res) => res.end('<!doctype html><title>janus</title>'));
      await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
      origin = `http://127.0.0.1:${(http.address() as { port: number }).port}/`;
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
      await new Promise((r) => http?.close(r));
    });

    /** Forwards the page's ICE candidates to a Janus handle, held back until `open()` (Janus has the SDP). */
    async function relayCandidates(page: Page, name: string) {
      let target: JanusHandle | undefined;
      const queue: Array<TrickleCandidate | null> = [];
      const send = (c: TrickleCandidate | null) => target!.trickle(c).catch(() => {});
      await page.exposeFunction(name, (c: TrickleCandidate | null) => (target ? send(c) : void queue.push(c)));
      return {
        open(handle: JanusHandle) {
          target = handle;
          for (const c of queue.splice(0)) void send(c);
        },
      };
    }

    /** Decoded video frames per inbound stream (mid -> frames) on the page's `pc`. */
    async function framesDecoded(page: Page): Promise<Map<string, number>> {
      const entries = await page.evaluate(async () => {
        const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
        const out: Array<[string, number]> = [];
        (await pc.getStats()).forEach((s: { type: string; kind?: string; mid?: string; framesDecoded?: number }) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') out.push([s.mid ?? '?', s.framesDecoded ?? 0]);
        });
        return out;
      });
      return new Map(entries);
    }

    /** Resolves once the page decoded video frames on `streams` inbound streams, and kept decoding more on each. */
    async function expectDecodedFrames(page: Page, streams: number, timeoutMs = 30000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      let first = new Map<string, number>();
      const decoding = (m: Map<string, number>) => [...m.values()].filter((n) => n > 0).length;
      while (decoding((first = await framesDecoded(page))) < streams) {
        if (Date.now() > deadline) assert.fail(`the subscriber decoded video on ${decoding(first)} of ${streams} streams`);
        await sleep(200);
      }
      for (;;) {
        const now = await framesDecoded(page);
        if ([...first].every(([mid, n]) => n === 0 || (now.get(mid) ?? 0) > n)) return;
        if (Date.now() > deadline) assert.fail(`the subscriber stopped decoding: ${JSON.stringify([...now])}`);
        await sleep(200);
      }
    }

    /** A page that publishes its fake camera to `room` as `id` through our client; resolves once Janus has the media. */
    async function publishFrom(pool: JanusPool, room: string, id: string): Promise<VideoRoomPublisherHandle> {
      const page = await (await browser.newContext()).newPage();
      await page.goto(origin);
      const ice = await relayCandidates(page, 'sendCandidate');
      const offer = await page.evaluate(async () => {
        const w = window as unknown as { pc: RTCPeerConnection; sendCandidate(c: unknown): void };
        const pc = (w.pc = new RTCPeerConnection());
        pc.onicecandidate = (e) => w.sendCandidate(e.candidate ? e.candidate.toJSON() : null);
        const stream = await navigator.mediaDevices.getUserMedia({ video: true });
        for (const track of stream.getTracks()) pc.addTrack(track, stream);
        await pc.setLocalDescription();
        return { type: 'offer' as const, sdp: pc.localDescription!.sdp };
      });
      const publisher = await VideoRoomPublisherHandle.join(await pool.sessionFor(room), { room, id, display: id });
      const webrtcUp = nextEvent(publisher.handle, 'webrtcup');
      const answer = await publisher.publish(offer, { audio: false, video: true });
      ice.open(publisher.handle);
      await page.evaluate(async (a: Jsep) => {
        await (window as unknown as { pc: RTCPeerConnection }).pc.setRemoteDescription(a);
      }, answer);
      await webrtcUp;
      return publisher;
    }

    /** Has the subscriber page answer Janus' offer (first one, or a renegotiation). */
    function answerOn(page: Page, offer: Jsep): Promise<Jsep> {
      return page.evaluate(async (o: Jsep) => {
        const w = window as unknown as { pc?: RTCPeerConnection; sendCandidate(c: unknown): void };
        if (!w.pc) {
          w.pc = new RTCPeerConnection();
          w.pc.onicecandidate = (e) => w.sendCandidate(e.candidate ? e.candidate.toJSON() : null);
        }
        await w.pc.setRemoteDescription(o);
        await w.pc.setLocalDescription();
        return { type: 'answer' as const, sdp: w.pc.localDescription!.sdp };
      }, offer);
    }

    it('carries publishers\' cameras to one subscriber connection, adding a feed later; frames decoded', async () => {
      const pool = new JanusPool({ urls: [janus.url], apiSecret: janus.apiSecret, adminKey: janus.adminKey, keepaliveMs: KEEPALIVE_MS });
      try {
        await pool.start();
        await pool.createRoom({ room: 'media' });
        const alice = await publishFrom(pool, 'media', 'alice');

        const admin = await VideoRoomAdmin.attach(await pool.sessionFor('media'), janus.adminKey);
        assert.deepEqual(await admin.participants('media'), [{ id: 'alice', display: 'alice', publisher: true }]);

        const subPage = await (await browser.newContext()).newPage();
        await subPage.goto(origin);
        const subIce = await relayCandidates(subPage, 'sendCandidate');
        const { subscriber, offer } = await VideoRoomSubscriberHandle.join(await pool.sessionFor('media'), {
          room: 'media',
          streams: [{ feed: 'alice' }],
        });
        await subscriber.start(await answerOn(subPage, offer));
        subIce.open(subscriber.handle);
        await expectDecodedFrames(subPage, 1);

        // A second publisher joins: the same subscriber connection takes its feed too (renegotiated by Janus).
        const bob = await publishFrom(pool, 'media', 'bob');
        const reoffer = await subscriber.update({ subscribe: [{ feed: 'bob' }] });
        assert.ok(reoffer, 'Janus sent no offer for the added feed');
        await subscriber.start(await answerOn(subPage, reoffer));
        await expectDecodedFrames(subPage, 2);

        await subscriber.leave();
        await alice.leave();
        await bob.leave();
        assert.deepEqual(await admin.participants('media'), []);
        await pool.destroyRoom('media');
        assert.deepEqual(await roomInJanus(janus, 'media'), { exists: false, listed: false });
      } finally {
        await pool.close();
      }
    });
  });

  it('reports a Janus killed (-9) as dead, moves its rooms, and uses it again once restarted', async () => {
    janus2 ??= await startJanus({ apiSecret: janus.apiSecret, adminKey: janus.adminKey, sessionTimeout: SESSION_TIMEOUT_S });
    const pool = new JanusPool({
      urls: [janus.url, janus2.url],
      apiSecret: janus.apiSecret,
      adminKey: janus.adminKey,
      keepaliveMs: KEEPALIVE_MS,
      retryMs: 100,
      maxRetryMs: 500,
    });
    try {
      await pool.start();
      assert.deepEqual(pool.liveUrls.sort(), [janus.url, janus2.url].sort());
      // Least rooms first: two rooms land on two instances.
      const r1 = await pool.createRoom({ room: 'r1' });
      const r2 = await pool.createRoom({ room: 'r2' });
      assert.notEqual(r1.url, r2.url);
      const victim = r1.url === janus.url ? janus : janus2;
      const survivor = victim === janus ? janus2 : janus;
      const member = await JanusConnection.open({ url: victim.url, apiSecret: victim.apiSecret, keepaliveMs: KEEPALIVE_MS });
      const memberDead = nextEvent<[Error]>(member, 'dead');
      const down = nextEvent<[string, string[], Error]>(pool, 'down');

      await victim.kill();
      const [url, rooms] = await down;
      assert.equal(url, victim.url);
      assert.deepEqual(rooms, ['r1']);
      await memberDead;
      assert.equal(member.alive, false);
      await assert.rejects(member.createSession(), JanusError);
      assert.deepEqual(pool.liveUrls, [survivor.url]);

      // The room moves: created again on the instance still up.
      const moved = await pool.createRoom({ room: 'r1' });
      assert.equal(moved.url, survivor.url);
      assert.deepEqual(await roomInJanus(survivor, 'r1'), { exists: true, listed: true });

      // The restarted instance comes back into the pool and, holding no room, gets the next one.
      const up = nextEvent<[string]>(pool, 'up');
      await victim.up();
      assert.deepEqual(await up, [victim.url]);
      const r3 = await pool.createRoom({ room: 'r3' });
      assert.equal(r3.url, victim.url);
      assert.deepEqual(await roomInJanus(victim, 'r3'), { exists: true, listed: true });
      for (const room of ['r1', 'r2', 'r3']) await pool.destroyRoom(room);
      assert.deepEqual(await roomInJanus(survivor, 'r1'), { exists: false, listed: false });
    } finally {
      await pool.close();
    }
  });
});
