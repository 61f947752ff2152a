// <rtc-room> connects its signaling socket as soon as it is in the page with
// a room-id, so that a click on Join costs one round trip; `connect="manual"`
// opts out.
import { expect } from '@open-wc/testing';
import type { RoomErrorEvent, RoomStateEvent } from '../../dist/index.js';
import { countingConnections, record, sleep, waitFor } from './helpers.js';
import { createUser, expectVideoFrom, removeAllUsers, uniqueRoom } from './room-helpers.js';

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

  it('prepares its first offer while connected ahead (tracks attached, no ICE yet), and the join offers on that connection', async () => {
    await countingConnections(async (made) => {
      const roomid = uniqueRoom('spare');
      const a = await createUser(roomid, 'a');
      const mark = made.length;
      const b = await createUser(roomid, 'b', { join: false });
      const spare = await waitFor(() => made.slice(mark).find((pc) => pc.signalingState !== 'closed'), 'b prepares a connection before its join');
      // Set up with b's camera, but nothing negotiated, no ICE gathered, nobody called: a still sees nobody.
      const senders = spare.getSenders().filter((s) => s.track);
      expect(senders.map((s) => s.track!.id).sort()).to.deep.equal(b.capture!.stream!.getTracks().map((t) => t.id).sort());
      expect(spare.localDescription).to.equal(null);
      expect(spare.iceGatheringState).to.equal('new');
      expect(a.room.peers.size).to.equal(0);
      await b.room.join();
      expect(b.room.peers.get(a.userid)!.connection).to.equal(spare);
      await expectVideoFrom(a, b);
      await expectVideoFrom(b, a);
      // b's side made no second connection: the spare and a's connection to b are all.
      expect(made.length - mark).to.equal(2);
    });
  });

  it('a prepared connection nobody takes is closed: the join finds an empty room, or the element leaves the page', async () => {
    await countingConnections(async (made) => {
      const alone = await createUser(uniqueRoom('spare-alone'), 'alone', { join: false });
      const first = await waitFor(() => made.find((pc) => pc.signalingState !== 'closed'), 'a prepared connection');
      await alone.room.openOrJoin();
      expect(first.signalingState).to.equal('closed');
      expect(made).to.have.length(1);

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
