// SFU rooms: our server drives a real Janus; Chromium pages speak only socket.io to our server (sfu:* requests) and decode each other's cameras.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RoomJoinedPayload } from '../../src/protocol.js';
import { sentStreams } from '../../src/server/sfu-rooms.js';
import { SFU_LINGER_MS } from '../../src/server/topology.js';
import { mintRoomToken } from '../../src/server/tokens.js';
import { ROOT, launchBrowser } from '../e2e/browser.js';
import { roomInJanus, skipWithoutJanus, startJanus, type JanusProcess } from './janus-harness.js';
import { connect, connectAll, flush, ok, record, refused, send, sleep, startServer, type Client } from './helpers.js';

const SECRET = 'sfu-test-secret-that-is-32-bytes-or-more';


/** Polls `check` until it holds or `ms` pass (Janus tears rooms down asynchronously to our acks). */
async function eventually(what: string, check: () => Promise<boolean>, ms = 10000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms} ms`);
    await sleep(200);
  }
}

describe('sentStreams', () => {
  it('lists the m-lines an offer sends, with their msid stream ids; not inactive, recvonly, stopped or data ones', () => {
    const m = (kind: string, mid: string, extra: string, port = 9) => `m=${kind} ${port} UDP/TLS/RTP/SAVPF 96\r\na=mid:${mid}\r\n${extra}`;
    const sdp = [
      'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n',
      m('audio', '0', 'a=sendonly\r\na=msid:cam track-a\r\n'),
      m('video', '1', 'a=sendonly\r\na=msid:cam track-v\r\n'),
      m('video', '2', 'a=inactive\r\na=msid:screen track-s\r\n'),
      m('video', '3', 'a=sendonly\r\na=msid:old track-o\r\n', 0),
      m('video', '4', 'a=recvonly\r\n'),
      m('video', '5', 'a=sendonly\r\n'),
      'm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:6\r\n',
    ].join('');
    assert.deepEqual([...sentStreams(sdp)], [['0', 'cam'], ['1', 'cam'], ['5', '']]);
  });
});

describe('sfu rooms without Janus', () => {
  it('topology sfu is refused with sfu-unavailable; mesh and auto rooms say mesh; sfu:* requests are refused', async () => {
    const server = await startServer();
    const a = await connect(server, { auth: { userid: 'a' } });
    await refused(a, 'room:open', { roomid: 'r', topology: 'sfu' }, 'sfu-unavailable');
    await refused(a, 'room:open-or-join', { roomid: 'r', topology: 'sfu' }, 'sfu-unavailable');
    await refused(a, 'room:open', { roomid: 'r', topology: 'star' }, 'invalid-request');
    await refused(a, 'sfu:publish', { jsep: { type: 'offer', sdp: 'v=0' } }, 'not-in-room');
    const joined = (await ok(a, 'room:open', { roomid: 'r', topology: 'auto', maxParticipants: 100 })) as unknown as RoomJoinedPayload;
    assert.equal(joined.topology, 'mesh');
    assert.equal(joined.maxParticipants, 8);
    await refused(a, 'sfu:publish', { jsep: { type: 'offer', sdp: 'v=0' } }, 'sfu-unavailable');
    await refused(a, 'sfu:publish', { jsep: { type: 'answer', sdp: 'v=0' } }, 'invalid-request');
    const b = await connect(server, { auth: { userid: 'b' } });
    assert.equal(((await ok(b, 'room:join', { roomid: 'r' })) as unknown as RoomJoinedPayload).topology, 'mesh');
  });

  it('sfu:layer: a malformed request is invalid-request; outside a room not-in-room; in a mesh room sfu-unavailable', async () => {
    const server = await startServer();
    const a = await connect(server, { auth: { userid: 'a' } });
    const good = { userid: 'b', streamid: 'cam', layer: 'low' };
    await refused(a, 'sfu:layer', good, 'not-in-room');
    await ok(a, 'room:open', { roomid: 'layers' });
    for (const bad of [
      { ...good, layer: 'huge' },
      { ...good, layer: 2 },
      { userid: 'b', streamid: 'cam' },
      { ...good, streamid: '' },
      { ...good, streamid: 'x'.repeat(1000) },
      { ...good, userid: 'not a userid' },
    ]) {
      await refused(a, 'sfu:layer', bad, 'invalid-request');
    }
    await refused(a, 'sfu:layer', good, 'sfu-unavailable');
  });
});

describe('sfu rooms on a real Janus', { skip: skipWithoutJanus }, () => {
  let janus: JanusProcess;
  before(async () => {
    janus = await startJanus();
  });
  after(async () => {
    await janus?.stop();
  });

  const janusOptions = () => ({ janusUrls: [janus.url], janusApiSecret: janus.apiSecret, janusAdminKey: janus.adminKey });

  it('topology auto (the default with Janus): a mesh until a join makes it larger than --mesh-max, then on Janus (room:topology to the members, the join ack to the joiner), back to the mesh at 2; mesh and sfu rooms never move', async () => {
    const server = await startServer(janusOptions());
    const users = await connectAll(server, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    const [a, b, c, d, e, f, g, h] = users as [Client, Client, Client, Client, Client, Client, Client, Client];
    const moves = users.map((u) => record<{ topology: string }>(u, 'room:topology'));
    const topologyOf = (ack: Record<string, unknown>) => (ack as unknown as RoomJoinedPayload).topology;

    // No topology asked for: auto, sized like an sfu room.
    const opened = (await ok(a, 'room:open', { roomid: 'grows' })) as unknown as RoomJoinedPayload;
    assert.equal(opened.topology, 'mesh');
    assert.equal(opened.maxParticipants, 50, 'an auto room may end up on the SFU: --sfu-room-size caps it');
    for (const u of [b, c, d]) assert.equal(topologyOf(await ok(u, 'room:join', { roomid: 'grows' })), 'mesh', 'up to --mesh-max (4): a mesh');
    assert.equal((await roomInJanus(janus, 'grows')).exists, false, 'no Janus room for a mesh');

    // The 5th: the room moves. Its joiner learns it from the ack, the others from room:topology.
    assert.equal(topologyOf(await ok(e, 'room:join', { roomid: 'grows' })), 'sfu');
    for (const u of [a, b, c, d, e]) await flush(u);
    assert.deepEqual(moves.slice(0, 5), [[{ topology: 'sfu' }], [{ topology: 'sfu' }], [{ topology: 'sfu' }], [{ topology: 'sfu' }], []]);
    assert.equal((await roomInJanus(janus, 'grows')).exists, true, 'a Janus room for the moved room');
    // The sfu:* requests work now (nobody publishes yet).
    await refused(a, 'sfu:subscribe', {}, 'peer-not-found');

    // Shrinking to 3 keeps it on Janus; at 2 it goes back to the mesh (signal works again), a later joiner hears mesh.
    for (const u of [e, d]) await ok(u, 'room:leave', {});
    await flush(a);
    assert.deepEqual(moves[0], [{ topology: 'sfu' }], 'still on Janus at 3');
    await ok(c, 'room:leave', {});
    for (const u of [a, b, c]) await flush(u);
    assert.deepEqual(moves[0], [{ topology: 'sfu' }, { topology: 'mesh' }]);
    assert.deepEqual(moves[1], [{ topology: 'sfu' }, { topology: 'mesh' }]);
    assert.deepEqual(moves[2], [{ topology: 'sfu' }], 'c left before the move back');
    assert.equal(topologyOf(await ok(c, 'room:join', { roomid: 'grows' })), 'mesh', 'a mesh again at 3');
    // Its Janus room stays a few seconds (the members' SFU connections carry media while their mesh comes up), then goes.
    assert.equal((await roomInJanus(janus, 'grows')).exists, true);
    await eventually('the Janus room destroyed after the move back', async () => !(await roomInJanus(janus, 'grows')).exists, SFU_LINGER_MS + 5000);
    await refused(a, 'sfu:subscribe', {}, 'invalid-request');

    // Joins racing the move: whoever's join makes the room larger moves it, every member ends up told `sfu`
    // (by its ack or by room:topology, never `mesh` after it), and the Janus room exists.
    for (const m of moves) m.length = 0;
    const acks = await Promise.all([d, e, f, g].map((u) => ok(u, 'room:join', { roomid: 'grows' })));
    for (const u of users.slice(0, 7)) await flush(u);
    const members = [a, b, c, d, e, f, g];
    const told = [...members.slice(0, 3).map(() => undefined), ...acks.map(topologyOf)];
    for (const [i, m] of members.entries()) {
      const last = moves[i]!.at(-1)?.topology ?? told[i];
      assert.equal(last, 'sfu', `member ${i}: its last word is sfu (ack ${told[i]}, events ${JSON.stringify(moves[i])})`);
      assert.ok(moves[i]!.length <= 1, `member ${i}: told once`);
    }
    assert.equal(topologyOf(await ok(h, 'room:join', { roomid: 'grows' })), 'sfu');
    assert.equal((await roomInJanus(janus, 'grows')).exists, true);
    await refused(a, 'sfu:subscribe', {}, 'peer-not-found');

    // Moving back and forth within the Janus room's lingering: the new one is not torn down by the old timer.
    for (const u of [h, g, f, e, d, c]) await ok(u, 'room:leave', {});
    await flush(a);
    assert.equal(moves[0]!.at(-1)?.topology, 'mesh');
    for (const u of [d, e, f]) await ok(u, 'room:join', { roomid: 'grows' });
    await flush(a);
    assert.equal(moves[0]!.at(-1)?.topology, 'sfu');
    await sleep(SFU_LINGER_MS + 1000);
    assert.equal((await roomInJanus(janus, 'grows')).exists, true, 'the Janus room of the second move lives on');
    await refused(a, 'sfu:subscribe', {}, 'peer-not-found');
    for (const u of users) await send(u, 'room:leave', {});
    await eventually('the Janus room destroyed when the room empties', async () => !(await roomInJanus(janus, 'grows')).exists);

    // Asked-for mesh and sfu rooms keep their topology whatever their size.
    for (const m of moves) m.length = 0;
    await ok(a, 'room:open', { roomid: 'stays-mesh', topology: 'mesh' });
    for (const u of [b, c, d, e, f]) assert.equal(topologyOf(await ok(u, 'room:join', { roomid: 'stays-mesh' })), 'mesh');
    for (const u of users) await send(u, 'room:leave', {});
    await ok(a, 'room:open', { roomid: 'stays-sfu', topology: 'sfu' });
    await ok(b, 'room:join', { roomid: 'stays-sfu' });
    await ok(c, 'room:join', { roomid: 'stays-sfu' });
    await ok(c, 'room:leave', {});
    for (const u of users) await flush(u);
    assert.deepEqual(moves, users.map(() => []), 'no room:topology for mesh or sfu rooms');
    assert.equal((await roomInJanus(janus, 'stays-sfu')).exists, true);
    for (const u of users) u.disconnect();
  });

  it('opens the Janus room on demand (secrets never in an ack), caps it at sfuRoomSize, refuses publish without the permission, destroys it when the room empties', async () => {
    const server = await startServer({ ...janusOptions(), sfuRoomSize: 2, tokenSecret: SECRET });
    const token = (userid: string, permissions?: ('open' | 'publish' | 'data')[]) =>
      mintRoomToken({ secret: SECRET, userid, room: '*', ttlSeconds: 600, ...(permissions ? { permissions } : {}) });
    const host = await connect(server, { auth: { token: await token('host') } });
    const viewer = await connect(server, { auth: { token: await token('viewer', ['data']) } });
    const third = await connect(server, { auth: { token: await token('third') } });

    const joined = (await ok(host, 'room:open', { roomid: 'capped', topology: 'sfu', maxParticipants: 10 })) as unknown as RoomJoinedPayload;
    assert.equal(joined.topology, 'sfu');
    assert.equal(joined.maxParticipants, 2);
    const text = JSON.stringify(joined);
    for (const secret of [janus.apiSecret, janus.adminKey]) assert.ok(!text.includes(secret), 'a Janus secret in the ack');
    assert.deepEqual(await roomInJanus(janus, 'capped'), { exists: true, listed: true });

    const viewerJoined = (await ok(viewer, 'room:join', { roomid: 'capped' })) as unknown as RoomJoinedPayload;
    assert.equal(viewerJoined.topology, 'sfu');
    await refused(third, 'room:join', { roomid: 'capped' }, 'room-full');
    await refused(viewer, 'sfu:publish', { jsep: { type: 'offer', sdp: 'v=0\r\n' } }, 'forbidden');
    // Nobody publishes yet: nothing to subscribe to, no layer to pick.
    await refused(viewer, 'sfu:subscribe', {}, 'peer-not-found');
    await refused(viewer, 'sfu:layer', { userid: 'host', streamid: 'cam', layer: 'low' }, 'peer-not-found');
    await refused(viewer, 'sfu:layer', { userid: 'host', streamid: 'cam', layer: 'lowest' }, 'invalid-request');

    await ok(viewer, 'room:leave', {});
    assert.deepEqual(await roomInJanus(janus, 'capped'), { exists: true, listed: true });
    await ok(host, 'room:leave', {});
    await eventually('the Janus room destroyed', async () => !(await roomInJanus(janus, 'capped')).exists);
    assert.deepEqual(await roomInJanus(janus, 'capped'), { exists: false, listed: false });
  });

  describe('media (Chromium pages, socket.io to our server only)', () => {
    let browser: Browser;
    let http: Server;
    let origin: string;
    before(async () => {
      // The page and socket.io's browser client, from a loopback origin our server allows.
      const ioClient = readFileSync(join(ROOT, 'node_modules/socket.io-client/dist/socket.io.min.js'));
      http = createServer((req, res) => {
        if (req.url === '/socket.io.min.js') {
          res.setHeader('content-type', 'text/javascript');
          return res.end(ioClient);
        }
        res.setHeader('content-type', 'text/html');
        res.end('<!doctype html><title>sfu</title><script src="/socket.io.min.js"></script>');
      });
      await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
      origin = `http://127.0.0.1:${(http.address() as { port: number }).port}/`;
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
      if (http) await new Promise((r) => http.close(r));
    });

    /**
     * A page that joins `roomid` as an sfu room, publishes its fake camera
     * and subscribes to every other publisher, all through our server's sfu:* requests.
     */
    async function member(serverUrl: string, roomid: string, userid: string): Promise<Page> {
      const page = await (await browser.newContext()).newPage();
      await page.goto(origin);
      await page.evaluate(
        async ({ serverUrl, roomid, userid }) => {
          type Ack = { ok: boolean; error?: { code: string; message: string }; [k: string]: unknown };
          type Jsep = { type: 'offer' | 'answer'; sdp: string };
          const w = window as unknown as Record<string, unknown> & { io: (url: string, o: unknown) => any };
          const socket = w.io(serverUrl, { auth: { userid }, transports: ['websocket'], reconnection: false });
          w.socket = socket;
          const ask = (event: string, payload: unknown) => new Promise<Ack>((resolve) => socket.emit(event, payload, resolve));
          const must = async (event: string, payload: unknown) => {
            const r = await ask(event, payload);
            if (!r.ok) throw new Error(`${event}: ${r.error!.code} ${r.error!.message}`);
            return r;
          };
          await new Promise((resolve, reject) => {
            socket.once('connect', resolve);
            socket.once('connect_error', reject);
          });
          const joined = await must('room:open-or-join', { roomid, topology: 'sfu' });
          if (joined.topology !== 'sfu') throw new Error(`topology ${String(joined.topology)}`);

          // Candidates wait until Janus has the connection's SDP.
          const pcs = { publisher: new RTCPeerConnection(), subscriber: new RTCPeerConnection() };
          w.sub = pcs.subscriber;
          w.streams = [];
          for (const target of ['publisher', 'subscriber'] as const) {
            const held: unknown[] = [];
            let open = false;
            const send = (candidate: unknown) => void ask('sfu:trickle', { target, candidate });
            pcs[target].onicecandidate = (e) => {
              const c = e.candidate ? e.candidate.toJSON() : null;
              if (open) send(c);
              else held.push(c);
            };
            w[`open_${target}`] = () => {
              open = true;
              for (const c of held.splice(0)) send(c);
            };
          }
          socket.on('sfu:trickle', (m: { target: 'publisher' | 'subscriber'; candidate: RTCIceCandidateInit | null }) => {
            if (m.candidate) void pcs[m.target].addIceCandidate(m.candidate);
          });
          // Subscriber negotiations one at a time: our sfu:subscribe, Janus' own renegotiations.
          let chain: Promise<unknown> = Promise.resolve();
          const answer = async (offer: Jsep, streams: unknown) => {
            w.streams = streams;
            await pcs.subscriber.setRemoteDescription(offer);
            await pcs.subscriber.setLocalDescription();
            await must('sfu:start', { jsep: { type: 'answer', sdp: pcs.subscriber.localDescription!.sdp } });
            (w.open_subscriber as () => void)();
          };
          const subscribe = () =>
            (chain = chain.then(async () => {
              const r = await ask('sfu:subscribe', {});
              if (!r.ok) {
                if (r.error!.code !== 'peer-not-found') w.subscribeError = r.error;
                return;
              }
              if (r.jsep) await answer(r.jsep as Jsep, r.streams);
            }));
          socket.on('sfu:feeds', (m: { added: string[] }) => {
            if (m.added.length) void subscribe();
          });
          socket.on('sfu:offer', (m: { jsep: Jsep; streams: unknown }) => {
            chain = chain.then(() => answer(m.jsep, m.streams));
          });

          const camera = await navigator.mediaDevices.getUserMedia({ video: true });
          w.camera = camera.id;
          for (const track of camera.getTracks()) pcs.publisher.addTrack(track, camera);
          await pcs.publisher.setLocalDescription();
          const published = await must('sfu:publish', { jsep: { type: 'offer', sdp: pcs.publisher.localDescription!.sdp } });
          await pcs.publisher.setRemoteDescription(published.jsep as Jsep);
          (w.open_publisher as () => void)();
          await subscribe();
        },
        { serverUrl, roomid, userid },
      );
      return page;
    }

    /** userid -> video frames decoded from that member on the page's subscriber connection. */
    async function framesByUser(page: Page): Promise<Map<string, number>> {
      const entries = await page.evaluate(async () => {
        const w = window as unknown as { sub: RTCPeerConnection; streams: Array<{ userid: string; mid: string }> };
        const who = new Map(w.streams.map((s) => [s.mid, s.userid]));
        const out: Array<[string, number]> = [];
        (await w.sub.getStats()).forEach((s: { type: string; kind?: string; mid?: string; framesDecoded?: number }) => {
          const userid = s.mid !== undefined ? who.get(s.mid) : undefined;
          if (s.type === 'inbound-rtp' && s.kind === 'video' && userid) out.push([userid, s.framesDecoded ?? 0]);
        });
        return out;
      });
      return new Map(entries);
    }

    /** Resolves once the page decodes video from each of `userids`, and keeps decoding more. */
    async function expectFramesFrom(page: Page, userids: string[], timeoutMs = 45000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      let first = new Map<string, number>();
      while (!userids.every((u) => (first.get(u) ?? 0) > 0)) {
        if (Date.now() > deadline) {
          const state = await page.evaluate(() => {
            const w = window as unknown as { streams: unknown; subscribeError?: unknown };
            return JSON.stringify({ streams: w.streams, subscribeError: w.subscribeError });
          });
          assert.fail(`decoded ${JSON.stringify([...first])}, wanted frames from ${userids.join(', ')}; page state ${state}`);
        }
        await sleep(250);
        first = await framesByUser(page);
      }
      for (;;) {
        const now = await framesByUser(page);
        if (userids.every((u) => (now.get(u) ?? 0) > first.get(u)!)) return;
        if (Date.now() > deadline) assert.fail(`stopped decoding: ${JSON.stringify([...now])}`);
        await sleep(250);
      }
    }

    it('three members publish and subscribe through Janus; each decodes the two others; the Janus room goes with the last member', async () => {
      const server = await startServer(janusOptions());
      const names = ['alice', 'bob', 'carol'];
      const pages: Page[] = [];
      for (const name of names) pages.push(await member(server.url!, 'media', name));
      for (const [i, page] of pages.entries()) await expectFramesFrom(page, names.filter((_, j) => j !== i));
      for (const page of pages) assert.equal(await page.evaluate(() => (window as unknown as { subscribeError?: unknown }).subscribeError), undefined);
      // Each m-line names its publisher's MediaStream (the msid of the publisher's offer), so a page can tell a camera from a screen.
      const cameras = new Map<string, string>();
      for (const [i, page] of pages.entries()) cameras.set(names[i]!, await page.evaluate(() => (window as unknown as { camera: string }).camera));
      for (const page of pages) {
        const streams = await page.evaluate(() => (window as unknown as { streams: Array<{ userid: string; streamid?: string }> }).streams);
        assert.equal(streams.length, 2);
        for (const s of streams) assert.equal(s.streamid, cameras.get(s.userid), `the stream id of ${s.userid}'s camera`);
      }

      for (const page of pages) {
        await page.evaluate(() => new Promise((r) => (window as unknown as { socket: { emit(e: string, p: unknown, a: unknown): void } }).socket.emit('room:leave', {}, r)));
      }
      await eventually('the Janus room destroyed', async () => !(await roomInJanus(janus, 'media')).exists);
      for (const page of pages) await page.context().close();
    });

    it('a member that disconnects is released in Janus, and the last one out destroys the room', async () => {
      const server = await startServer(janusOptions());
      // The watcher is in the room first, so that it hears dora's feed announced: only a member whose media
      // reached Janus (webrtcup) is announced, and only an announced one is announced gone (a page closed
      // before that, as a loaded machine allowed, is released without a word).
      const watcher = await connect(server, { auth: { userid: 'watcher' } });
      await ok(watcher, 'room:open-or-join', { roomid: 'gone', topology: 'sfu' });
      type Feeds = { added: string[]; removed: string[] };
      const events = watcher as unknown as { on(e: 'sfu:feeds', l: (f: Feeds) => void): void; off(e: 'sfu:feeds', l: (f: Feeds) => void): void };
      const feeds = (which: keyof Feeds, what: string) =>
        new Promise<Feeds>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no sfu:feeds ${what} dora within 10 s`)), 10000);
          const on = (f: Feeds) => {
            if (!f[which].includes('dora')) return;
            clearTimeout(timer);
            events.off('sfu:feeds', on);
            resolve(f);
          };
          events.on('sfu:feeds', on);
        });
      const added = feeds('added', 'adding');
      const page = await member(server.url!, 'gone', 'dora');
      await added;
      const left = feeds('removed', 'removing');
      await page.context().close();
      assert.deepEqual(await left, { added: [], removed: ['dora'] });
      watcher.disconnect();
      await eventually('the Janus room destroyed', async () => !(await roomInJanus(janus, 'gone')).exists);
    });
  });
});
