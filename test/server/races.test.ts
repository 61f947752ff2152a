// Decisions that must be atomic on the server, hit by simultaneous callers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RoomJoinedPayload } from '../../src/protocol.js';
import { hashPassword } from '../../src/server/password.js';
import { MemoryRoomStore, type RoomMember } from '../../src/server/rooms.js';
import { connectAll, ok, refused, send, startServer } from './helpers.js';

const ROUNDS = 10;

describe('races', () => {
  for (const password of [undefined, 'pw']) {
    it(`open-or-join: of two simultaneous callers exactly one opens${password ? ' (password room)' : ''}`, async () => {
      const server = await startServer();
      for (let round = 0; round < ROUNDS; round++) {
        const [a, b] = await connectAll(server, [`a${round}`, `b${round}`]);
        const roomid = `race-${round}`;
        const results = await Promise.all(
          [a!, b!].map((c) => send(c, 'room:open-or-join', { roomid, password })),
        );
        assert.ok(results.every((r) => r.ok), JSON.stringify(results));
        const acks = results as unknown as RoomJoinedPayload[];
        assert.equal(acks.filter((r) => r.isInitiator).length, 1, 'exactly one opener');
        const joiner = acks.find((r) => !r.isInitiator)!;
        const opener = acks.find((r) => r.isInitiator)!;
        assert.deepEqual(
          joiner.peers.map((p) => p.userid),
          [opener.userid],
        );
        a!.disconnect();
        b!.disconnect();
      }
    });
  }

  it('open: of two simultaneous openers exactly one wins, the other gets room-exists', async () => {
    const server = await startServer();
    for (let round = 0; round < ROUNDS; round++) {
      const [a, b] = await connectAll(server, [`a${round}`, `b${round}`]);
      const results = await Promise.all([a!, b!].map((c) => send(c, 'room:open', { roomid: `open-${round}`, password: 'x' })));
      assert.equal(results.filter((r) => r.ok).length, 1);
      const loser = results.find((r) => !r.ok);
      assert.equal(loser && !loser.ok && loser.error.code, 'room-exists');
      a!.disconnect();
      b!.disconnect();
    }
  });

  for (const password of [undefined, 'pw']) {
    it(`room-full: ten callers for the last place, exactly one wins${password ? ' (password room)' : ''}`, async () => {
      const server = await startServer({ maxRoomSize: 4 });
      for (let round = 0; round < 3; round++) {
        const roomid = `full-${round}`;
        const members = await connectAll(server, [0, 1, 2].map((i) => `m${round}-${i}`));
        await ok(members[0]!, 'room:open', { roomid, password });
        await ok(members[1]!, 'room:join', { roomid, password });
        await ok(members[2]!, 'room:join', { roomid, password });
        const racers = await connectAll(server, Array.from({ length: 10 }, (_, i) => `racer${round}-${i}`));
        const results = await Promise.all(
          racers.map((r, i) => send(r, i % 2 ? 'room:join' : 'room:open-or-join', { roomid, password })),
        );
        const winners = results.filter((r) => r.ok);
        assert.equal(winners.length, 1, JSON.stringify(results));
        for (const r of results) if (!r.ok) assert.equal(r.error.code, 'room-full');
        const presence = await ok(members[0]!, 'room:presence', { roomid });
        assert.equal(presence.isFull, true);
        for (const c of [...members, ...racers]) c.disconnect();
      }
    });
  }

  it('a room re-created while a joiner checks the password: the join does not land in the new room', async () => {
    // The swap happens inside the store, right before the joiner's atomic
    // join, as if it had happened during the (async) password check.
    class SwappingStore extends MemoryRoomStore {
      swap: (() => void) | undefined;
      override join(roomid: string, token: string, member: RoomMember) {
        const swap = this.swap;
        this.swap = undefined;
        swap?.();
        return super.join(roomid, token, member);
      }
    }
    const store = new SwappingStore();
    const server = await startServer({ store });
    const [owner, joiner] = await connectAll(server, ['owner', 'joiner']);
    await ok(owner!, 'room:open', { roomid: 'r', password: 'old' });
    const newHash = await hashPassword('new', 1024);
    store.swap = () => {
      store.leave('r', 'owner', owner!.id!);
      store.create({ roomid: 'r', maxParticipants: 8, passwordHash: newHash }, { userid: 'thief', connId: 'elsewhere', extra: {} });
    };
    await refused(joiner!, 'room:join', { roomid: 'r', password: 'old' }, 'invalid-password');
    assert.equal(store.swap, undefined, 'the swap ran');
    assert.equal(store.member('r', 'joiner'), undefined);
  });
});
