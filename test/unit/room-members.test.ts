// The session's view of who is in the room, without a browser: a fake transport records what it is told.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { Members } from '../../src/room/members.js';
import { MeshTransport } from '../../src/room/mesh.js';
import type { Transport, TransportHooks } from '../../src/room/transport.js';

interface Fake {
  calls: string[];
  carrying: Set<string>;
  alive: Set<string>;
}

function fakeTransport(fake: Fake): Transport {
  const note = (what: string) => () => void fake.calls.push(what);
  return {
    name: 'fake',
    start: note('start'),
    stop: note('stop'),
    peerJoined: (userid, initiate) => void fake.calls.push(`joined ${userid} ${initiate ? 'initiate' : 'wait'}`),
    peerLeft: (userid) => void fake.calls.push(`left ${userid}`),
    heal: (userid) => void fake.calls.push(`heal ${userid}`),
    carriesMedia: (userid) => fake.carrying.has(userid),
    isAlive: (userid) => fake.alive.has(userid),
    configure: note('configure'),
    opensCall: () => true,
    handleSignal: () => true,
    addStream: note('addStream'),
    removeStream: note('removeStream'),
    replaceTrack: note('replaceTrack'),
    announceStreams: note('announceStreams'),
    syncStreams: note('syncStreams'),
    send: note('send'),
    connection: () => null,
    remoteStreams: () => [],
  };
}

function setup(graceMs = 1000) {
  const fake: Fake = { calls: [], carrying: new Set(), alive: new Set() };
  const events: string[] = [];
  const members = new Members(
    () => fakeTransport(fake),
    {
      join: (userid) => void events.push(`join ${userid}`),
      update: (userid, extra) => void events.push(`update ${userid} ${JSON.stringify(extra)}`),
      leave: (userid, reason) => void events.push(`leave ${userid} ${reason}`),
      warn: (message) => void events.push(`warn ${message}`),
    },
    graceMs,
  );
  return { fake, events, members };
}

describe('room members', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('a user who joins after us waits for our call; the same user again is an update, not a second join', () => {
    const { fake, events, members } = setup();
    members.joined('bob', { n: 1 }, undefined);
    members.joined('bob', { n: 2 }, undefined);
    assert.deepEqual(fake.calls, ['joined bob wait']);
    assert.deepEqual(events, ['join bob', 'update bob {"n":2}']);
    assert.deepEqual(members.records.get('bob')?.extra, { n: 2 });
  });

  it('a user whose socket dropped while media flows stays for the grace period, then leaves', () => {
    const { fake, events, members } = setup(1000);
    members.joined('bob', null, undefined);
    fake.carrying.add('bob');
    members.left('bob', 'disconnect');
    mock.timers.tick(999);
    assert.ok(members.records.has('bob'));
    mock.timers.tick(1);
    assert.ok(!members.records.has('bob'));
    assert.deepEqual(events, ['join bob', 'leave bob disconnect']);
    assert.deepEqual(fake.calls, ['joined bob wait', 'left bob']);
  });

  it('an away user that comes back (join, or a signal) keeps its call', () => {
    const { fake, events, members } = setup(1000);
    members.joined('bob', null, undefined);
    members.joined('cy', null, undefined);
    fake.carrying.add('bob').add('cy');
    members.left('bob', 'disconnect');
    members.left('cy', 'disconnect');
    members.joined('bob', null, undefined);
    members.heard('cy');
    mock.timers.tick(5000);
    assert.deepEqual([...members.records.keys()], ['bob', 'cy']);
    assert.ok(!events.some((e) => e.startsWith('leave')));
  });

  it('a leave without media, or for another reason, removes at once', () => {
    const { fake, events, members } = setup();
    members.joined('bob', null, undefined);
    members.joined('cy', null, undefined);
    fake.carrying.add('cy');
    members.left('bob', 'disconnect');
    members.left('cy', 'leave');
    members.left('nobody', 'leave');
    assert.deepEqual(events.slice(2), ['leave bob disconnect', 'leave cy leave']);
    assert.equal(members.records.size, 0);
  });

  it('a lost media path drops only an away user; a failed connection too', () => {
    const { fake, members } = setup();
    for (const u of ['bob', 'cy', 'dee']) members.joined(u, null, undefined);
    assert.equal(members.lost('bob'), false, 'present: the transport rebuilds');
    fake.carrying.add('bob').add('cy');
    members.left('bob', 'disconnect');
    members.left('cy', 'disconnect');
    assert.equal(members.lost('bob'), true);
    members.stateChanged('cy', 'connecting');
    assert.ok(members.records.has('cy'));
    members.stateChanged('cy', 'failed');
    members.stateChanged('dee', 'failed');
    assert.deepEqual([...members.records.keys()], ['dee']);
  });

  it('a rejoin keeps away the users whose call is alive, heals the listed ones and calls the new ones', () => {
    const { fake, events, members } = setup(1000);
    for (const u of ['bob', 'cy', 'dee']) members.joined(u, null, undefined);
    fake.calls.length = 0;
    fake.alive.add('cy');
    const fresh = members.reconcile([{ userid: 'bob', extra: { back: true }, role: 'participant' }, { userid: 'eve', extra: null, role: 'participant' }], true);
    assert.deepEqual(fresh, ['eve']);
    assert.deepEqual(fake.calls, ['left dee', 'heal bob', 'joined eve initiate']);
    assert.ok(members.records.has('cy'), 'alive: waits for its user');
    assert.ok(events.includes('leave dee disconnect'));
    mock.timers.tick(1000);
    assert.ok(!members.records.has('cy'), 'not back within the grace period');
  });

  it('a first join drops whoever is not listed, even with a live call', () => {
    const { fake, members } = setup();
    members.joined('old', null, undefined);
    fake.alive.add('old');
    assert.deepEqual(members.reconcile([], false), []);
    assert.equal(members.records.size, 0);
  });

  it('data from a user whose token lacks `data` is refused, warned once', () => {
    const { events, members } = setup();
    members.joined('bob', null, ['publish']);
    members.joined('cy', null, ['publish', 'data']);
    assert.equal(members.maySendData('bob'), false);
    assert.equal(members.maySendData('bob'), false);
    assert.equal(members.maySendData('cy'), true);
    assert.equal(events.filter((e) => e.startsWith('warn')).length, 1);
  });

  it('removeAll tells the transport and the page about everyone', () => {
    const { fake, events, members } = setup();
    members.joined('bob', null, undefined);
    members.stranger('cy');
    members.removeAll('replaced');
    assert.deepEqual(fake.calls, ['joined bob wait', 'joined cy wait', 'left bob', 'left cy']);
    assert.deepEqual(events, ['join bob', 'join cy', 'leave bob replaced', 'leave cy replaced']);
  });
});

describe('mesh transport, stopped', () => {
  it('takes no peers and no signals before start or after stop (no RTCPeerConnection is made)', () => {
    const warned: string[] = [];
    const mesh = new MeshTransport(
      { userid: () => 'me', session: 's', rtcConfig: () => ({}), published: () => [] },
      { ...fakeHooks(), warn: (m) => void warned.push(m) },
    );
    mesh.peerJoined('bob', true);
    assert.equal(mesh.handleSignal('bob', { description: { type: 'offer', sdp: 'v=0' } }), false);
    mesh.start();
    mesh.stop();
    mesh.peerJoined('bob', false);
    assert.equal(mesh.handleSignal('cy', { description: { type: 'offer', sdp: 'v=0' } }), false);
    assert.equal(mesh.connection('bob'), null);
    assert.deepEqual(mesh.remoteStreams('bob'), []);
    assert.deepEqual(warned, []);
  });
});

function fakeHooks(): TransportHooks {
  const nothing = () => {};
  return {
    signal: nothing,
    remoteStream: nothing,
    remoteStreamEnded: nothing,
    remoteMute: nothing,
    peerState: nothing,
    message: nothing,
    lost: () => false,
    warn: nothing,
  };
}
