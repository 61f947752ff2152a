// Room tokens as the page lives with them: permissions honoured by the
// client, and tokens that run out during a call. A signaling server process
// started with --token-secret; tokens minted by the test runner as a backend
// would (executeServerCommand('room-token')).
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import type { Permission, RoomErrorEvent, RoomMessageEvent, RtcRoom, TokenExpiredEvent, TokenExpiringEvent } from '../../dist/index.js';
import { record, sleep, waitFor } from './helpers.js';
import { createUser, expectDecodingFrom, expectVideoFrom, meshPeer, remoteStreamsFrom, removeAllUsers, uniqueRoom, type User } from './room-helpers.js';

const SECRET = 'browser-test-secret-0123456789-abcdefghij';
let serial = 0;

interface Started {
  url: string;
}
const signaling = (action: 'start' | 'stop') =>
  executeServerCommand<Started, { action: string; id: string; args: string[] }>('signaling', {
    action,
    id: 'tokens',
    args: ['--token-secret', SECRET],
  });

interface MintRequest {
  secret: string;
  userid: string;
  room: string;
  ttlSeconds: number;
  permissions?: Permission[];
  now?: number;
}
async function mint(userid: string, room: string, ttlSeconds = 3600, extra: Partial<MintRequest> = {}): Promise<string> {
  const res = await executeServerCommand<{ token: string }, MintRequest>('room-token', { secret: SECRET, userid, room, ttlSeconds, ...extra });
  return res!.token;
}

/** A user of the token server whose userid is the token's `sub`. */
async function tokenUser(url: string, roomid: string, name: string, token: (userid: string) => Promise<string>, join = true): Promise<User> {
  const userid = `${name}-${(serial++).toString(36)}`;
  return createUser(roomid, name, { userid, join, attrs: { 'socket-url': url, token: await token(userid) } });
}

/** A token that expired a minute ago. */
const staleToken = (userid: string, room: string) => mint(userid, room, 10, { now: Math.floor(Date.now() / 1000) - 60 });

/** Two people in a call; `user` holds a token that expires in `ttlSeconds` (`first`). */
async function callWithShortToken(url: string, label: string, ttlSeconds: number) {
  const roomid = uniqueRoom(label);
  const other = await tokenUser(url, roomid, 'other', (u) => mint(u, roomid));
  let first = '';
  const user = await tokenUser(url, roomid, 'u', async (u) => (first = await mint(u, roomid, ttlSeconds)));
  await expectVideoFrom(user, other);
  return { roomid, other, user, first };
}

/** The `exp` of a JWT, in ms. */
function expOf(token: string): number {
  const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { exp: number };
  return payload.exp * 1000;
}

/** Drops the socket's transport, as a network blip would: socket.io reconnects with the current auth. */
function blip(room: RtcRoom): void {
  (room.socket!.io as unknown as { engine: { close(): void } }).engine.close();
}

/** Collects console.warn lines while `fn` runs. */
function watchWarnings(): { lines: string[]; stop(): void } {
  const lines: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
    original.apply(console, args);
  };
  return { lines, stop: () => (console.warn = original) };
}

describe('room tokens in the client', function () {
  this.timeout(60000);
  let url: string;
  before(async () => {
    url = (await signaling('start'))!.url;
  });
  afterEach(async () => {
    await removeAllUsers();
  });
  after(async () => {
    await signaling('stop');
  });

  it('without `publish`: the captures stay local (one forbidden error), the user still sees and hears the others', async () => {
    const roomid = uniqueRoom('viewer');
    const host = await tokenUser(url, roomid, 'host', (u) => mint(u, roomid));
    const viewerId = `viewer-${(serial++).toString(36)}`;
    const token = await mint(viewerId, roomid, 3600, { permissions: ['data'] });
    const viewer = await createUser(roomid, 'viewer', { userid: viewerId, join: false, attrs: { 'socket-url': url, token } });
    const errors = record<RoomErrorEvent>(viewer.room, 'room-error');
    await viewer.room.join();

    await expectVideoFrom(viewer, host);
    const pc = viewer.room.peers.get(host.userid)!.connection;
    expect(pc.signalingState).to.equal('stable');
    expect(pc.getSenders().filter((s) => s.track)).to.have.length(0);
    // The viewer's camera does not reach the host, however long we wait.
    await sleep(1500);
    expect(remoteStreamsFrom(host, viewer.userid)).to.have.length(0);
    expect(host.room.peers.get(viewer.userid)?.streams ?? []).to.have.length(0);
    expect(errors.events.map((e) => e.detail.code)).to.deep.equal(['forbidden']);
    expect(errors.events[0]!.detail.message).to.match(/publish/);

    // A screen share added later is kept local too, without another error.
    const extra = await navigator.mediaDevices.getUserMedia({ video: true });
    viewer.room.addStream(extra);
    await sleep(500);
    expect(pc.getSenders().filter((s) => s.track)).to.have.length(0);
    expect(errors.events).to.have.length(1);
    extra.getTracks().forEach((t) => t.stop());

    // Data still flows both ways.
    const got = record<RoomMessageEvent>(host.room, 'room-message');
    viewer.room.send('hi from the audience');
    await waitFor(() => got.events.find((e) => e.detail.data === 'hi from the audience'), 'host receives the viewer message');
  });

  it('without `data`: send() is refused, and what a modified client sends anyway is dropped by the receivers', async () => {
    const roomid = uniqueRoom('nodata');
    const host = await tokenUser(url, roomid, 'host', (u) => mint(u, roomid));
    const mute = await tokenUser(url, roomid, 'mute', (u) => mint(u, roomid, 3600, { permissions: ['publish'] }));
    await expectVideoFrom(host, mute);

    expect(() => mute.room.send('hello')).to.throw().with.property('code', 'forbidden');
    const hostGot = record<RoomMessageEvent>(host.room, 'room-message');
    const warnings = watchWarnings();
    try {
      // Bypass the element's check, as a modified client would.
      const peer = meshPeer(mute, host);
      peer.send('smuggled');
      await waitFor(() => warnings.lines.find((l) => l.includes(`dropped data from ${mute.userid}`)), 'the host drops it');
      peer.send('smuggled again');
      await sleep(300);
    } finally {
      warnings.stop();
    }
    expect(hostGot.events).to.have.length(0);
    expect(warnings.lines.filter((l) => l.includes('dropped data from'))).to.have.length(1);

    // The other way round is fine: the host may send, the muted user receives.
    const muteGot = record<RoomMessageEvent>(mute.room, 'room-message');
    host.room.send('you may listen');
    await waitFor(() => muteGot.events.find((e) => e.detail.data === 'you may listen'), 'the muted user receives');
  });

  it('token-expiring fires before `exp`, with the token\'s exp', async () => {
    const roomid = uniqueRoom('expiring');
    let token = '';
    const user = await tokenUser(url, roomid, 'u', async (u) => (token = await mint(u, roomid, 6)));
    const event = await new Promise<TokenExpiringEvent>((resolve) => user.room.addEventListener('token-expiring', resolve, { once: true }));
    expect(event.detail.expiresAt).to.equal(expOf(token));
    // Halfway for a short token: about 3 s left.
    expect(event.detail.expiresAt - Date.now()).to.be.within(500, 4000);
  });

  it('a token refreshed on token-expiring lets a later reconnect rejoin after the old one expired', async () => {
    const { roomid, other, user, first } = await callWithShortToken(url, 'refresh', 4);
    const expired = record<TokenExpiredEvent>(user.room, 'token-expired');
    const errors = record<RoomErrorEvent>(user.room, 'room-error');
    user.room.addEventListener('token-expiring', () => void mint(user.userid, roomid).then((t) => (user.room.token = t)), { once: true });
    await waitFor(() => user.room.token !== first, 'the page set a fresh token', 8000);
    await waitFor(() => Date.now() > expOf(first) + 500, 'the first token expired', 8000);

    const pc = user.room.peers.get(other.userid)!.connection;
    const rejoined = new Promise((resolve) => user.room.addEventListener('room-joined', resolve, { once: true }));
    blip(user.room);
    await rejoined;
    expect(expired.events).to.have.length(0);
    expect(errors.events).to.have.length(0);
    expect(user.room.peers.get(other.userid)!.connection).to.equal(pc);
    await expectDecodingFrom(user, other);
  });

  it('an expired token refused at reconnect: token-expired, and a fresh token rejoins keeping the call', async () => {
    const { roomid, other, user, first } = await callWithShortToken(url, 'expired', 3);
    const pc = user.room.peers.get(other.userid)!.connection;
    await waitFor(() => Date.now() > expOf(first) + 300, 'the token expired', 6000);

    const errors = record<RoomErrorEvent>(user.room, 'room-error');
    const expiredEvent = new Promise<TokenExpiredEvent>((resolve) => user.room.addEventListener('token-expired', resolve, { once: true }));
    blip(user.room);
    const event = await expiredEvent;
    expect(event.detail.message).to.match(/expired/i);
    expect(errors.events.map((e) => e.detail.code)).to.deep.equal(['unauthorized']);

    const rejoined = new Promise((resolve) => user.room.addEventListener('room-joined', resolve, { once: true }));
    user.room.token = await mint(user.userid, roomid);
    await rejoined;
    expect(user.room.state).to.equal('joined');
    expect(user.room.peers.get(other.userid)!.connection).to.equal(pc);
    await expectDecodingFrom(user, other);
    await expectDecodingFrom(other, user);
  });

  it('autojoin refused for an expired token joins once a fresh token is set', async () => {
    const roomid = uniqueRoom('autojoin');
    const userid = `late-${(serial++).toString(36)}`;
    const stale = await staleToken(userid, roomid);
    const room = document.createElement('rtc-room');
    room.setAttribute('socket-url', url);
    room.setAttribute('room-id', roomid);
    room.setAttribute('userid', userid);
    room.setAttribute('token', stale);
    room.autojoin = true;
    const expired = new Promise<TokenExpiredEvent>((resolve) => room.addEventListener('token-expired', resolve, { once: true }));
    document.body.append(room);
    try {
      await expired;
      expect(room.state).to.equal('error');
      const joined = new Promise((resolve) => room.addEventListener('room-joined', resolve, { once: true }));
      room.setAttribute('token', await mint(userid, roomid));
      await joined;
      expect(room.state).to.equal('joined');
    } finally {
      room.remove();
    }
  });

  it('a script join() refused for an expired token works after the token is replaced', async () => {
    const roomid = uniqueRoom('script');
    const host = await tokenUser(url, roomid, 'host', (u) => mint(u, roomid));
    const userid = `script-${(serial++).toString(36)}`;
    const user = await createUser(roomid, 'script', {
      userid,
      join: false,
      attrs: { 'socket-url': url, token: await staleToken(userid, roomid) },
    });
    let refusal: unknown;
    await user.room.join().catch((err: unknown) => (refusal = err));
    expect(refusal).to.have.property('code', 'unauthorized');
    expect(refusal).to.have.property('expired', true);
    user.room.token = await mint(userid, roomid);
    await user.room.join();
    await expectVideoFrom(user, host);
  });
});
