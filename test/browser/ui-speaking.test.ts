// Active speaker in <rtc-room>: Chromium's fake microphone beeps, so the other side's tile for that user shows `speaking` (a ring), and the room fires speaking-change and active-speaker with the right userid; a muted microphone stops it.
import { expect } from '@open-wc/testing';
import { executeServerCommand, sendMouse } from '@web/test-runner-commands';
import type { ActiveSpeakerEvent, RemoteStream, SpeakingChangeEvent } from '../../dist/index.js';
import { levelLoopRunning } from '../../dist/audio/levels.js';
import { record, sleep, waitFor } from './helpers.js';
import { createUser, expectVideoFrom, remoteStreamsFrom, removeAllUsers, uniqueRoom, type User } from './room-helpers.js';

/** A click on the page: the user gesture that lets the shared AudioContext run (the tests run without the autoplay flag). */
const userGesture = () => sendMouse({ type: 'click', position: [2, 2] });

/** The ring a person sees on a speaking tile: an outline drawn by the tile's own shadow CSS. */
function ring(el: Element): string {
  const s = getComputedStyle(el);
  return s.outlineStyle === 'none' ? 'none' : `${s.outlineWidth} ${s.outlineStyle}`;
}

/** `user`'s camera tile from `from`, with moving video. */
async function tileOf(user: User, from: User): Promise<RemoteStream> {
  await expectVideoFrom(user, from);
  return remoteStreamsFrom(user, from.userid).find((e) => e.kind === 'camera')!;
}

describe('<rtc-room> active speaker', function () {
  this.timeout(90000);
  afterEach(removeAllUsers);

  /** Ada (muted, so only Bob makes a sound; `attrs` on her room) and Bob in a call, Ada's room's speaking events recorded. */
  async function adaHearsBob(attrs: Record<string, string>) {
    const roomid = uniqueRoom('speak');
    const ada = await createUser(roomid, 'ada', { attrs, join: false });
    ada.capture!.setMuted('audio', true);
    await ada.room.openOrJoin();
    const bob = await createUser(roomid, 'bob');
    const changes = record<SpeakingChangeEvent>(ada.room, 'speaking-change');
    const active = record<ActiveSpeakerEvent>(ada.room, 'active-speaker');
    const tile = await tileOf(ada, bob);
    await userGesture();
    return { ada, bob, changes, active, tile };
  }

  it('the other side sees speaking on the beeping user\'s tile, with a ring; speaking-change and active-speaker name that user; muting stops it', async () => {
    const { ada, bob, changes, active, tile } = await adaHearsBob({ controls: '' });
    await waitFor(() => tile.hasAttribute('speaking'), 'Bob\'s tile at Ada says speaking', 15000);
    expect(ring(tile)).to.equal('3px solid');
    await executeServerCommand('screenshot', { name: 'speaking-ring' });
    const on = changes.events.find((e) => e.detail.speaking);
    expect(on?.detail).to.deep.equal({ userid: bob.userid, streamid: tile.streamid, speaking: true });
    await waitFor(() => active.events.length, 'active-speaker fired');
    expect(active.events.map((e) => e.detail.userid)).to.deep.equal([bob.userid]);
    expect(changes.events.every((e) => e.detail.userid === bob.userid), 'Ada is muted: no speaking from her').to.equal(true);
    // Bob mutes: his tile at Ada stops speaking and stays quiet.
    bob.capture!.setMuted('audio', true);
    await waitFor(() => !tile.hasAttribute('speaking'), 'Bob\'s tile stops speaking after he mutes', 5000);
    expect(ring(tile)).to.equal('none');
    expect(changes.events.at(-1)!.detail).to.deep.equal({ userid: bob.userid, streamid: tile.streamid, speaking: false });
    const quiet = changes.events.length;
    await sleep(1500);
    expect(changes.events.slice(quiet).filter((e) => e.detail.speaking), 'muted Bob never speaks').to.have.length(0);
    changes.stop();
    active.stop();
  });

  it('the local user counts with its own userid: its tile rings, and it becomes the active speaker after the one before (held, not flapping)', async () => {
    // No controls: the listeners on the room are what ask for levels.
    const { ada, bob, changes, active, tile } = await adaHearsBob({});
    await waitFor(() => active.events.length === 1, 'Bob is the active speaker', 15000);
    expect(active.events[0]!.detail.userid).to.equal(bob.userid);
    // Ada speaks, Bob goes quiet.
    bob.capture!.setMuted('audio', true);
    ada.capture!.setMuted('audio', false);
    await waitFor(() => ada.capture!.hasAttribute('speaking'), 'Ada\'s own tile says speaking', 15000);
    expect(ring(ada.capture!)).to.equal('3px solid');
    expect(changes.events.find((e) => e.detail.userid === ada.userid && e.detail.speaking)!.detail.streamid).to.equal(ada.capture!.stream!.id);
    await waitFor(() => active.events.length === 2, 'Ada becomes the active speaker', 10000);
    expect(active.events[1]!.detail.userid).to.equal(ada.userid);
    await waitFor(() => !tile.hasAttribute('speaking'), 'Bob\'s tile quiet');
    // Ada alone keeps speaking: the active speaker stays put.
    await sleep(2000);
    expect(active.events.map((e) => e.detail.userid)).to.deep.equal([bob.userid, ada.userid]);
    changes.stop();
    active.stop();
  });

  it('two people beeping at once: the active speaker does not flap between them', async () => {
    const roomid = uniqueRoom('speak');
    const ada = await createUser(roomid, 'ada', { attrs: { controls: '' } });
    const bob = await createUser(roomid, 'bob');
    const active = record<ActiveSpeakerEvent>(ada.room, 'active-speaker');
    const tile = await tileOf(ada, bob);
    await userGesture();
    await waitFor(() => tile.hasAttribute('speaking') && active.events.length, 'both speak, someone is active', 15000);
    const first = active.events.length;
    await sleep(6000);
    expect(active.events.length - first, 'at most one change in six seconds').to.be.at.most(1);
    active.stop();
  });

  it('no work without a consumer: a room without controls, layout or a speaking listener measures nothing', async () => {
    const roomid = uniqueRoom('speak');
    const ada = await createUser(roomid, 'ada');
    const bob = await createUser(roomid, 'bob');
    const tile = await tileOf(ada, bob);
    await userGesture();
    await sleep(1500);
    expect(levelLoopRunning(), 'no analyser running').to.equal(false);
    expect(tile.hasAttribute('speaking')).to.equal(false);
    // Asking for it starts the measuring; leaving stops it.
    const changes = record<SpeakingChangeEvent>(bob.room, 'speaking-change');
    await waitFor(() => levelLoopRunning(), 'levels measured once someone listens');
    await waitFor(() => changes.events.some((e) => e.detail.userid === ada.userid && e.detail.speaking), 'Bob hears Ada speak', 15000);
    await bob.room.leave();
    await ada.room.leave();
    await waitFor(() => !levelLoopRunning(), 'the loop stops after leaving');
    changes.stop();
  });
});
