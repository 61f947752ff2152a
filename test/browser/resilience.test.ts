import { expect, oneEvent } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import type {
  CaptureErrorEvent,
  DevicesChangeEvent,
  PeerStateEvent,
  RoomErrorEvent,
  StreamEndEvent,
  StreamMuteEvent,
  TrackChangeEvent,
} from '../../dist/index.js';
import { record, sleep, waitFor } from './helpers.js';
import {
  countDescriptions,
  createUser,
  expectDecodingFrom,
  expectFullMesh,
  framesDecoded,
  meshPeer,
  remoteStreamsFrom,
  removeAllUsers,
  uniqueRoom,
  type User,
} from './room-helpers.js';

interface Started {
  url: string;
  port: number;
}
const signaling = (action: 'start' | 'kill' | 'restart' | 'stop', id = 'resilience') =>
  executeServerCommand<Started, { action: string; id: string }>('signaling', { action, id });

/** The connection objects every user holds, by pair. */
function connections(group: User[]): Map<string, RTCPeerConnection> {
  const out = new Map<string, RTCPeerConnection>();
  for (const a of group) for (const [userid, p] of a.room.peers) out.set(`${a.userid}->${userid}`, p.connection);
  return out;
}

/** framesDecoded on every pair, sampled now. */
async function sampleFrames(group: User[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const [pair, pc] of connections(group)) out.set(pair, await framesDecoded(pc));
  return out;
}

describe('resilience', function () {
  this.timeout(90000);
  afterEach(async () => {
    await removeAllUsers();
  });
  after(async () => {
    await signaling('stop');
  });

  for (const size of [2, 3]) {
    it(`signaling server killed (-9) and restarted after 2 s, ${size} users: media never stops, everyone rejoins within 5 s`, async () => {
      const { url } = (await signaling('start'))!;
      const roomid = uniqueRoom('restart');
      const group: User[] = [];
      for (let i = 0; i < size; i++) group.push(await createUser(roomid, `u${i}`, { attrs: { 'socket-url': url } }));
      await expectFullMesh(group);
      const before = connections(group);

      await signaling('kill');
      await waitFor(() => group.every((u) => u.room.state === 'reconnecting'), 'everyone sees the outage');
      // During the outage, media keeps flowing on every pair.
      const s0 = await sampleFrames(group);
      await sleep(2000);
      const s1 = await sampleFrames(group);
      for (const [pair, n] of s1) expect(n, `frames on ${pair} during the outage`).to.be.above(s0.get(pair)! + 5);

      const rejoined = group.map((u) => oneEvent(u.room, 'room-joined'));
      await signaling('restart');
      // Measured from when the new server process is listening.
      const restartedAt = performance.now();
      await Promise.all(rejoined);
      expect(performance.now() - restartedAt, 'rejoin time after the restart').to.be.below(5000);
      for (const u of group) expect(u.room.state).to.equal('joined');

      // Same connections, no duplicates.
      expect(connections(group)).to.deep.equal(before);
      for (const a of group) {
        expect(a.room.querySelectorAll('remote-stream'), `${a.userid} tiles`).to.have.length(size - 1);
        for (const b of group) if (a !== b) await expectDecodingFrom(a, b);
      }

      // A newcomer after the restart reaches everyone.
      const late = await createUser(roomid, 'late', { attrs: { 'socket-url': url } });
      await expectFullMesh([...group, late]);

      // A later change still negotiates: a mute reaches everyone.
      const mutes = [...group.slice(1), late].map((u) => oneEvent(u.room, 'stream-mute') as Promise<StreamMuteEvent>);
      group[0]!.capture!.setMuted('audio', true);
      for (const ev of await Promise.all(mutes)) expect(ev.detail).to.include({ userid: group[0]!.userid, kind: 'audio', muted: true });
    });
  }

  it('a socket closed under a user: what it said while offline is not lost, stale signals are not replayed', async () => {
    const roomid = uniqueRoom('blip');
    const a = await createUser(roomid, 'a');
    const b = await createUser(roomid, 'b');
    await expectFullMesh([a, b]);
    const socket = a.room.socket!;
    const offline = new Promise<void>((r) => socket.once('disconnect', () => r()));
    (socket.io as unknown as { engine: { close(): void } }).engine.close();
    await offline;
    // Said while offline: buffered by socket.io, dropped on reconnect, and re-announced after the rejoin.
    const mute = oneEvent(b.room, 'stream-mute') as Promise<StreamMuteEvent>;
    a.capture!.setMuted('video', true);
    expect((socket as unknown as { sendBuffer: unknown[] }).sendBuffer.length).to.be.above(0);
    const { detail } = await mute;
    expect(detail).to.include({ userid: a.userid, kind: 'video', muted: true });
    expect(a.room.state).to.equal('joined');
    await expectDecodingFrom(b, a);
  });

  it('a rejoin answered with internal-error (several nodes, Redis away) keeps the calls and asks again', async () => {
    const roomid = uniqueRoom('redis-blip');
    const a = await createUser(roomid, 'a');
    const b = await createUser(roomid, 'b');
    await expectFullMesh([a, b]);
    const pc = a.room.peers.get(b.userid)!.connection;
    // The server's answer to the next two rejoins, as a node whose Redis is away gives it.
    const socket = a.room.socket! as unknown as { emit: (...args: unknown[]) => unknown; flags: object };
    const emit = socket.emit.bind(socket);
    let refused = 0;
    socket.emit = (...args: unknown[]) => {
      if (args[0] === 'room:open-or-join' && refused < 2) {
        refused++;
        socket.flags = {}; // what emit() would have consumed (the request's timeout)
        const ack = args[2] as (err: Error | null, res: unknown) => void;
        setTimeout(() => ack(null, { ok: false, error: { code: 'internal-error', message: 'room state unavailable' } }), 10);
        return socket;
      }
      return emit(...args);
    };
    const errors = record<RoomErrorEvent>(a.room, 'room-error');
    const states = record<Event & { detail: { state: string } }>(a.room, 'room-state');
    const leaves = record(a.room, 'peer-leave');
    const rejoined = oneEvent(a.room, 'room-joined');
    (a.room.socket!.io as unknown as { engine: { close(): void } }).engine.close();
    await rejoined;
    expect(refused).to.equal(2);
    expect(errors.events.map((e) => e.detail.code)).to.deep.equal(['internal-error']);
    expect(states.events.map((e) => e.detail.state)).to.not.include.members(['error', 'left']);
    expect(leaves.events).to.have.length(0);
    expect(a.room.peers.get(b.userid)!.connection).to.equal(pc);
    await expectDecodingFrom(a, b);
    await expectDecodingFrom(b, a);
  });

  it('ICE failure: one restart attempt, then the pair is rebuilt, the page is told, and stale signals are dropped', async () => {
    const roomid = uniqueRoom('ice');
    const a = await createUser(roomid, 'a');
    const b = await createUser(roomid, 'b');
    await expectFullMesh([a, b]);
    const oldA = a.room.peers.get(b.userid)!.connection;
    const oldB = b.room.peers.get(a.userid)!.connection;
    const statesA = record<PeerStateEvent>(a.room, 'peer-state');
    const statesB = record<PeerStateEvent>(b.room, 'peer-state');
    const t0 = performance.now();
    // Kill the path: a's side of the pair goes away without a word.
    oldA.close();
    await waitFor(
      () => a.room.peers.get(b.userid)?.connection !== oldA && b.room.peers.get(a.userid)?.connection !== oldB,
      'both sides rebuilt the pair',
      20000,
    );
    await expectDecodingFrom(b, a, 10000);
    await expectDecodingFrom(a, b, 10000);
    const recovered = performance.now() - t0;
    expect(recovered, 'media back').to.be.below(15000);
    const all = [...statesA.events, ...statesB.events].map((e) => e.detail.state);
    expect(all, 'the page is told').to.include('rebuilding');
    expect(all.filter((s) => s === 'restarting').length, 'ICE restarts for one failure').to.be.at.most(1);
    expect(remoteStreamsFrom(a, b.userid)).to.have.length(1);
    expect(remoteStreamsFrom(b, a.userid)).to.have.length(1);
    expect(oldB.connectionState).to.equal('closed');
    statesA.stop();
    statesB.stop();

    // A signal from the replaced connection (generation 0) arrives late: it is dropped.
    const current = b.room.peers.get(a.userid)!.connection;
    const sdpBefore = current.remoteDescription?.sdp;
    const bogus = { type: 'offer' as const, sdp: oldA.localDescription?.sdp ?? 'v=0\r\n' };
    await new Promise<void>((resolve) =>
      a.room.socket!.emit('signal', { to: b.userid, data: { gen: 0, description: bogus } }, () => resolve()),
    );
    await sleep(300);
    expect(b.room.peers.get(a.userid)!.connection).to.equal(current);
    expect(current.remoteDescription?.sdp).to.equal(sdpBefore);
    expect(current.signalingState).to.equal('stable');
    await expectDecodingFrom(b, a);
  });

  it('a brief `disconnected` that recovers inside the grace period triggers no ICE restart', async () => {
    const roomid = uniqueRoom('blink');
    const a = await createUser(roomid, 'a');
    const b = await createUser(roomid, 'b');
    await expectFullMesh([a, b]);
    const peers = [meshPeer(a, b), meshPeer(b, a)];
    const states = [record<PeerStateEvent>(a.room, 'peer-state'), record<PeerStateEvent>(b.room, 'peer-state')];
    // Make both connections report a short 'disconnected' blip, as a lost packet burst would.
    let fake: RTCPeerConnectionState | null = 'disconnected';
    for (const p of peers) {
      Object.defineProperty(p.pc, 'connectionState', { configurable: true, get: () => fake ?? 'connected' });
      p.pc.onconnectionstatechange?.(new Event('connectionstatechange'));
    }
    await sleep(1000);
    fake = null;
    for (const p of peers) p.pc.onconnectionstatechange?.(new Event('connectionstatechange'));
    await sleep(4500); // past the 3 s grace period
    for (const p of peers) delete (p.pc as unknown as Record<string, unknown>).connectionState;
    expect(peers.map((p) => p.iceRestarts)).to.deep.equal([0, 0]);
    const seen = states.flatMap((r) => r.events.map((e) => e.detail.state));
    expect(seen).to.include('disconnected');
    expect(seen).to.not.include('restarting');
    expect(a.room.peers.get(b.userid)!.connection).to.equal(peers[0]!.pc);
    await expectDecodingFrom(b, a);
    for (const r of states) r.stop();
  });

  it('a lasting `disconnected` gets exactly one ICE restart, from one side', async () => {
    const roomid = uniqueRoom('lasting');
    const a = await createUser(roomid, 'a');
    const b = await createUser(roomid, 'b');
    await expectFullMesh([a, b]);
    const peers = [meshPeer(a, b), meshPeer(b, a)];
    let fake: RTCPeerConnectionState | null = 'disconnected';
    for (const p of peers) {
      Object.defineProperty(p.pc, 'connectionState', { configurable: true, get: () => fake ?? 'connected' });
      p.pc.onconnectionstatechange?.(new Event('connectionstatechange'));
    }
    await waitFor(() => peers.some((p) => p.iceRestarts > 0), 'an ICE restart', 8000);
    await sleep(2500); // the polite side's turn has passed too
    fake = null;
    for (const p of peers) delete (p.pc as unknown as Record<string, unknown>).connectionState;
    expect(peers[0]!.iceRestarts + peers[1]!.iceRestarts).to.equal(1);
    const restarter = peers.find((p) => p.iceRestarts === 1)!;
    expect(restarter.polite).to.equal(false);
    await expectDecodingFrom(b, a);
    await expectDecodingFrom(a, b);
  });

  it('reconnect-attempts bounds the retries: the page is told when the room gives up', async () => {
    const a = await createUser(uniqueRoom('giveup'), 'a', {
      capture: null,
      join: false,
      attrs: { 'socket-url': 'http://127.0.0.1:9', 'reconnect-attempts': '2', 'reconnect-delay': '100', 'reconnect-delay-max': '200' },
    });
    const errors = record<RoomErrorEvent>(a.room, 'room-error');
    await a.room.openOrJoin().catch(() => {});
    await waitFor(() => errors.events.some((e) => /gave up/i.test(e.detail.message)), 'gave up', 8000);
    expect(a.room.state).to.equal('error');
    errors.stop();
  });

  it('pagehide: leave is sent, tracks stop and peer connections close', async () => {
    const roomid = uniqueRoom('pagehide');
    // b lives in an iframe: its own window, so the pagehide below reaches a only.
    const frame = document.createElement('iframe');
    frame.srcdoc = `<!doctype html><script type="module" src="${location.origin}/dist/rtc-elements.js"></script>
      <rtc-room room-id="${roomid}" userid="b-frame" socket-url="${location.origin}" autojoin>
        <media-capture video width="320" height="240" frame-rate="15" autostart></media-capture>
      </rtc-room>`;
    document.body.append(frame);
    try {
      const a = await createUser(roomid, 'a');
      const frameRoom = await waitFor(
        () => frame.contentDocument?.querySelector('rtc-room') as (HTMLElement & { peers: Map<string, unknown> }) | null,
        'iframe room',
      );
      await waitFor(() => a.room.peers.get('b-frame')?.connection.connectionState === 'connected', 'a-b connected');
      await waitFor(() => frameRoom.peers.has(a.userid), 'b knows a');
      const pc = a.room.peers.get('b-frame')!.connection;
      const stream = a.capture!.stream!;
      const left = new Promise<string>((resolve) =>
        frameRoom.addEventListener('peer-leave', (e) => resolve((e as unknown as { detail: { reason: string } }).detail.reason), { once: true }),
      );
      const t0 = performance.now();
      window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
      expect(await left).to.equal('leave');
      expect(performance.now() - t0).to.be.below(1000);
      expect(pc.connectionState).to.equal('closed');
      expect(a.room.state).to.equal('left');
      await waitFor(() => stream.getTracks().every((t) => t.readyState === 'ended'), 'capture tracks stopped');
    } finally {
      frame.remove();
    }
  });
});

describe('resilience: devices', function () {
  this.timeout(60000);
  let restore: (() => void) | undefined;
  afterEach(async () => {
    restore?.();
    restore = undefined;
    await removeAllUsers();
  });

  it('a camera that goes away is re-acquired on the default device and swapped in without renegotiation', async () => {
    const roomid = uniqueRoom('unplug');
    const a = await createUser(roomid, 'a');
    const b = await createUser(roomid, 'b');
    await expectFullMesh([a, b]);
    const offers = countDescriptions(a);
    const stream = a.capture!.stream!;
    const old = stream.getVideoTracks()[0]!;
    const changed = oneEvent(a.capture!, 'track-change') as Promise<TrackChangeEvent>;
    // What unplugging does: the browser ends the track and fires 'ended'.
    old.stop();
    old.dispatchEvent(new Event('ended'));
    const { detail } = await changed;
    expect(detail.oldTrack).to.equal(old);
    expect(detail.newTrack.readyState).to.equal('live');
    expect(a.capture!.stream).to.equal(stream);
    const sender = a.room.peers.get(b.userid)!.connection.getSenders().find((s) => s.track?.kind === 'video')!;
    await waitFor(() => sender.track === detail.newTrack, 'the peer connection sends the new track');
    await expectDecodingFrom(b, a);
    expect(offers.offers).to.equal(0);
  });

  it('when the device cannot be re-acquired, the stream ends cleanly and the page is told', async () => {
    const roomid = uniqueRoom('unplug-fail');
    const a = await createUser(roomid, 'a');
    const b = await createUser(roomid, 'b');
    await expectFullMesh([a, b]);
    const md = navigator.mediaDevices;
    const original = md.getUserMedia;
    md.getUserMedia = () => Promise.reject(new DOMException('Requested device not found', 'NotFoundError'));
    restore = () => {
      md.getUserMedia = original;
    };
    const stream = a.capture!.stream!;
    const error = oneEvent(a.capture!, 'capture-error') as Promise<CaptureErrorEvent>;
    const ended = oneEvent(a.capture!, 'stream-end') as Promise<StreamEndEvent>;
    const track = stream.getVideoTracks()[0]!;
    track.stop();
    track.dispatchEvent(new Event('ended'));
    expect((await error).detail.name).to.equal('NotFoundError');
    expect((await ended).detail.reason).to.equal('device-ended');
    expect(stream.getTracks().every((t) => t.readyState === 'ended')).to.equal(true);
    await waitFor(() => remoteStreamsFrom(b, a.userid).length === 0, 'the peer drops the ended stream', 5000);
  });

  it('a screen share ended from the browser UI leaves every peer within 2 s', async () => {
    const roomid = uniqueRoom('screen-end');
    const a = await createUser(roomid, 'a', { capture: null });
    const b = await createUser(roomid, 'b', { capture: null });
    const c = await createUser(roomid, 'c', { capture: null });
    await waitFor(() => a.room.peers.size === 2 && [...a.room.peers.values()].every((p) => p.connection.connectionState === 'connected'), 'mesh up');
    // A display stream added through addStream() as kind "screen" (no gesture needed in a test).
    const screen = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240, frameRate: 5 } });
    a.room.addStream(screen, 'screen');
    await waitFor(() => remoteStreamsFrom(b, a.userid).length === 1 && remoteStreamsFrom(c, a.userid).length === 1, 'share arrives');
    expect(remoteStreamsFrom(b, a.userid)[0]!.kind).to.equal('screen');
    const t0 = performance.now();
    a.room.removeStream(screen); // what <media-capture screen> does on "Stop sharing"
    screen.getTracks().forEach((t) => t.stop());
    await waitFor(() => remoteStreamsFrom(b, a.userid).length === 0 && remoteStreamsFrom(c, a.userid).length === 0, 'share gone', 2000);
    expect(performance.now() - t0).to.be.below(2000);
  });

  it('devicechange: device lists update, and the microphone follows a new system default', async () => {
    const el = document.createElement('media-capture');
    el.setAttribute('audio', '');
    document.body.append(el);
    try {
      const stream = await el.start();
      const md = navigator.mediaDevices;
      const original = md.enumerateDevices;
      const real = await original.call(md);
      const fake = [
        ...real.filter((d) => d.kind !== 'audioinput'),
        { deviceId: 'default', groupId: 'headset-group', kind: 'audioinput', label: 'Default - Headset', toJSON() {} } as MediaDeviceInfo,
        ...real.filter((d) => d.kind === 'audioinput' && d.deviceId !== 'default'),
      ];
      md.enumerateDevices = () => Promise.resolve(fake);
      restore = () => {
        md.enumerateDevices = original;
      };
      const listed = oneEvent(el, 'devices-change') as Promise<DevicesChangeEvent>;
      const changed = oneEvent(el, 'track-change') as Promise<TrackChangeEvent>;
      md.dispatchEvent(new Event('devicechange'));
      expect((await listed).detail.devices.map((d) => d.label)).to.include('Default - Headset');
      const { detail } = await changed;
      expect(detail.kind).to.equal('audio');
      expect(el.stream).to.equal(stream);
      expect(stream.getAudioTracks()).to.deep.equal([detail.newTrack]);
    } finally {
      el.remove();
    }
  });
});
