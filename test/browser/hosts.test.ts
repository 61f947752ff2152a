// Hosts through the <rtc-room> API (issue #20): several rooms in one page act
// as separate users; the host admits and denies lobby knocks, mutes, promotes,
// removes, locks and ends, and each user sees what a person would.
import { expect, oneEvent } from '@open-wc/testing';
import type { PeerJoinEvent, PeerLeaveEvent, RoomErrorEvent, RoomNoticeEvent, StreamMuteEvent } from '../../dist/index.js';
import { record, waitFor } from './helpers.js';
import { createUser, expectVideoFrom, remoteStreamsFrom, removeAllUsers, uniqueRoom } from './room-helpers.js';

/** The promise's rejection code (fails when it resolves). */
async function rejectionCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code: string }).code;
  }
  throw new Error('expected a rejection');
}

describe('<rtc-room> hosts', function () {
  this.timeout(60000);
  afterEach(removeAllUsers);

  it('lobby: the joiner waits (state="waiting"), the host gets a knock and admits it; a second is denied', async () => {
    const roomid = uniqueRoom('lobby');
    const host = await createUser(roomid, 'host', { attrs: { lobby: '' } });
    expect(host.room.isHost).to.equal(true);
    const guest = await createUser(roomid, 'guest', { join: false });
    const knock = oneEvent(host.room, 'knock') as Promise<RoomNoticeEvent<'knock'>>;
    const waiting = oneEvent(guest.room, 'room-waiting') as Promise<RoomNoticeEvent<'room-waiting'>>;
    const entering = guest.room.openOrJoin();
    expect((await waiting).detail.hostPresent).to.equal(true);
    expect(guest.room.getAttribute('state')).to.equal('waiting');
    expect((await knock).detail.userid).to.equal(guest.userid);
    // Waiting: nobody sees the guest, and it sees nobody.
    expect(host.room.peers.size).to.equal(0);
    expect(remoteStreamsFrom(guest, host.userid)).to.have.length(0);

    const joinSeen = oneEvent(host.room, 'peer-join') as Promise<PeerJoinEvent>;
    await host.room.admit(guest.userid);
    const ack = await entering;
    expect(ack.role).to.equal('participant');
    expect(guest.room.getAttribute('state')).to.equal('joined');
    expect(guest.room.isHost).to.equal(false);
    expect((await joinSeen).detail).to.include({ userid: guest.userid, role: 'participant' });
    await expectVideoFrom(host, guest);
    await expectVideoFrom(guest, host);

    const second = await createUser(roomid, 'second', { join: false });
    const knock2 = oneEvent(host.room, 'knock');
    const refusedEvent = oneEvent(second.room, 'room-error') as Promise<RoomErrorEvent>;
    const denied = rejectionCode(second.room.openOrJoin());
    await knock2;
    await host.room.deny(second.userid);
    expect(await denied).to.equal('denied');
    expect((await refusedEvent).detail.code).to.equal('denied');
    expect(second.room.getAttribute('state')).to.equal('error');
    expect(host.room.peers.has(second.userid)).to.equal(false);
  });

  it('mute, promote, remove, lock and end; a participant is refused by the server', async () => {
    const roomid = uniqueRoom('hosts');
    const host = await createUser(roomid, 'host');
    const p1 = await createUser(roomid, 'p1');
    const p2 = await createUser(roomid, 'p2');
    await expectVideoFrom(host, p1);

    // A participant's host request: the server says no.
    expect(await rejectionCode(p1.room.removeParticipant(p2.userid))).to.equal('forbidden');

    // Muted by the host: p1's microphone is muted on its own page, and the host's tile shows it.
    const notice = oneEvent(p1.room, 'host-mute') as Promise<RoomNoticeEvent<'host-mute'>>;
    const mutedSeen = record<StreamMuteEvent>(host.room, 'stream-mute');
    await host.room.muteParticipant(p1.userid, 'audio');
    expect((await notice).detail).to.deep.equal({ kind: 'audio', by: host.userid });
    expect(p1.capture!.audioMuted).to.equal(true);
    expect(p1.capture!.hasAttribute('audio-muted')).to.equal(true);
    await waitFor(() => mutedSeen.events.some((e) => e.detail.userid === p1.userid && e.detail.kind === 'audio' && e.detail.muted), 'the host sees p1 muted');
    // p1 unmutes itself: allowed, and the host sees it.
    p1.capture!.setMuted('audio', false);
    await waitFor(() => mutedSeen.events.some((e) => e.detail.userid === p1.userid && e.detail.kind === 'audio' && !e.detail.muted), 'the host sees p1 unmuted');
    mutedSeen.stop();

    // Promoted: everyone learns p1's new role, and p1 may act.
    const roleSeen = oneEvent(p2.room, 'role-change') as Promise<RoomNoticeEvent<'role-change'>>;
    await host.room.makeHost(p1.userid);
    expect((await roleSeen).detail).to.deep.equal({ userid: p1.userid, role: 'host' });
    await waitFor(() => p1.room.isHost, 'p1 knows it is host');

    // Removed: p2 is out (told why), the others see peer-leave `removed` and lose its tiles.
    const removedError = oneEvent(p2.room, 'room-error') as Promise<RoomErrorEvent>;
    const leaveSeen = oneEvent(host.room, 'peer-leave') as Promise<PeerLeaveEvent>;
    await p1.room.removeParticipant(p2.userid);
    expect((await removedError).detail.code).to.equal('removed');
    expect(await leaveSeen.then((e) => e.detail)).to.deep.equal({ userid: p2.userid, reason: 'removed' });
    expect(p2.room.getAttribute('state')).to.equal('left');
    await waitFor(() => remoteStreamsFrom(host, p2.userid).length === 0, 'p2 tiles gone');
    // It cannot come back (the ban).
    expect(await rejectionCode(p2.room.join())).to.equal('denied');

    // Locked: nobody new.
    const lockedSeen = oneEvent(p1.room, 'room-locked') as Promise<RoomNoticeEvent<'room-locked'>>;
    await host.room.lock();
    expect((await lockedSeen).detail).to.deep.equal({ locked: true, by: host.userid });
    const late = await createUser(roomid, 'late', { join: false, capture: null });
    expect(await rejectionCode(late.room.join())).to.equal('room-locked');

    // Ended: everyone leaves.
    const endedError = oneEvent(p1.room, 'room-error') as Promise<RoomErrorEvent>;
    await host.room.endRoom();
    expect((await endedError).detail.code).to.equal('room-ended');
    expect(p1.room.getAttribute('state')).to.equal('left');
    expect(host.room.getAttribute('state')).to.equal('left');
    await waitFor(() => remoteStreamsFrom(p1, host.userid).length === 0 && remoteStreamsFrom(host, p1.userid).length === 0, 'all tiles gone');
  });
});
