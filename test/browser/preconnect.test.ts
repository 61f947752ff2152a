// <rtc-room> connects its signaling socket as soon as it is in the page with
// a room-id, so that a click on Join costs one round trip; `connect="manual"`
// opts out.
import { expect } from '@open-wc/testing';
import type { RoomErrorEvent, RoomStateEvent } from '../../dist/index.js';
import { record, sleep, waitFor } from './helpers.js';
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
