// One behaviour for every RoomStore: the same tests run against the
// in-memory store and the Redis one (store.test.ts). Every method, every
// result status, awaited whether the store answers synchronously or not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Extra, Permission, Role } from '../../src/protocol.js';
import { MAX_STREAM_CLAIMS, type EnterResult, type RoomInfo, type RoomMember, type RoomStore } from '../../src/server/rooms.js';

export interface StoreFixture {
  store: RoomStore;
  /**
   * A second handle on the same rooms: another node's store for a shared
   * store, the same object for a private one. The "across nodes" tests
   * alternate between the two.
   */
  other: RoomStore;
}

const m = (userid: string, connId = `${userid}-c1`, extra: Extra = {}, permissions?: Permission[], role: Role = 'participant'): RoomMember =>
  permissions ? { userid, connId, extra, permissions, role } : { userid, connId, extra, role };

function ok(result: EnterResult): Extract<EnterResult, { status: 'ok' }> {
  assert.equal(result.status, 'ok', `expected ok, got ${JSON.stringify(result)}`);
  return result as Extract<EnterResult, { status: 'ok' }>;
}

async function info(store: RoomStore, roomid: string): Promise<RoomInfo> {
  const room = await store.get(roomid);
  assert.ok(room, `room ${roomid} exists`);
  return room;
}

export function roomStoreSuite(name: string, make: () => Promise<StoreFixture>, skip: string | false = false): void {
  describe(`RoomStore: ${name}`, { skip }, () => {
    describe('get', () => {
      it('undefined for a room that does not exist', async () => {
        const { store } = await make();
        assert.equal(await store.get('nope'), undefined);
      });

      it('the room as created: size, max, password hash, token', async () => {
        const { store } = await make();
        const created = ok(await store.create({ roomid: 'r', maxParticipants: 5, passwordHash: 'scrypt$h' }, m('a')));
        const room = await info(store, 'r');
        assert.deepEqual(room, { roomid: 'r', token: created.room.token, maxParticipants: 5, passwordHash: 'scrypt$h', size: 1, lobby: false, locked: false });
        assert.equal(typeof room.token, 'string');
        ok(await store.join('r', room.token, m('b')));
        assert.equal((await info(store, 'r')).size, 2);
        ok(await store.create({ roomid: 'open', maxParticipants: 2, passwordHash: null }, m('c')));
        assert.equal((await info(store, 'open')).passwordHash, null);
      });
    });

    describe('create', () => {
      it('ok: the creator is the only member, nobody replaced', async () => {
        const { store } = await make();
        const r = ok(await store.create({ roomid: 'r', maxParticipants: 4, passwordHash: null }, m('a')));
        assert.deepEqual(r.peers, []);
        assert.equal(r.replaced, null);
        assert.deepEqual({ ...r.room, token: 'x' }, { roomid: 'r', token: 'x', maxParticipants: 4, passwordHash: null, size: 1, lobby: false, locked: false });
        assert.deepEqual(await store.member('r', 'a'), m('a'));
      });

      it('exists: the room is there already (also when created through another node)', async () => {
        const { store, other } = await make();
        ok(await store.create({ roomid: 'r', maxParticipants: 4, passwordHash: null }, m('a')));
        assert.deepEqual(await other.create({ roomid: 'r', maxParticipants: 4, passwordHash: null }, m('b')), { status: 'exists' });
        assert.equal(await store.member('r', 'b'), undefined);
      });

      it('already-in-room: this very connection holds a membership', async () => {
        const { store } = await make();
        ok(await store.create({ roomid: 'r1', maxParticipants: 4, passwordHash: null }, m('a')));
        assert.deepEqual(await store.create({ roomid: 'r2', maxParticipants: 4, passwordHash: null }, m('a')), { status: 'already-in-room' });
        assert.equal(await store.get('r2'), undefined);
      });

      it('a newer connection of the userid takes the membership from another room (replaced), which is deleted when emptied', async () => {
        const { store, other } = await make();
        ok(await store.create({ roomid: 'old', maxParticipants: 4, passwordHash: null }, m('a', 'c1')));
        const r = ok(await other.create({ roomid: 'new', maxParticipants: 4, passwordHash: null }, m('a', 'c2')));
        assert.deepEqual(r.replaced, { connId: 'c1', roomid: 'old' });
        assert.equal(await store.get('old'), undefined);
        assert.equal((await store.member('new', 'a'))?.connId, 'c2');
        // connection(): the relay's lookup, the same answer from every node.
        assert.equal(await store.connection('new', 'a'), 'c2');
        assert.equal(await other.connection('new', 'a'), 'c2');
        assert.equal(await store.connection('old', 'a'), undefined);
        assert.equal(await store.connection('new', 'nobody'), undefined);
      });

      it('a room incarnation has its own token', async () => {
        const { store } = await make();
        const first = ok(await store.create({ roomid: 'r', maxParticipants: 4, passwordHash: null }, m('a')));
        assert.deepEqual(await store.leave('r', 'a', 'a-c1'), { left: true, deleted: true });
        const second = ok(await store.create({ roomid: 'r', maxParticipants: 4, passwordHash: null }, m('a')));
        assert.notEqual(first.room.token, second.room.token);
      });
    });

    describe('join', () => {
      it('ok: the others in join order, with extra and permissions as given', async () => {
        const { store, other } = await make();
        const extraA = { name: 'Ada', list: [], nested: { a: [1, 'x', null], empty: {} }, text: 'line\nbreak, "quoted" ✓' };
        ok(await store.create({ roomid: 'r', maxParticipants: 8, passwordHash: null }, m('a', 'a1', extraA, ['open', 'publish'])));
        const token = (await info(store, 'r')).token;
        ok(await other.join('r', token, m('b', 'b1', 42, [])));
        ok(await store.join('r', token, m('c', 'c1', 'text')));
        const r = ok(await other.join('r', token, m('d', 'd1', null)));
        assert.deepEqual(r.peers, [m('a', 'a1', extraA, ['open', 'publish']), m('b', 'b1', 42, []), m('c', 'c1', 'text')]);
        assert.equal(r.replaced, null);
        assert.equal(r.room.size, 4);
        // No permissions (no room tokens) stays absent, not an empty list.
        assert.equal('permissions' in r.peers[2]!, false);
      });

      it('not-found', async () => {
        const { store } = await make();
        assert.deepEqual(await store.join('nope', '1', m('a')), { status: 'not-found' });
      });

      it('changed: the room was re-created since its token was read', async () => {
        const { store, other } = await make();
        ok(await store.create({ roomid: 'r', maxParticipants: 4, passwordHash: 'h1' }, m('a')));
        const stale = (await info(store, 'r')).token;
        await store.leave('r', 'a', 'a-c1');
        ok(await other.create({ roomid: 'r', maxParticipants: 4, passwordHash: 'h2' }, m('b')));
        assert.deepEqual(await store.join('r', stale, m('c')), { status: 'changed' });
        assert.equal(await store.member('r', 'c'), undefined);
      });

      it('full: no place left; nothing changes (not even the joiner\'s other membership)', async () => {
        const { store, other } = await make();
        ok(await store.create({ roomid: 'r', maxParticipants: 2, passwordHash: null }, m('a')));
        const token = (await info(store, 'r')).token;
        ok(await other.join('r', token, m('b')));
        ok(await store.create({ roomid: 'elsewhere', maxParticipants: 2, passwordHash: null }, m('c', 'c1')));
        assert.deepEqual(await other.join('r', token, m('c', 'c2')), { status: 'full' });
        assert.equal((await store.member('elsewhere', 'c'))?.connId, 'c1');
        assert.equal((await info(store, 'r')).size, 2);
      });

      it('already-in-room', async () => {
        const { store } = await make();
        ok(await store.create({ roomid: 'r', maxParticipants: 4, passwordHash: null }, m('a')));
        ok(await store.create({ roomid: 'r2', maxParticipants: 4, passwordHash: null }, m('b')));
        assert.deepEqual(await store.join('r2', (await info(store, 'r2')).token, m('a')), { status: 'already-in-room' });
      });

      it('the same userid on a newer connection takes its own place: no capacity needed, join order kept (replaced)', async () => {
        const { store, other } = await make();
        ok(await store.create({ roomid: 'r', maxParticipants: 2, passwordHash: null }, m('a', 'a1')));
        const token = (await info(store, 'r')).token;
        ok(await store.join('r', token, m('b', 'b1')));
        const r = ok(await other.join('r', token, m('a', 'a2', { v: 2 })));
        assert.deepEqual(r.replaced, { connId: 'a1', roomid: 'r' });
        assert.deepEqual(r.peers, [m('b', 'b1')]);
        assert.equal(r.room.size, 2);
        const c = ok(await other.join('r', token, m('b', 'b2')));
        assert.deepEqual(c.peers, [m('a', 'a2', { v: 2 })], 'a still first');
        // The old connection no longer holds anything.
        assert.deepEqual(await store.leave('r', 'a', 'a1'), { left: false, deleted: false });
        assert.equal(await store.updateExtra('r', 'a', 'a1', { stale: true }), false);
      });

      it('a newer connection of the userid moves it from another room (replaced)', async () => {
        const { store, other } = await make();
        ok(await store.create({ roomid: 'old', maxParticipants: 4, passwordHash: null }, m('a', 'a1')));
        ok(await store.join('old', (await info(store, 'old')).token, m('x')));
        ok(await store.create({ roomid: 'new', maxParticipants: 4, passwordHash: null }, m('b')));
        const r = ok(await other.join('new', (await info(other, 'new')).token, m('a', 'a2')));
        assert.deepEqual(r.replaced, { connId: 'a1', roomid: 'old' });
        assert.equal(await store.member('old', 'a'), undefined);
        assert.equal((await info(store, 'old')).size, 1, 'x stays in old');
        assert.deepEqual((await store.stats()).members, 3);
      });

      it('racing joiners through two nodes for the last places: exactly that many succeed', async () => {
        const { store, other } = await make();
        ok(await store.create({ roomid: 'r', maxParticipants: 4, passwordHash: null }, m('owner')));
        const token = (await info(store, 'r')).token;
        const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? store : other).join('r', token, m(`j${i}`))));
        assert.equal(results.filter((r) => r.status === 'ok').length, 3);
        assert.ok(results.every((r) => r.status === 'ok' || r.status === 'full'));
        assert.equal((await info(store, 'r')).size, 4);
      });
    });

    describe('leave', () => {
      it('left; deleted with the last member', async () => {
        const { store, other } = await make();
        ok(await store.create({ roomid: 'r', maxParticipants: 4, passwordHash: null }, m('a')));
        ok(await store.join('r', (await info(store, 'r')).token, m('b')));
        assert.deepEqual(await other.leave('r', 'a', 'a-c1'), { left: true, deleted: false });
        assert.equal(await store.member('r', 'a'), undefined);
        assert.deepEqual(await store.leave('r', 'b', 'b-c1'), { left: true, deleted: true });
        assert.equal(await store.get('r'), undefined);
        assert.deepEqual(await store.stats(), { rooms: 0, members: 0 });
      });

      it('not left: wrong connection, twice, unknown room or userid', async () => {
        const { store } = await make();
        ok(await store.create({ roomid: 'r', maxParticipants: 4, passwordHash: null }, m('a')));
        assert.deepEqual(await store.leave('r', 'a', 'someone-else'), { left: false, deleted: false });
        assert.deepEqual(await store.leave('nope', 'a', 'a-c1'), { left: false, deleted: false });
        assert.deepEqual(await store.leave('r', 'zz', 'a-c1'), { left: false, deleted: false });
        assert.deepEqual(await store.leave('r', 'a', 'a-c1'), { left: true, deleted: true });
        assert.deepEqual(await store.leave('r', 'a', 'a-c1'), { left: false, deleted: false });
      });

      it('a userid that left can enter again on the same connection', async () => {
        const { store } = await make();
        ok(await store.create({ roomid: 'r', maxParticipants: 4, passwordHash: null }, m('a')));
        await store.leave('r', 'a', 'a-c1');
        ok(await store.create({ roomid: 'r2', maxParticipants: 4, passwordHash: null }, m('a')));
      });
    });

    describe('member', () => {
      it('the member as stored (through either node); undefined for others', async () => {
        const { store, other } = await make();
        ok(await store.create({ roomid: 'r', maxParticipants: 4, passwordHash: null }, m('a', 'a1', { n: 1 }, ['data'])));
        assert.deepEqual(await other.member('r', 'a'), m('a', 'a1', { n: 1 }, ['data']));
        assert.equal(await store.member('r', 'b'), undefined);
        assert.equal(await store.member('nope', 'a'), undefined);
      });
    });

    describe('updateExtra', () => {
      it('true and visible to later joiners when the connection holds the membership; false otherwise', async () => {
        const { store, other } = await make();
        ok(await store.create({ roomid: 'r', maxParticipants: 4, passwordHash: null }, m('a', 'a1', { v: 1 }, ['publish'])));
        assert.equal(await store.updateExtra('r', 'a', 'a1', { v: 2, list: [] }), true);
        assert.equal(await store.updateExtra('r', 'a', 'other', { v: 3 }), false);
        assert.equal(await store.updateExtra('r', 'nobody', 'a1', { v: 3 }), false);
        assert.equal(await store.updateExtra('nope', 'a', 'a1', { v: 3 }), false);
        const r = ok(await other.join('r', (await info(store, 'r')).token, m('b')));
        assert.deepEqual(r.peers, [m('a', 'a1', { v: 2, list: [] }, ['publish'])]);
      });
    });

    describe('claimStreams', () => {
      const room = { roomid: 'r', maxParticipants: 8, passwordHash: null };
      async function three(store: RoomStore): Promise<void> {
        const token = ok(await store.create(room, m('a'))).room.token;
        ok(await store.join('r', token, m('b')));
        ok(await store.join('r', token, m('c')));
      }

      it('first announcer owns an id; another member is refused (also through another node); the owner may repeat it', async () => {
        const { store, other } = await make();
        await three(store);
        assert.deepEqual(await store.claimStreams('r', 'b', 'b-c1', ['cam', 'screen']), { status: 'ok' });
        assert.deepEqual(await other.claimStreams('r', 'c', 'c-c1', ['own', 'cam']), { status: 'taken', streamid: 'cam', owner: 'b' });
        assert.deepEqual(await store.claimStreams('r', 'b', 'b-c1', ['cam']), { status: 'ok' });
        // A refused claim claims nothing, not even its free ids.
        assert.deepEqual(await store.claimStreams('r', 'a', 'a-c1', ['own']), { status: 'ok' });
      });

      it('not-member: wrong connection, or not in the room', async () => {
        const { store } = await make();
        await three(store);
        assert.deepEqual(await store.claimStreams('r', 'b', 'other-conn', ['x']), { status: 'not-member' });
        assert.deepEqual(await store.claimStreams('r', 'z', 'z-c1', ['x']), { status: 'not-member' });
        assert.deepEqual(await store.claimStreams('nope', 'b', 'b-c1', ['x']), { status: 'not-member' });
      });

      it('claims go with the membership: free again after a leave; kept by a newer connection of the same userid', async () => {
        const { store, other } = await make();
        await three(store);
        const token = (await info(store, 'r')).token;
        assert.deepEqual(await store.claimStreams('r', 'b', 'b-c1', ['cam']), { status: 'ok' });
        ok(await other.join('r', token, m('b', 'b-c2')));
        assert.equal((await store.claimStreams('r', 'c', 'c-c1', ['cam'])).status, 'taken');
        assert.deepEqual(await store.leave('r', 'b', 'b-c2'), { left: true, deleted: false });
        assert.deepEqual(await other.claimStreams('r', 'c', 'c-c1', ['cam']), { status: 'ok' });
      });

      it('a member keeps its latest MAX_STREAM_CLAIMS ids; older ones lapse', async () => {
        const { store } = await make();
        await three(store);
        const ids = Array.from({ length: MAX_STREAM_CLAIMS + 2 }, (_, i) => `s${i}`);
        for (const id of ids) assert.deepEqual(await store.claimStreams('r', 'b', 'b-c1', [id]), { status: 'ok' });
        assert.deepEqual(await store.claimStreams('r', 'c', 'c-c1', ['s0', 's1']), { status: 'ok' });
        assert.equal((await store.claimStreams('r', 'c', 'c-c1', [ids.at(-1)!])).status, 'taken');
      });
    });

    describe('hosts: roles, lobby, mutes, remove, lock, end', () => {
      const host = (userid: string, connId = `${userid}-c1`) => m(userid, connId, {}, undefined, 'host');
      const lobbyRoom = { roomid: 'r', maxParticipants: 3, passwordHash: null, lobby: true };

      it('roles as given; a newer connection of a host stays host; setRole through either node; members in join order', async () => {
        const { store, other } = await make();
        const created = ok(await store.create({ roomid: 'r', maxParticipants: 4, passwordHash: null }, host('a')));
        assert.deepEqual([created.room.lobby, created.room.locked], [false, false]);
        const token = created.room.token;
        ok(await other.join('r', token, m('b')));
        ok(await store.join('r', token, m('c')));
        assert.equal((await other.member('r', 'a'))?.role, 'host');
        // a's reload arrives as a participant (no token says otherwise): it keeps host.
        const again = ok(await other.join('r', token, m('a', 'a-c2')));
        assert.deepEqual(again.replaced, { connId: 'a-c1', roomid: 'r' });
        assert.deepEqual(await store.member('r', 'a'), host('a', 'a-c2'));
        assert.deepEqual(await other.setRole('r', 'b', 'host'), host('b'));
        assert.equal(await store.setRole('r', 'nobody', 'host'), undefined);
        assert.deepEqual(await store.members('r'), [host('a', 'a-c2'), host('b'), m('c')]);
        assert.deepEqual(await store.members('nope'), []);
      });

      it('lobby: a participant waits (hosts listed), a host enters; admit once (of two racing), the admitted connection enters', async () => {
        const { store, other } = await make();
        const token = ok(await store.create(lobbyRoom, host('h'))).room.token;
        assert.equal((await info(other, 'r')).lobby, true);
        assert.deepEqual(await other.join('r', token, m('p', 'p-c1', { name: 'P' })), { status: 'waiting', hosts: ['h-c1'] });
        assert.deepEqual(await store.join('r', token, m('q')), { status: 'waiting', hosts: ['h-c1'] });
        assert.deepEqual(await store.lobby('r'), [
          { userid: 'p', connId: 'p-c1', extra: { name: 'P' }, admitted: false },
          { userid: 'q', connId: 'q-c1', extra: {}, admitted: false },
        ]);
        assert.equal((await info(store, 'r')).size, 1, 'waiting is not being in');
        ok(await other.join('r', token, host('h2')));
        const admits = await Promise.all([store.admit('r', 'p'), other.admit('r', 'p')]);
        assert.deepEqual(admits.sort(), ['p-c1', null].sort());
        assert.equal(await store.admit('r', 'ghost'), null);
        // Another connection of p still waits; p's own connection enters.
        assert.equal((await store.join('r', token, m('p', 'p-c9'))).status, 'waiting');
        assert.equal((await store.join('r', token, m('p', 'p-c1'))).status, 'waiting', 'the impostor took the place in the queue');
        assert.equal(await store.admit('r', 'p'), 'p-c1');
        const entered = ok(await other.join('r', token, m('p', 'p-c1', { name: 'P' })));
        assert.deepEqual(entered.peers.map((x) => x.userid), ['h', 'h2']);
        assert.deepEqual((await store.lobby('r')).map((e) => e.userid), ['q']);
        // Full: admitted or not, capacity holds.
        assert.equal(await store.admit('r', 'q'), 'q-c1');
        assert.deepEqual(await store.join('r', token, m('q')), { status: 'full' });
      });

      it('deny (by connection when given), expired entries lapse', async () => {
        const { store, other } = await make();
        const token = ok(await store.create(lobbyRoom, host('h'))).room.token;
        await store.join('r', token, m('p'), 50);
        await store.join('r', token, m('q'));
        assert.equal(await other.deny('r', 'p', 'other-conn'), null);
        assert.equal(await other.deny('r', 'p', 'p-c1'), 'p-c1');
        assert.equal(await store.deny('r', 'p'), null);
        await store.join('r', token, m('p'), 50);
        await new Promise((resolve) => setTimeout(resolve, 80));
        assert.deepEqual((await other.lobby('r')).map((e) => e.userid), ['q']);
        assert.equal(await store.admit('r', 'p'), null, 'lapsed');
        assert.equal(await store.deny('r', 'q'), 'q-c1');
        assert.deepEqual(await store.lobby('r'), []);
      });

      it('host mutes: set and lifted per kind, kept by a newer connection, gone with the membership', async () => {
        const { store, other } = await make();
        const token = ok(await store.create({ roomid: 'r', maxParticipants: 4, passwordHash: null }, host('h'))).room.token;
        ok(await store.join('r', token, m('p')));
        assert.equal(await other.setHostMuted('r', 'p', 'video', true), true);
        assert.equal(await store.setHostMuted('r', 'p', 'audio', true), true);
        assert.deepEqual((await other.member('r', 'p'))?.hostMuted, ['audio', 'video']);
        assert.equal(await store.setHostMuted('r', 'nobody', 'audio', true), false);
        ok(await other.join('r', token, m('p', 'p-c2')));
        assert.deepEqual((await store.member('r', 'p'))?.hostMuted, ['audio', 'video']);
        assert.equal(await other.setHostMuted('r', 'p', 'audio', false), true);
        assert.deepEqual((await store.member('r', 'p'))?.hostMuted, ['video']);
        await store.updateExtra('r', 'p', 'p-c2', { n: 1 });
        assert.deepEqual(await other.member('r', 'p'), { ...m('p', 'p-c2', { n: 1 }), hostMuted: ['video'] });
        await store.leave('r', 'p', 'p-c2');
        ok(await store.join('r', token, m('p', 'p-c3')));
        assert.deepEqual(await other.member('r', 'p'), m('p', 'p-c3'));
      });

      it('remove: a member (whatever connection) or a lobby entry, banned until the time given', async () => {
        const { store, other } = await make();
        const token = ok(await store.create(lobbyRoom, host('h'))).room.token;
        ok(await store.join('r', token, host('mod')));
        await store.join('r', token, m('w'));
        assert.deepEqual(await other.remove('r', 'mod', Date.now() + 60_000), { connId: 'mod-c1', wasMember: true });
        assert.equal(await store.member('r', 'mod'), undefined);
        assert.deepEqual(await store.stats(), { rooms: 1, members: 1 });
        assert.deepEqual(await other.remove('r', 'w', Date.now() + 100), { connId: 'w-c1', wasMember: false });
        assert.deepEqual(await store.lobby('r'), []);
        assert.equal(await store.remove('r', 'ghost', Date.now() + 60_000), null);
        assert.equal(await store.remove('nope', 'h', Date.now() + 60_000), null);
        // Banned: even as a host, even on another connection; the ban ends.
        assert.deepEqual(await store.join('r', token, host('mod', 'mod-c2')), { status: 'banned' });
        assert.deepEqual(await other.join('r', token, m('w', 'w-c2')), { status: 'banned' });
        await new Promise((resolve) => setTimeout(resolve, 120));
        assert.equal((await other.join('r', token, m('w', 'w-c2'))).status, 'waiting');
        // A ban goes with the room.
        await store.leave('r', 'h', 'h-c1');
        ok(await store.create({ roomid: 'r', maxParticipants: 3, passwordHash: null }, host('mod')));
      });

      it('lock: nobody new (hosts may), the lobby emptied; a member\'s newer connection still enters; unlock', async () => {
        const { store, other } = await make();
        const token = ok(await store.create(lobbyRoom, host('h'))).room.token;
        ok(await store.join('r', token, host('p')));
        await store.setRole('r', 'p', 'participant');
        await store.join('r', token, m('w', 'w-c1', { n: 'W' }));
        assert.deepEqual(await other.setLocked('r', true), [{ userid: 'w', connId: 'w-c1', extra: { n: 'W' }, admitted: false }]);
        assert.equal((await info(store, 'r')).locked, true);
        assert.deepEqual(await store.lobby('r'), []);
        assert.deepEqual(await store.join('r', token, m('w')), { status: 'locked' });
        assert.equal((await other.join('r', token, m('p', 'p-c2'))).status, 'ok');
        assert.equal((await other.join('r', token, host('mod'))).status, 'ok');
        assert.deepEqual(await store.setLocked('r', false), []);
        assert.equal((await info(other, 'r')).locked, false);
        assert.equal((await store.join('r', token, m('w'))).status, 'waiting');
        assert.equal(await store.setLocked('nope', true), null);
      });

      it('end: everyone and the lobby reported, the room and its userids gone', async () => {
        const { store, other } = await make();
        const token = ok(await store.create(lobbyRoom, host('h'))).room.token;
        ok(await store.join('r', token, host('p')));
        await store.join('r', token, m('w'));
        assert.deepEqual(await store.claimStreams('r', 'p', 'p-c1', ['cam']), { status: 'ok' });
        const ended = await other.end('r');
        assert.deepEqual(ended, { members: [host('h'), host('p')], lobby: [{ userid: 'w', connId: 'w-c1', extra: {}, admitted: false }] });
        assert.equal(await store.get('r'), undefined);
        assert.deepEqual(await store.stats(), { rooms: 0, members: 0 });
        assert.equal(await other.end('r'), null);
        // The userids are free: p may open a room with its stream ids again.
        const again = ok(await store.create({ roomid: 'r', maxParticipants: 3, passwordHash: null }, m('p', 'p-c2')));
        assert.equal(again.replaced, null);
        assert.deepEqual(await store.claimStreams('r', 'p', 'p-c2', ['cam']), { status: 'ok' });
      });
    });

    describe('sfu placement', () => {
      const j1 = { url: 'ws://127.0.0.1:8188', room: 'r', secret: 's1' };
      const j2 = { url: 'ws://127.0.0.1:8189', room: 'r', secret: 's2' };
      const j3 = { url: 'ws://127.0.0.1:8189', room: 'r~x', secret: 's3' };

      it('none for a mesh room or a missing one; a missing room takes none', async () => {
        const { store } = await make();
        assert.equal(await store.sfuPlacement('nope'), null);
        assert.equal(await store.placeSfu('nope', j1, null), null);
        assert.equal(await store.sfuPlacement('nope'), null, 'placing did not create the room');
        ok(await store.create({ roomid: 'r', maxParticipants: 4, passwordHash: null }, m('a')));
        assert.equal(await store.sfuPlacement('r'), null);
      });

      it('the first node to place a room wins; the other gets the winner, secret included', async () => {
        const { store, other } = await make();
        ok(await store.create({ roomid: 'r', maxParticipants: 4, passwordHash: null }, m('a')));
        assert.deepEqual(await store.placeSfu('r', j1, null), j1);
        assert.deepEqual(await other.placeSfu('r', j3, null), j1, 'lost: the room had a placement already');
        assert.deepEqual(await other.sfuPlacement('r'), j1);
      });

      it('re-placing (failover) replaces only the placement it saw: of two nodes, one wins', async () => {
        const { store, other } = await make();
        ok(await store.create({ roomid: 'r', maxParticipants: 4, passwordHash: null }, m('a')));
        await store.placeSfu('r', j1, null);
        assert.deepEqual(await other.placeSfu('r', j2, j1), j2);
        assert.deepEqual(await store.placeSfu('r', j3, j1), j2, 'lost: j1 was replaced already');
        // The same Janus room with another secret (a restarted instance) counts as the same placement.
        assert.deepEqual(await store.placeSfu('r', j3, { ...j2, secret: 'other' }), j3);
        assert.deepEqual(await other.sfuPlacement('r'), j3);
        // Back to a mesh: only the current placement can be dropped.
        assert.deepEqual(await other.placeSfu('r', null, j1), j3);
        assert.equal(await other.placeSfu('r', null, j3), null);
        assert.equal(await store.sfuPlacement('r'), null);
        assert.ok((await store.get('r'))?.size, 'the room itself stays');
      });

      it('goes with the room: a room of the same id opened later is a mesh room until placed', async () => {
        const { store, other } = await make();
        ok(await store.create({ roomid: 'r', maxParticipants: 4, passwordHash: null }, m('a')));
        await store.placeSfu('r', j1, null);
        assert.deepEqual(await store.leave('r', 'a', 'a-c1'), { left: true, deleted: true });
        assert.equal(await other.sfuPlacement('r'), null);
        ok(await other.create({ roomid: 'r', maxParticipants: 4, passwordHash: null }, m('b')));
        assert.equal(await store.sfuPlacement('r'), null);
        assert.deepEqual(await other.placeSfu('r', j2, null), j2);
      });
    });

    describe('stats', () => {
      it('rooms and members, through either node', async () => {
        const { store, other } = await make();
        assert.deepEqual(await store.stats(), { rooms: 0, members: 0 });
        ok(await store.create({ roomid: 'r1', maxParticipants: 4, passwordHash: null }, m('a')));
        ok(await other.create({ roomid: 'r2', maxParticipants: 4, passwordHash: null }, m('b')));
        ok(await other.join('r1', (await info(store, 'r1')).token, m('c')));
        assert.deepEqual(await store.stats(), { rooms: 2, members: 3 });
        assert.deepEqual(await other.stats(), { rooms: 2, members: 3 });
      });
    });

    describe('clear', () => {
      it('forgets what this server holds', async () => {
        const { store } = await make();
        ok(await store.create({ roomid: 'r1', maxParticipants: 4, passwordHash: null }, m('a')));
        ok(await store.join('r1', (await info(store, 'r1')).token, m('b')));
        ok(await store.create({ roomid: 'r2', maxParticipants: 4, passwordHash: null }, m('c')));
        await store.clear();
        assert.deepEqual(await store.stats(), { rooms: 0, members: 0 });
        assert.equal(await store.get('r1'), undefined);
        assert.equal(await store.member('r2', 'c'), undefined);
        // The userids are free again.
        ok(await store.create({ roomid: 'r1', maxParticipants: 4, passwordHash: null }, m('a', 'a2')));
      });
    });
  });
}
