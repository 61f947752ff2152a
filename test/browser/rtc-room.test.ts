import { expect, oneEvent } from '@open-wc/testing';
import { sendMouse } from '@web/test-runner-commands';
import {
  RtcRoom,
  type MediaCapture,
  type PeerLeaveEvent,
  type RoomErrorEvent,
  type RoomMessageEvent,
  type StreamEvent,
  type StreamMuteEvent,
} from '../../dist/index.js';
import type { SignalData } from '../../dist/protocol.js';
import { allEnded, countingConnections, expectFrames, record, sleep, waitFor } from './helpers.js';
import {
  countDescriptions,
  createUser,
  delaySignals,
  expectDecodingFrom,
  expectFullMesh,
  expectVideoFrom,
  recordSignals,
  remoteStreamsFrom,
  removeAllUsers,
  SMALL_VIDEO,
  uniqueRoom,
  type User,
} from './room-helpers.js';

describe('<rtc-room>', function () {
  this.timeout(60000);
  afterEach(removeAllUsers);

  it('is registered', () => {
    expect(customElements.get('rtc-room')).to.equal(RtcRoom);
  });

  it('two users see each other: remote `stream` events and decoded frames both ways', async () => {
    const roomid = uniqueRoom();
    const a = await createUser(roomid, 'a');
    expect(a.room.isInitiator).to.equal(true);
    expect(a.room.state).to.equal('joined');
    const streams = record<StreamEvent>(a.room, 'stream');
    const b = await createUser(roomid, 'b');
    expect(b.room.isInitiator).to.equal(false);
    await expectFullMesh([a, b]);
    const remote = streams.events.find((e) => e.detail.type === 'remote');
    streams.stop();
    expect(remote, 'a got a remote stream event').to.exist;
    expect(remote!.detail).to.include({ type: 'remote', userid: b.userid, kind: 'camera', streamid: b.capture!.stream!.id });
    expect(remote!.cancelable).to.equal(true);
    expect(remote!.detail.stream.getAudioTracks()).to.have.length(1);
    expect(a.room.getAttribute('state')).to.equal('joined');
    expect([...a.room.peers.keys()]).to.deep.equal([b.userid]);
    await expectDecodingFrom(a, b);
    await expectDecodingFrom(b, a);
  });

  it('local stream events from nested captures bubble through the room', async () => {
    const roomid = uniqueRoom();
    const a = await createUser(roomid, 'a', { capture: null, join: false });
    const cap = document.createElement('media-capture');
    cap.setAttribute('video', '');
    a.room.append(cap);
    const ev = oneEvent(a.room, 'stream') as Promise<StreamEvent>;
    await cap.start();
    expect((await ev).detail.type).to.equal('local');
    expect(a.room.localStreams).to.deep.equal([cap.stream]);
    cap.stop();
  });

  it('three users: every pair decodes frames', async () => {
    const roomid = uniqueRoom();
    const group = [await createUser(roomid, 'a'), await createUser(roomid, 'b'), await createUser(roomid, 'c')];
    await expectFullMesh(group);
  });

  it('four users joining at once: every pair decodes frames', async () => {
    const roomid = uniqueRoom();
    const group = await Promise.all(['a', 'b', 'c', 'd'].map((n) => createUser(roomid, n)));
    expect(group.filter((u) => u.room.isInitiator)).to.have.length(1);
    await expectFullMesh(group, 30000);
    for (const u of group) expect(u.room.querySelectorAll('remote-stream')).to.have.length(3);
  });

  for (const delay of [0, 30, 150]) {
    it(`glare: both sides add streams in the same tick (signaling delay ${delay} ms)`, async () => {
      const roomid = uniqueRoom('glare');
      const a = await createUser(roomid, 'a', { capture: null });
      const b = await createUser(roomid, 'b', { capture: null });
      await waitFor(() => a.room.peers.get(b.userid)?.connection.connectionState === 'connected', 'a-b connected (data only)');
      delaySignals(a, delay);
      delaySignals(b, delay);
      const [sa, sb] = await Promise.all([
        navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240, frameRate: 15 } }),
        navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240, frameRate: 15 } }),
      ]);
      a.room.addStream(sa);
      b.room.addStream(sb);
      try {
        await expectFullMesh([a, b]);
      } finally {
        for (const s of [sa, sb]) s.getTracks().forEach((t) => t.stop());
      }
    });
  }

  it('glare with different media (camera and microphone against a camera only): a refused offer rebuilds the pair and both see video', async () => {
    const roomid = uniqueRoom('glare-kinds');
    const a = await createUser(roomid, 'a', { capture: null });
    const b = await createUser(roomid, 'b', { capture: null });
    await waitFor(() => a.room.peers.get(b.userid)?.connection.connectionState === 'connected', 'a-b connected (data only)');
    // a is the polite side: it rolls its offer (audio mid 1, video mid 2) back for b's (video mid 1), whose RTP header
    // extension ids differ; Chromium 148+ refuses that offer, and without a rebuild neither side would ever negotiate again.
    expect(a.userid < b.userid).to.equal(true);
    const refused: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      refused.push(args.map(String).join(' '));
      warn.apply(console, args);
    };
    const [sa, sb] = await Promise.all([
      navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240, frameRate: 15 } }),
      navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240, frameRate: 15 } }),
    ]);
    try {
      a.room.addStream(sa);
      b.room.addStream(sb);
      await expectFullMesh([a, b], 20000);
      const audio = a.room.peers.get(b.userid)!.connection.getSenders().find((s) => s.track?.kind === 'audio');
      expect(audio?.track, "a sends its microphone to b").to.equal(sa.getAudioTracks()[0]);
    } finally {
      console.warn = warn;
      for (const s of [sa, sb]) s.getTracks().forEach((t) => t.stop());
    }
    // A browser that accepts the crossing offer needs no rebuild: then the test only shows that such a glare ends with media both ways.
    if (!refused.some((m) => m.includes('rebuilding the connection') && m.includes('description refused'))) {
      console.log(`glare-kinds: no offer was refused here (${navigator.userAgent})`);
    }
  });

  it('each offer and answer carries its first ICE candidates; only later ones trickle, none twice', async () => {
    const roomid = uniqueRoom('gather');
    const a = await createUser(roomid, 'a', { join: false });
    const b = await createUser(roomid, 'b', { join: false });
    const sent = new Map<User, SignalData[]>();
    for (const u of [a, b]) {
      await waitFor(() => u.room.socket, `${u.userid} has its socket`);
      sent.set(u, recordSignals(u));
    }
    await a.room.openOrJoin();
    await b.room.openOrJoin();
    await expectFullMesh([a, b]);
    const key = (line: string) => line.replace(/^a=/, '').split(' ', 6).join(' ');
    for (const [u, signals] of sent) {
      const descriptions = signals.flatMap((s) => (s.description ? [s.description] : []));
      expect(descriptions.map((d) => d.type), `${u.userid}'s descriptions`).to.have.length.greaterThan(0);
      const inSdp = new Set<string>();
      for (const d of descriptions) {
        const lines = d.sdp.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
        expect(lines, `${u.userid}'s ${d.type} has candidates in its SDP`).to.have.length.greaterThan(0);
        for (const l of lines) inSdp.add(key(l));
      }
      for (const s of signals) if (s.candidate) expect(inSdp.has(key(s.candidate.candidate)), `${s.candidate.candidate} sent twice`).to.equal(false);
    }
  });

  it('a user who joins with no media and adds some later is seen by the others', async () => {
    const roomid = uniqueRoom();
    const a = await createUser(roomid, 'a');
    const b = await createUser(roomid, 'b', { capture: null });
    await expectVideoFrom(b, a);
    expect(remoteStreamsFrom(a, b.userid)).to.have.length(0);
    const cap = document.createElement('media-capture');
    for (const [k, v] of Object.entries(SMALL_VIDEO)) cap.setAttribute(k, v);
    b.room.append(cap);
    b.capture = cap;
    await cap.start();
    await expectVideoFrom(a, b);
  });

  it('camera and screen from one user arrive as two <remote-stream> elements with the right kind', async () => {
    const roomid = uniqueRoom();
    const a = await createUser(roomid, 'a');
    const b = await createUser(roomid, 'b');
    await expectFullMesh([a, b]);
    const screen = document.createElement('media-capture');
    screen.setAttribute('screen', '');
    screen.setAttribute('frame-rate', '5');
    a.room.append(screen);
    await screen.updateComplete;
    const started = oneEvent(screen, 'stream');
    const button = screen.shadowRoot!.querySelector('[part="start-button"]')!;
    const r = button.getBoundingClientRect();
    // getDisplayMedia needs a real user gesture.
    await sendMouse({ type: 'click', position: [Math.round(r.x + r.width / 2), Math.round(r.y + r.height / 2)] });
    await started;
    const screenEl = await waitFor(
      () => remoteStreamsFrom(b, a.userid).find((e) => e.kind === 'screen'),
      'b renders a screen stream from a',
    );
    await expectFrames(screenEl.mediaElement!, 2);
    const kinds = remoteStreamsFrom(b, a.userid).map((e) => e.kind).sort();
    expect(kinds).to.deep.equal(['camera', 'screen']);
    // Stopping the share removes it from the peer.
    screen.stop();
    await waitFor(() => remoteStreamsFrom(b, a.userid).length === 1, 'screen stream removed at b');
    expect(remoteStreamsFrom(b, a.userid)[0]!.kind).to.equal('camera');
  });

  it('mute propagates: stream-mute at the peer and a reflected attribute on its <remote-stream>', async () => {
    const roomid = uniqueRoom();
    const a = await createUser(roomid, 'a');
    const b = await createUser(roomid, 'b');
    await expectFullMesh([a, b]);
    const ev = oneEvent(b.room, 'stream-mute') as Promise<StreamMuteEvent>;
    a.capture!.setMuted('video', true);
    const { detail } = await ev;
    expect(detail).to.include({ userid: a.userid, streamid: a.capture!.stream!.id, kind: 'video', muted: true });
    const el = remoteStreamsFrom(b, a.userid)[0]!;
    await el.updateComplete;
    expect(el.hasAttribute('video-muted')).to.equal(true);
    const unmute = oneEvent(b.room, 'stream-mute') as Promise<StreamMuteEvent>;
    a.capture!.setMuted('video', false);
    expect((await unmute).detail.muted).to.equal(false);
  });

  it('switchDevice replaces the track with no renegotiation, and the peer keeps decoding', async () => {
    const roomid = uniqueRoom();
    const a = await createUser(roomid, 'a');
    const b = await createUser(roomid, 'b');
    await expectFullMesh([a, b]);
    const countsA = countDescriptions(a);
    const countsB = countDescriptions(b);
    const pc = a.room.peers.get(b.userid)!.connection;
    const sender = pc.getSenders().find((s) => s.track?.kind === 'video')!;
    const newTrack = await a.capture!.switchDevice('video', null);
    await waitFor(() => sender.track === newTrack, 'sender carries the new track');
    await expectDecodingFrom(b, a);
    await sleep(300);
    expect(countsA).to.deep.equal({ offers: 0, answers: 0 });
    expect(countsB).to.deep.equal({ offers: 0, answers: 0 });
  });

  it('leave() closes everything and the peer removes that user within a second', async () => {
    const roomid = uniqueRoom();
    const a = await createUser(roomid, 'a');
    const b = await createUser(roomid, 'b');
    await expectFullMesh([a, b]);
    const pc = a.room.peers.get(b.userid)!.connection;
    const left = oneEvent(b.room, 'peer-leave') as Promise<PeerLeaveEvent>;
    const t0 = performance.now();
    await a.room.leave();
    const { detail } = await left;
    expect(performance.now() - t0).to.be.below(1000);
    expect(detail).to.include({ userid: a.userid, reason: 'leave' });
    expect(remoteStreamsFrom(b, a.userid)).to.have.length(0);
    expect(remoteStreamsFrom(a, b.userid)).to.have.length(0);
    expect(pc.connectionState).to.equal('closed');
    expect(a.room.state).to.equal('left');
    expect(a.room.peers.size).to.equal(0);
    // The capture is the page's: leaving does not stop it.
    expect(a.capture!.stream!.getVideoTracks()[0]!.readyState).to.equal('live');
  });

  it('removing the element leaves the room and the peer cleans up', async () => {
    const roomid = uniqueRoom();
    const a = await createUser(roomid, 'a');
    const b = await createUser(roomid, 'b');
    await expectFullMesh([a, b]);
    const pc = a.room.peers.get(b.userid)!.connection;
    const capturedStream = a.capture!.stream!;
    const left = oneEvent(b.room, 'peer-leave');
    a.room.remove();
    await left;
    expect(pc.connectionState).to.equal('closed');
    expect(remoteStreamsFrom(b, a.userid)).to.have.length(0);
    // The nested capture left the page with the room: its tracks stop.
    await waitFor(() => allEnded(capturedStream), 'nested capture stopped');
  });

  it('30 join/leave cycles (graceful, removal, abrupt) leave no RTCPeerConnection open and no track live', async function () {
    this.timeout(180000);
    const remoteTracks: MediaStreamTrack[] = [];
    await countingConnections(async (created) => {
      const roomid = uniqueRoom('cycles');
      const a = await createUser(roomid, 'a');
      const onStream = (e: StreamEvent) => {
        if (e.detail.type === 'remote') remoteTracks.push(...e.detail.stream.getTracks());
      };
      a.room.addEventListener('stream', onStream);
      for (let i = 0; i < 30; i++) {
        const b = await createUser(roomid, `b${i}`, { capture: i % 3 === 0 ? SMALL_VIDEO : null });
        if (i % 3 === 0) await expectVideoFrom(a, b);
        else await waitFor(() => a.room.peers.get(b.userid)?.connection.connectionState === 'connected', 'connected');
        if (i % 3 === 0) {
          await b.room.leave(); // graceful
        } else if (i % 3 === 1) {
          // abrupt: the socket dies without a word, as when a laptop lid closes
          const socket = b.room.socket!;
          socket.io.reconnection(false);
          (socket.io as unknown as { engine: { close(): void } }).engine.close();
        } // else: the element is simply removed
        b.capture?.stop();
        b.room.remove();
        await waitFor(() => a.room.peers.size === 0, `a sees b${i} leave`, 12000);
      }
      a.room.removeEventListener('stream', onStream);
      await a.room.leave();
      await sleep(200);
      expect(created.length).to.be.at.least(60);
      const open = created.filter((pc) => pc.connectionState !== 'closed');
      expect(open, 'peer connections still open').to.have.length(0);
      expect(remoteTracks.length).to.be.at.least(10);
      await waitFor(() => remoteTracks.every((t) => t.readyState === 'ended'), 'every remote track ended');
      const local = a.capture!.stream!;
      a.capture!.stop();
      expect(allEnded(local)).to.equal(true);
    });
  });

  it('emit() reaches the room, one user when addressed, and never another room', async () => {
    const roomid = uniqueRoom();
    const a = await createUser(roomid, 'a', { capture: null });
    const b = await createUser(roomid, 'b', { capture: null });
    const c = await createUser(roomid, 'c', { capture: null });
    const stranger = await createUser(uniqueRoom('other'), 'x', { capture: null });
    const atB = record<RoomMessageEvent>(b.room, 'room-message');
    const atC = record<RoomMessageEvent>(c.room, 'room-message');
    const atX = record<RoomMessageEvent>(stranger.room, 'room-message');
    await a.room.emit('howdy', 'hello');
    await a.room.emit('direct', { n: 1 }, c.userid);
    await waitFor(() => atB.events.length >= 1 && atC.events.length >= 2, 'messages delivered');
    await sleep(200);
    expect(atB.events.map((e) => e.detail)).to.deep.equal([{ userid: a.userid, data: 'hello', via: 'socket', event: 'howdy' }]);
    expect(atC.events.map((e) => e.detail.event)).to.deep.equal(['howdy', 'direct']);
    expect(atC.events[1]!.detail.data).to.deep.equal({ n: 1 });
    expect(atX.events).to.have.length(0);
    // Addressing a user of another room fails and delivers nothing.
    const err = await a.room.emit('sneak', 1, stranger.userid).then(
      () => null,
      (e: { code: string }) => e,
    );
    expect(err?.code).to.equal('peer-not-found');
    await sleep(200);
    expect(atX.events).to.have.length(0);
    for (const r of [atB, atC, atX]) r.stop();
  });

  it('send() over data channels: to everyone and to one user; strings, JSON, binary and large messages', async () => {
    const roomid = uniqueRoom();
    const a = await createUser(roomid, 'a', { capture: null });
    const b = await createUser(roomid, 'b', { capture: null });
    const c = await createUser(roomid, 'c', { capture: null });
    await waitFor(
      () => [...a.room.peers.values()].every((p) => p.connection.connectionState === 'connected') && a.room.peers.size === 2,
      'a connected to b and c',
    );
    const atB = record<RoomMessageEvent>(b.room, 'room-message');
    const atC = record<RoomMessageEvent>(c.room, 'room-message');
    const big = 'x'.repeat(300 * 1024);
    const bytes = new Uint8Array(70000).map((_, i) => i % 251);
    a.room.send('hi all');
    a.room.send({ to: 'b only', list: [1, 2, 3] }, b.userid);
    a.room.send(bytes.buffer);
    a.room.send(big);
    await waitFor(() => atB.events.length >= 4 && atC.events.length >= 3, 'data messages delivered', 15000);
    const dataB = atB.events.map((e) => e.detail.data);
    expect(atB.events.every((e) => e.detail.via === 'data' && e.detail.userid === a.userid)).to.equal(true);
    expect(dataB[0]).to.equal('hi all');
    expect(dataB[1]).to.deep.equal({ to: 'b only', list: [1, 2, 3] });
    expect(new Uint8Array(dataB[2] as ArrayBuffer)).to.deep.equal(bytes);
    expect(dataB[3]).to.equal(big);
    expect(atC.events.map((e) => typeof e.detail.data)).to.deep.equal(['string', 'object', 'string']);
    expect(() => a.room.send('x', 'nobody')).to.throw(/nobody/);
    atB.stop();
    atC.stop();
  });

  describe('room-error', () => {
    it('room-full when the room holds max-participants', async () => {
      const roomid = uniqueRoom();
      await createUser(roomid, 'a', { capture: null, attrs: { 'max-participants': '2' } });
      await createUser(roomid, 'b', { capture: null });
      const c = await createUser(roomid, 'c', { capture: null, join: false });
      const ev = oneEvent(c.room, 'room-error') as Promise<RoomErrorEvent>;
      const err = await c.room.join().then(
        () => null,
        (e: { code: string }) => e,
      );
      expect(err?.code).to.equal('room-full');
      expect((await ev).detail.code).to.equal('room-full');
      expect(c.room.state).to.equal('error');
      await c.room.updateComplete;
      expect(c.room.shadowRoot!.querySelector('[part="status"]')!.textContent).to.match(/full/i);
    });

    it('invalid-password for a wrong password, and the right one gets in', async () => {
      const roomid = uniqueRoom();
      await createUser(roomid, 'a', { capture: null, attrs: { password: 's3cret' } });
      const b = await createUser(roomid, 'b', { capture: null, join: false, attrs: { password: 'wrong' } });
      const ev = oneEvent(b.room, 'room-error') as Promise<RoomErrorEvent>;
      await b.room.join().catch(() => {});
      expect((await ev).detail.code).to.equal('invalid-password');
      b.room.password = 's3cret';
      await b.room.join();
      expect(b.room.state).to.equal('joined');
    });

    it('a join answered at once shows no "Connecting…" line: nothing flashes, the tiles do not move', async () => {
      const roomid = uniqueRoom();
      const a = await createUser(roomid, 'a', { capture: null, join: false });
      const shown: string[] = [];
      const seen = new MutationObserver(() => {
        const line = a.room.shadowRoot!.querySelector('[part="status"]');
        if (line) shown.push(line.textContent ?? '');
      });
      seen.observe(a.room.shadowRoot!, { childList: true, subtree: true, characterData: true });
      try {
        await a.room.openOrJoin();
        expect(a.room.state).to.equal('joined');
        // Past the line's delay: a timer left running would show it now.
        await sleep(800);
        expect(shown).to.deep.equal([]);
        expect(a.room.shadowRoot!.querySelector('[part="status"]')).to.equal(null);
      } finally {
        seen.disconnect();
      }
    });

    it('"Reconnecting…" shows once the connection has been lost for half a second, and goes when it is back', async () => {
      const roomid = uniqueRoom();
      // The first reconnect attempt waits 2.1-3.9 s (3 s ± 30 %): the state outlasts the line's delay.
      const a = await createUser(roomid, 'a', { capture: null, attrs: { 'reconnect-delay': '3000', 'reconnect-delay-max': '3000' } });
      const line = () => a.room.shadowRoot!.querySelector('[part="status"]')?.textContent ?? '';
      const socket = a.room.socket!;
      const offline = new Promise<void>((r) => socket.once('disconnect', () => r()));
      (socket.io as unknown as { engine: { close(): void } }).engine.close();
      await offline;
      expect(a.room.state).to.equal('reconnecting');
      await sleep(200);
      expect(line(), 'not yet: the delay has not passed').to.equal('');
      await waitFor(() => line(), 'the status line', 1500);
      expect(a.room.state).to.equal('reconnecting');
      expect(line()).to.equal('Connection lost: reconnecting…');
      await waitFor(() => a.room.state === 'joined', 'back in the room', 15000);
      await waitFor(() => !a.room.shadowRoot!.querySelector('[part="status"]'), 'the line gone', 2000);
    });

    it('server-unreachable when the signaling server cannot be reached', async () => {
      const roomid = uniqueRoom();
      const a = await createUser(roomid, 'a', {
        capture: null,
        join: false,
        attrs: { 'socket-url': 'http://127.0.0.1:9' },
      });
      const ev = oneEvent(a.room, 'room-error') as Promise<RoomErrorEvent>;
      const err = await a.room.openOrJoin().then(
        () => null,
        (e: { code: string }) => e,
      );
      expect(err?.code).to.equal('server-unreachable');
      const { detail } = await ev;
      expect(detail.code).to.equal('server-unreachable');
      expect(detail.message).to.contain('127.0.0.1:9');
      expect(a.room.state).to.equal('error');
    });

    it('room-not-found for join() of a room nobody opened; room-exists for open() of an open one', async () => {
      const roomid = uniqueRoom();
      const a = await createUser(roomid, 'a', { capture: null, join: false });
      expect(await a.room.join().catch((e: { code: string }) => e.code)).to.equal('room-not-found');
      await a.room.open();
      const b = await createUser(roomid, 'b', { capture: null, join: false });
      expect(await b.room.open().catch((e: { code: string }) => e.code)).to.equal('room-exists');
      expect(await b.room.checkPresence()).to.deep.equal({ exists: true, isFull: false, isPasswordProtected: false });
    });

    it('an invalid ice-transport-policy is reported', async () => {
      const a = await createUser(uniqueRoom(), 'a', { capture: null, join: false, attrs: { 'ice-transport-policy': 'sideways' } });
      const ev = oneEvent(a.room, 'room-error') as Promise<RoomErrorEvent>;
      await a.room.openOrJoin();
      const { detail } = await ev;
      expect(detail.code).to.equal('invalid-attribute');
      expect(detail.message).to.contain('ice-transport-policy');
    });

    it('an invalid extra attribute is reported, not thrown at the page', async () => {
      const a = await createUser(uniqueRoom(), 'a', { capture: null, join: false, attrs: { extra: '{not json' } });
      const ev = oneEvent(a.room, 'room-error') as Promise<RoomErrorEvent>;
      await a.room.openOrJoin().catch(() => {});
      expect((await ev).detail.message).to.contain('extra');
    });
  });

  it('extra reaches peers, and updates are announced', async () => {
    const roomid = uniqueRoom();
    const a = await createUser(roomid, 'a', { attrs: { extra: '{"name":"Ada"}' } });
    const b = await createUser(roomid, 'b');
    await expectVideoFrom(b, a);
    expect(b.room.peers.get(a.userid)!.extra).to.deep.equal({ name: 'Ada' });
    const el = remoteStreamsFrom(b, a.userid)[0]!;
    expect(el.extra).to.deep.equal({ name: 'Ada' });
    const updated = oneEvent(b.room, 'peer-update');
    a.room.extra = { name: 'Ada L.' };
    await updated;
    expect(b.room.peers.get(a.userid)!.extra).to.deep.equal({ name: 'Ada L.' });
  });

  it('a forced socket reconnect keeps media flowing, rejoins, and duplicates nothing', async () => {
    const roomid = uniqueRoom();
    const a = await createUser(roomid, 'a');
    const b = await createUser(roomid, 'b');
    await expectFullMesh([a, b]);
    const pcA = a.room.peers.get(b.userid)!.connection;
    const pcB = b.room.peers.get(a.userid)!.connection;
    const states = record(a.room, 'room-state');
    const leaves = record(b.room, 'peer-leave');
    const rejoined = oneEvent(a.room, 'room-joined');
    (a.room.socket!.io as unknown as { engine: { close(): void } }).engine.close();
    await rejoined;
    expect(states.events.map((e) => (e as unknown as { detail: { state: string } }).detail.state)).to.include('reconnecting');
    expect(a.room.state).to.equal('joined');
    await expectDecodingFrom(b, a);
    await expectDecodingFrom(a, b);
    expect(a.room.peers.get(b.userid)!.connection).to.equal(pcA);
    expect(b.room.peers.get(a.userid)!.connection).to.equal(pcB);
    expect(remoteStreamsFrom(a, b.userid)).to.have.length(1);
    expect(remoteStreamsFrom(b, a.userid)).to.have.length(1);
    expect(leaves.events).to.have.length(0);
    // A change after the blip still negotiates.
    const mute = oneEvent(b.room, 'stream-mute');
    a.capture!.setMuted('audio', true);
    await mute;
    states.stop();
    leaves.stop();
  });

  it('a capture referenced by id through `capture` is shared', async () => {
    const roomid = uniqueRoom();
    const cap = document.createElement('media-capture') as MediaCapture;
    cap.id = `cap-${roomid}`;
    for (const [k, v] of Object.entries(SMALL_VIDEO)) cap.setAttribute(k, v);
    document.body.append(cap);
    try {
      await cap.start();
      const a = await createUser(roomid, 'a', { capture: null, attrs: { capture: cap.id } });
      const b = await createUser(roomid, 'b');
      await expectVideoFrom(b, a);
      expect(a.room.localStreams).to.deep.equal([cap.stream]);
    } finally {
      cap.remove();
    }
  });

  it('preventDefault() on a remote `stream` event stops the room rendering it; no-render renders nothing', async () => {
    const roomid = uniqueRoom();
    const a = await createUser(roomid, 'a');
    const b = await createUser(roomid, 'b', { join: false });
    const c = await createUser(roomid, 'c', { join: false, attrs: { 'no-render': '' } });
    let got: MediaStream | null = null;
    b.room.addEventListener('stream', (e) => {
      if (e.detail.type === 'remote') {
        e.preventDefault();
        got = e.detail.stream;
      }
    });
    const cGot = oneEvent(c.room, 'stream') as Promise<StreamEvent>;
    await b.room.join();
    await c.room.join();
    await waitFor(() => got, 'b got the stream');
    expect((await cGot).detail.mediaElement).to.equal(null);
    await sleep(300);
    expect(b.room.querySelectorAll('remote-stream')).to.have.length(0);
    expect(c.room.querySelectorAll('remote-stream')).to.have.length(0);
    const video = document.createElement('video');
    video.muted = true;
    video.srcObject = got;
    document.body.append(video);
    await video.play();
    await expectFrames(video, 2);
    video.remove();
  });
});

export type { User };

describe('<rtc-room> joining twice and switching rooms', function () {
  this.timeout(60000);
  afterEach(removeAllUsers);

  it('openOrJoin() while autojoin is joining, or once joined, returns the same join', async () => {
    const roomid = uniqueRoom('twice');
    const a = await createUser(roomid, 'a', { capture: null, join: false, attrs: { autojoin: '' } });
    const [first, second] = await Promise.all([a.room.openOrJoin(), a.room.openOrJoin()]);
    expect(second).to.deep.equal(first);
    const third = await a.room.openOrJoin();
    expect(third.roomid).to.equal(roomid);
    expect(a.room.state).to.equal('joined');
  });

  it('with autojoin, changing room-id moves the user to the new room', async () => {
    const one = uniqueRoom('one');
    const two = uniqueRoom('two');
    const a = await createUser(one, 'a', { capture: null, attrs: { autojoin: '' } });
    const b = await createUser(one, 'b', { capture: null });
    const c = await createUser(two, 'c', { capture: null });
    await waitFor(() => b.room.peers.has(a.userid), 'a and b together');
    const leftOne = oneEvent(b.room, 'peer-leave');
    const joinedTwo = oneEvent(c.room, 'peer-join');
    a.room.setAttribute('room-id', two);
    await leftOne;
    await joinedTwo;
    await waitFor(() => a.room.peers.has(c.userid), 'a sees c in the new room');
    expect([...a.room.peers.keys()]).to.deep.equal([c.userid]);
    expect(a.room.state).to.equal('joined');
  });
});
