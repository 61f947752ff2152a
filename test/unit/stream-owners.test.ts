// A remote stream id belongs to the member who sent it first (issue #15: a member offering its camera under another member's stream id).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RemoteTiles, type Tile } from '../../src/room/remote-tiles.js';
import { StreamOwners } from '../../src/room/stream-owners.js';

const tile = (userid: string, removed: string[]): Tile => ({
  userid,
  extra: null,
  audioMuted: false,
  videoMuted: false,
  remove: () => void removed.push(userid),
});

describe('stream owners', () => {
  it('the first sender owns an id; another member is refused; the owner may send it again', () => {
    const owners = new StreamOwners();
    assert.equal(owners.claim('bob', 'cam'), true);
    assert.equal(owners.claim('mallory', 'cam'), false);
    assert.equal(owners.owner('cam'), 'bob');
    assert.equal(owners.claim('bob', 'cam'), true);
    assert.equal(owners.owns('mallory', 'cam'), false);
  });

  it('an id is free once its stream ended or its owner left; a stranger cannot free it', () => {
    const owners = new StreamOwners();
    owners.claim('bob', 'cam');
    owners.release('mallory', 'cam');
    assert.equal(owners.owner('cam'), 'bob');
    owners.release('bob', 'cam');
    assert.equal(owners.claim('alice', 'cam'), true);
    owners.releaseUser('alice');
    assert.equal(owners.owner('cam'), undefined);
  });
});

describe('remote tiles are keyed by (userid, streamid)', () => {
  it('the same stream id from another member neither replaces nor ends the owner\'s tile', () => {
    const removed: string[] = [];
    const tiles = new RemoteTiles<Tile>();
    tiles.show('bob', 'cam', tile('bob', removed));
    tiles.show('mallory', 'cam', tile('mallory', removed));
    assert.deepEqual(removed, []);
    assert.equal(tiles.get('bob', 'cam')?.userid, 'bob');
    tiles.ended('mallory', 'cam');
    assert.equal(tiles.get('bob', 'cam')?.userid, 'bob');
    tiles.muted('mallory', 'cam', 'video', true);
    assert.equal(tiles.get('bob', 'cam')?.videoMuted, false);
  });
});
