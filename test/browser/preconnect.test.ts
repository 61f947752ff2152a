// <rtc-room> connects its signaling socket as soon as it is in the page with
// a room-id, so that a click on Join costs one round trip; `connect="manual"`
// opts out.
import { expect } from '@open-wc/testing';
import type { RoomErrorEvent, RoomStateEvent } from '../../dist/index.js';
import { countingConnections, record, sleep, waitFor } from './helpers.js';
import { createUser, expectVideoFrom, removeAllUsers, uniqueRoom, type User } from './room-helpers.js';

/**
 * a in the room, b connected ahead with its camera and not joined: resolves
 * with both and b's connection made ahead, once its offer is set and gathered.
 */
async function aheadOfJoin(made: RTCPeerConnection[], label: string): Promise<{ a: User; b: User; spare: RTCPeerConnection; mark: number }> {
  const roomid = uniqueRoom(label);
  const a = await createUser(roomid, 'a');
  const mark = made.length;
  const b = await createUser(roomid, 'b', { join: false });
  const spare = await waitFor(() => made.slice(mark).find((pc) => pc.signalingState !== 'closed' && pc.iceGatheringState === 'complete'), 'b sets its offer ahead');
  return { a, b, spare, mark };
}

describe('<rtc-room> connects ahead of the join', function () {
  this.timeout(60000);
  afterEach(removeAllUsers);

  it('is connected before join() is called, and the join uses that connection', async () => {
    const roomid = uniqueRoom('pre');
    const a = await createUser(roomid, 'a');
    const b = await createUser(roomid, 'b', { join: false });
    const states = record<RoomStateEvent>(b.room, 'room-state');
    await waitFor(() => b.room.socket?.connected, 'b connected without joining');
    const socket = b.room.socket;
    // Connected is not joined: nobody in the room sees b yet, and b's state says idle.
    expect(b.room.state).to.equal('idle');
    expect(a.room.peers.size).to.equal(0);
    await b.room.join();
    expect(b.room.socket).to.equal(socket);
    await expectVideoFrom(a, b);
    await expectVideoFrom(b, a);
    expect(states.events.map((e) => e.detail.state)).to.deep.equal(['connecting', 'joined']);
    states.stop();
  });

  it('prepares its first offer while connected ahead (tracks attached, offer set and its candidates gathered), and the join sends that offer', async () => {
    await countingConnections(async (made) => {
      const { a, b, spare, mark } = await aheadOfJoin(made, 'spare');
      // Set up with b's camera, its offer set and gathered, but nobody called: a still sees nobody.
      const senders = spare.getSenders().filter((s) => s.track);
      expect(senders.map((s) => s.track!.id).sort()).to.deep.equal(b.capture!.stream!.getTracks().map((t) => t.id).sort());
      expect(spare.localDescription?.type).to.equal('offer');
      const ahead = spare.localDescription!.sdp;
      expect(ahead).to.match(/a=candidate:/);
      expect(a.room.peers.size).to.equal(0);
      await b.room.join();
      expect(b.room.peers.get(a.userid)!.connection).to.equal(spare);
      await expectVideoFrom(a, b);
      await expectVideoFrom(b, a);
      // a took the offer made ahead (same ICE credentials), not one made after the join.
      const ufrag = (sdp: string) => /a=ice-ufrag:(\S+)/.exec(sdp)?.[1];
      expect(ufrag(ahead)).to.be.a('string');
      expect(ufrag(a.room.peers.get(b.userid)!.connection.remoteDescription!.sdp)).to.equal(ufrag(ahead));
      // b's side made no second connection: the spare and a's connection to b are all.
      expect(made.length - mark).to.equal(2);
    });
  });

  it('an offer set ahead that no longer fits (another capture joined the room meanwhile) is not sent: a new connection carries both', async () => {
    await countingConnections(async (made) => {
      const { a, b, spare } = await aheadOfJoin(made, 'spare-stale');
      // A second capture (microphone only) after the offer was set: the join must carry it too.
      const mic = document.createElement('media-capture');
      mic.setAttribute('audio', '');
      b.room.append(mic);
      await mic.start();
      await b.room.join();
      const used = b.room.peers.get(a.userid)!.connection;
      expect(used).to.not.equal(spare);
      expect(spare.signalingState).to.equal('closed');
      await expectVideoFrom(a, b);
      await expectVideoFrom(b, a);
      const got = await waitFor(() => a.room.peers.get(b.userid)?.streams.find((s) => s.id === mic.stream!.id), 'a receives the second capture');
      expect(got.getAudioTracks()).to.have.length(1);
      // The data channel came with it (messages both ways).
      const heard = new Promise((resolve) => a.room.addEventListener('room-message', (e) => resolve(e.detail.data), { once: true }));
      b.room.send('over the new connection');
      expect(await heard).to.equal('over the new connection');
      mic.stop();
    });
  });

  it('an offer set ahead with other ICE servers than the join brings is not sent: a new connection gathers with them', async () => {
    await countingConnections(async (made) => {
      const { a, b, spare } = await aheadOfJoin(made, 'spare-config');
      // Servers set after the offer was gathered (a page's own, or a join's TURN credentials): its candidates do not fit.
      b.room.iceServers = [{ urls: 'stun:127.0.0.1:9' }];
      await b.room.updateComplete;
      await b.room.join();
      const used = b.room.peers.get(a.userid)!.connection;
      expect(used).to.not.equal(spare);
      expect(spare.signalingState).to.equal('closed');
      expect(used.getConfiguration().iceServers?.flatMap((s) => s.urls)).to.deep.equal(['stun:127.0.0.1:9']);
      await expectVideoFrom(a, b);
      await expectVideoFrom(b, a);
    });
  });

  it('a member alone in the room keeps a connection set up for the next joiner, whose offer it answers', async () => {
    await countingConnections(async (made) => {
      const roomid = uniqueRoom('ready');
      const a = await createUser(roomid, 'a');
      // a's: its camera attached, nothing negotiated (the joiner offers).
      const ready = await waitFor(() => made.find((pc) => pc.signalingState !== 'closed'), 'a keeps a connection ready');
      expect(ready.localDescription).to.equal(null);
      expect(ready.getSenders().map((s) => s.track?.id).sort()).to.deep.equal(a.capture!.stream!.getTracks().map((t) => t.id).sort());
      const b = await createUser(roomid, 'b');
      expect(a.room.peers.get(b.userid)!.connection).to.equal(ready);
      await expectVideoFrom(a, b);
      await expectVideoFrom(b, a);
      // Not alone any more: no new one while b is there (a's and b's connections to each other are all that is open).
      await sleep(600);
      expect(made.filter((pc) => pc.signalingState !== 'closed')).to.have.length(2);
      // Alone again: a new one; and it is closed when a leaves.
      await b.room.leave();
      const next = await waitFor(() => made.find((pc) => pc !== ready && pc.signalingState !== 'closed' && !pc.remoteDescription), 'a is ready again once b left');
      await a.room.leave();
      expect(next.signalingState).to.equal('closed');
      expect(made.filter((pc) => pc.signalingState !== 'closed')).to.have.length(0);
    });
  });

  it('a prepared connection nobody takes is closed: the join finds an empty room, or the element leaves the page', async () => {
    await countingConnections(async (made) => {
      const alone = await createUser(uniqueRoom('spare-alone'), 'alone', { join: false });
      const first = await waitFor(() => made.find((pc) => pc.signalingState !== 'closed'), 'a prepared connection');
      await alone.room.openOrJoin();
      expect(first.signalingState).to.equal('closed');
      expect(made).to.have.length(1);
      // (In the room, alone, it makes one for the next joiner: gone with the element.)
      alone.room.remove();

      const gone = await createUser(uniqueRoom('spare-gone'), 'gone', { join: false });
      const second = await waitFor(() => made.find((pc) => pc !== first && pc.signalingState !== 'closed'), 'another prepared connection');
      gone.room.remove();
      await sleep(50);
      expect(second.signalingState).to.equal('closed');
    });
  });

  it('connect="manual" opens no socket until join()', async () => {
    const roomid = uniqueRoom('manual');
    const a = await createUser(roomid, 'a', { capture: null, join: false, attrs: { connect: 'manual' } });
    await sleep(500);
    expect(a.room.socket).to.equal(null);
    await a.room.openOrJoin();
    expect(a.room.socket?.connected).to.equal(true);
    expect(a.room.state).to.equal('joined');
  });

  it('without a room-id there is nothing to connect for; setting one connects', async () => {
    const room = document.createElement('rtc-room');
    document.body.append(room);
    try {
      await sleep(300);
      expect(room.socket).to.equal(null);
      room.roomId = uniqueRoom('later');
      await waitFor(() => room.socket?.connected, 'connected once the room id is set');
      expect(room.state).to.equal('idle');
    } finally {
      room.remove();
    }
  });

  it('an unreachable server is said once, before any join, and join() does not say it again', async () => {
    const a = await createUser(uniqueRoom('down'), 'a', { capture: null, join: false, attrs: { 'socket-url': 'http://127.0.0.1:9' } });
    const errors = record<RoomErrorEvent>(a.room, 'room-error');
    await waitFor(() => errors.events.length > 0, 'room-error before any join');
    expect(errors.events[0]!.detail.code).to.equal('server-unreachable');
    expect(a.room.state).to.equal('error');
    const code = await a.room.openOrJoin().then(
      () => null,
      (e: { code: string }) => e.code,
    );
    expect(code).to.equal('server-unreachable');
    await sleep(300);
    expect(errors.events.map((e) => e.detail.code)).to.deep.equal(['server-unreachable']);
    errors.stop();
  });
});
