// Local streams, remote tiles and <rtc-room>'s attribute reading, without a browser.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalStreams } from '../../src/room/local-streams.js';
import { RemoteTiles, type Tile } from '../../src/room/remote-tiles.js';
import { readIceTransportPolicy, readJoinOptions, readReconnectPolicy, releaseUserid, rememberedUserid } from '../../src/room/room-attributes.js';
import type { Transport } from '../../src/room/transport.js';

function fakeStream(id: string, audioEnabled = true): MediaStream {
  const track = (kind: string, enabled: boolean) => ({ kind, enabled });
  return {
    id,
    getAudioTracks: () => [track('audio', audioEnabled)],
    getVideoTracks: () => [track('video', true)],
  } as unknown as MediaStream;
}

function recorder(calls: string[]): Transport {
  return new Proxy({} as Transport, {
    get: (_t, name) => (...args: unknown[]) => void calls.push(`${String(name)} ${args.map((a) => (typeof a === 'object' && a && 'id' in a ? (a as { id: string }).id : String(a))).join(' ')}`.trim()),
  });
}

describe('local streams', () => {
  it('hands streams to the transport only while publishing is allowed, with their mute flags', () => {
    const calls: string[] = [];
    let publish = false;
    const local = new LocalStreams(() => recorder(calls), () => publish);
    assert.equal(local.add(fakeStream('s1', false), 'camera'), true);
    assert.equal(local.add(fakeStream('s1'), 'camera'), false);
    assert.deepEqual(calls, []);
    assert.deepEqual(local.published(), []);
    assert.deepEqual(local.entries.get('s1')?.info, { streamid: 's1', kind: 'camera', audioMuted: true, videoMuted: false });
    publish = true;
    local.add(fakeStream('s2'), 'screen');
    assert.deepEqual(local.published().map((e) => e.info.streamid), ['s1', 's2']);
    assert.deepEqual(calls, ['addStream s2']);
  });

  it('announces a mute change once, and forgets removed streams', () => {
    const calls: string[] = [];
    const local = new LocalStreams(() => recorder(calls), () => true);
    local.add(fakeStream('s1'), 'camera');
    local.setMuted('s1', 'video', true);
    local.setMuted('s1', 'video', true);
    local.setMuted('nope', 'audio', true);
    assert.equal(local.entries.get('s1')?.info.videoMuted, true);
    local.remove('s1');
    local.remove('s1');
    local.replaceTrack('s1', null, {} as MediaStreamTrack);
    assert.deepEqual(calls, ['addStream s1', 'announceStreams', 'removeStream s1']);
  });
});

class FakeTile implements Tile {
  extra: unknown = null;
  audioMuted = false;
  videoMuted = false;
  removed = false;
  constructor(readonly userid: string) {}
  remove(): void {
    this.removed = true;
  }
}

describe('remote tiles', () => {
  it('one tile per stream: a second one for the same stream replaces the first', () => {
    const tiles = new RemoteTiles<FakeTile>();
    const first = new FakeTile('bob');
    const second = new FakeTile('bob');
    tiles.show('bob', 's1', first);
    tiles.show('bob', 's1', second);
    assert.equal(first.removed, true);
    assert.equal(tiles.get('bob', 's1'), second);
    assert.equal(tiles.size, 1);
  });

  it('follows mute, extra, stream end and leave; clear removes the rest', () => {
    const tiles = new RemoteTiles<FakeTile>();
    const [b1, b2, c1] = [new FakeTile('bob'), new FakeTile('bob'), new FakeTile('cy')];
    tiles.show('bob', 'b1', b1);
    tiles.show('bob', 'b2', b2);
    tiles.show('cy', 'c1', c1);
    tiles.muted('bob', 'b1', 'audio', true);
    tiles.muted('cy', 'c1', 'video', true);
    tiles.userUpdated('bob', { name: 'Bob' });
    assert.deepEqual([b1.audioMuted, b1.videoMuted, c1.videoMuted], [true, false, true]);
    assert.deepEqual([b1.extra, b2.extra, c1.extra], [{ name: 'Bob' }, { name: 'Bob' }, null]);
    tiles.ended('bob', 'b1');
    assert.deepEqual([b1.removed, b2.removed], [true, false]);
    tiles.userLeft('bob');
    assert.deepEqual([b2.removed, c1.removed, tiles.size], [true, false, 1]);
    tiles.clear();
    assert.deepEqual([c1.removed, tiles.size], [true, 0]);
  });
});

describe('<rtc-room> attributes', () => {
  it('reconnect policy: numbers, Infinity, defaults; nonsense reported and defaulted', () => {
    const reports: string[] = [];
    const policy = readReconnectPolicy({ reconnectAttempts: 'Infinity', reconnectDelay: '250', reconnectDelayMax: 'soon' }, (m) => reports.push(m));
    assert.deepEqual(policy, { attempts: Infinity, delayMs: 250, maxDelayMs: 2000 });
    assert.equal(reports.length, 1);
    assert.match(reports[0]!, /reconnect-delay-max="soon"/);
  });

  it('ice-transport-policy: all, relay, else reported as all', () => {
    const reports: string[] = [];
    assert.equal(readIceTransportPolicy('relay', (m) => reports.push(m)), 'relay');
    assert.equal(readIceTransportPolicy(null, (m) => reports.push(m)), 'all');
    assert.equal(readIceTransportPolicy('turn', (m) => reports.push(m)), 'all');
    assert.equal(reports.length, 1);
  });

  it('join options: a room size below 2 or not whole, or an unknown topology, is refused', () => {
    assert.deepEqual(readJoinOptions('pw', '4'), { password: 'pw', maxParticipants: 4 });
    assert.deepEqual(readJoinOptions(null, ''), {});
    for (const bad of ['1', '2.5', 'many']) assert.throws(() => readJoinOptions(null, bad), { code: 'invalid-request' });
    assert.deepEqual(readJoinOptions(null, null, 'sfu'), { topology: 'sfu' });
    assert.deepEqual(readJoinOptions(null, '12', 'auto'), { maxParticipants: 12, topology: 'auto' });
    assert.deepEqual(readJoinOptions(null, null, ''), {});
    assert.throws(() => readJoinOptions(null, null, 'star'), { code: 'invalid-request', message: /topology="star".*"mesh", "sfu" or "auto"/ });
  });

  it('a remembered userid comes back for its room, never for two rooms of one page; blocked storage still works', () => {
    const data = new Map<string, string>();
    const store = () => ({ getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v) });
    const first = rememberedUserid('r', store);
    assert.match(first, /^user-[0-9a-z]+$/);
    const second = rememberedUserid('r', store);
    assert.notEqual(second, first, 'claimed by the first room');
    releaseUserid(first);
    assert.equal(rememberedUserid('r', store), first);
    const blocked = () => {
      throw new Error('SecurityError');
    };
    assert.match(rememberedUserid('r', blocked), /^user-/);
  });
});
