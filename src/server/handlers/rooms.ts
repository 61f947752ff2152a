// Handlers of room:open, room:join, room:open-or-join, room:presence and room:leave (and the leave a disconnect implies).
import type { Ack, Extra, PeerLeaveReason, RoomJoinedPayload, RoomPresencePayload, RoomWaitingPayload, TopologyRequest } from '../../protocol.js';
import { hashPassword, verifyPassword } from '../password.js';
import type { EnterResult, RoomInfo, RoomMember } from '../rooms.js';
import type { Payload } from '../validation.js';
import { authorize, fail, memberOf, may, peerInfo, roomSize, type HandlerContext, type Refusal } from './context.js';
import { knockAll, leaveLobby, waitInLobby } from './hosts.js';

type Mode = 'open' | 'join' | 'open-or-join';
type EnterPayload = { roomid: string; password?: string; maxParticipants?: number; extra?: Extra; topology?: TopologyRequest; lobby?: boolean };
type EnterAck = Ack<RoomJoinedPayload | RoomWaitingPayload>;

// An open never waits in a lobby.
export const open = (ctx: HandlerContext, p: Payload<'room:open'>) => enter(ctx, p, 'open') as Promise<Ack<RoomJoinedPayload>>;
export const join = (ctx: HandlerContext, p: Payload<'room:join'>) => enter(ctx, p, 'join');
export const openOrJoin = (ctx: HandlerContext, p: Payload<'room:open-or-join'>) => enter(ctx, p, 'open-or-join');

export async function presence(ctx: HandlerContext, p: Payload<'room:presence'>): Promise<Ack<RoomPresencePayload>> {
  const refusal = authorize(ctx.session, p.roomid);
  if (refusal) return refusal;
  const room = await ctx.store.get(p.roomid);
  return {
    ok: true,
    exists: !!room,
    isFull: !!room && room.size >= room.maxParticipants,
    isPasswordProtected: !!room?.passwordHash,
  };
}

export async function leave(ctx: HandlerContext): Promise<Ack> {
  await leaveRoom(ctx, 'leave');
  return { ok: true };
}

/** Takes the session out of its room, if any, and tells the others why. */
export async function leaveRoom(ctx: HandlerContext, reason: PeerLeaveReason): Promise<void> {
  const { session } = ctx;
  await leaveLobby(ctx, 'left');
  const roomid = session.data.roomid;
  if (roomid === null) return;
  session.data.roomid = null;
  session.left(roomid);
  const result = await ctx.store.leave(roomid, session.data.userid, session.id);
  await ctx.sfu?.leave(roomid, session.data.userid, session.id, result.deleted);
  // While closing, a single server's rooms empty anyway; shared rooms live on, on other nodes.
  if (result.left && (!ctx.closing() || ctx.shared)) ctx.relay.toRoom(roomid, 'peer:leave', { userid: session.data.userid, reason });
  if (result.left) await ctx.moves?.left(roomid, result.deleted, roomSize(ctx, roomid));
}

async function enter(ctx: HandlerContext, p: EnterPayload, mode: Mode): Promise<EnterAck> {
  const { session, store } = ctx;
  if (session.data.roomid !== null) return fail('already-in-room', 'already in a room: room:leave first');
  // Knocking on another room's door gives up the wait in this one.
  if (session.data.waiting && session.data.waiting !== p.roomid) await leaveLobby(ctx, 'left');
  const refusal = authorize(session, p.roomid);
  if (refusal) return refusal;
  const mayOpen = may(session, 'open');
  if (mode === 'open' && !mayOpen) return fail('forbidden', 'your token does not allow opening rooms');
  const password = p.password || undefined;
  const member = memberOf(session, p.extra ?? session.data.extra);
  const topology = chooseTopology(ctx, p);
  if (typeof topology !== 'string') return topology;
  // Retries only when the room vanished or was re-created between reading
  // it and entering it (the awaits in between are the password hashing).
  for (let attempt = 0; attempt < 5; attempt++) {
    const room = await store.get(p.roomid);
    if (room) {
      if (mode === 'open') return fail('room-exists', `room ${p.roomid} exists`);
      const result = await tryJoin(ctx, room, password, member);
      if (result !== 'retry') return result;
      continue;
    }
    if (mode === 'join') return fail('room-not-found', `room ${p.roomid} does not exist`);
    if (!mayOpen) return fail('forbidden', `room ${p.roomid} does not exist and your token does not allow opening rooms`);
    // An `auto` room may end up on the SFU: sized like an `sfu` room.
    const big = topology !== 'mesh';
    const cap = big ? ctx.config.sfuRoomSize : ctx.config.maxRoomSize;
    const maxParticipants = Math.min(p.maxParticipants ?? (big ? cap : ctx.config.defaultRoomSize), cap);
    const passwordHash = password === undefined ? null : await ctx.hashing.run(() => hashPassword(password, ctx.config.scryptCost));
    if (!session.connected) return fail('not-in-room', 'disconnected');
    const result = await store.create({ roomid: p.roomid, maxParticipants, passwordHash, lobby: !!p.lobby }, memberOf(session, member.extra, true));
    if (result.status === 'exists') {
      if (mode === 'open') return fail('room-exists', `room ${p.roomid} exists`);
      continue;
    }
    if (topology === 'auto' && result.status === 'ok') ctx.moves!.opened(p.roomid);
    if (topology === 'sfu' && result.status === 'ok') {
      try {
        await ctx.sfu!.open(p.roomid, maxParticipants);
      } catch (err) {
        ctx.log.warn({ err, roomid: p.roomid }, 'could not create the Janus room');
        const left = await store.leave(p.roomid, member.userid, session.id);
        await ctx.sfu!.leave(p.roomid, member.userid, session.id, left.deleted);
        return fail('sfu-unavailable', 'the SFU could not create this room; try again, or use a mesh room');
      }
    }
    return entered(ctx, result, true, result.status === 'ok' ? result.room.roomid : p.roomid);
  }
  return fail('internal-error', 'the room kept changing; try again');
}

/**
 * The topology a new room gets, or why it cannot have it. `auto` (the
 * default with Janus) is a mesh that moves to the SFU as it grows; in shared
 * mode, where rooms do not move mid-call yet, a room opened for more than
 * --mesh-max people starts on the SFU.
 */
function chooseTopology(ctx: HandlerContext, p: EnterPayload): TopologyRequest | Refusal {
  const sfu = ctx.sfu;
  const wanted = p.topology ?? (ctx.moves ? 'auto' : 'mesh');
  if (wanted === 'sfu') {
    if (!sfu) return fail('sfu-unavailable', 'this server has no SFU (no Janus configured): open a mesh room');
    if (!sfu.available) return fail('sfu-unavailable', 'no Janus instance answers: try again later, or open a mesh room');
    return 'sfu';
  }
  if (wanted !== 'auto' || !sfu) return 'mesh';
  if (ctx.moves) return 'auto';
  return sfu.available && (p.maxParticipants ?? 0) > ctx.config.meshMax ? 'sfu' : 'mesh';
}

async function tryJoin(
  ctx: HandlerContext,
  room: RoomInfo,
  password: string | undefined,
  member: RoomMember,
): Promise<EnterAck | 'retry'> {
  // Cheap refusal before the expensive password check; the real capacity
  // check is the atomic one inside store.join().
  // An `auto` mesh that cannot move (no Janus answers) stops where a mesh room would.
  const cap = ctx.moves?.stuck(room.roomid) ? Math.min(room.maxParticipants, ctx.config.maxRoomSize) : room.maxParticipants;
  if (room.size >= cap && !(await ctx.store.member(room.roomid, member.userid))) {
    return fail('room-full', `room ${room.roomid} is full`);
  }
  if (room.passwordHash !== null) {
    if (password === undefined) return fail('invalid-password', 'this room needs a password');
    const stored = room.passwordHash;
    if (!(await ctx.hashing.run(() => verifyPassword(password, stored)))) return fail('invalid-password', 'wrong password');
  }
  if (!ctx.session.connected) return fail('not-in-room', 'disconnected');
  const result = await ctx.store.join(room.roomid, room.token, member, ctx.config.lobbyTimeoutMs);
  if (result.status === 'not-found' || result.status === 'changed') return 'retry';
  if (result.status === 'waiting') {
    waitInLobby(ctx, room.roomid, member, result.hosts);
    ctx.log.debug({ roomid: room.roomid, userid: member.userid }, 'waiting in the lobby');
    return { ok: true, roomid: room.roomid, userid: member.userid, waiting: true, hostPresent: result.hosts.length > 0, timeoutMs: ctx.config.lobbyTimeoutMs };
  }
  return entered(ctx, result, false, room.roomid);
}

async function entered(ctx: HandlerContext, result: EnterResult, isInitiator: boolean, roomid: string): Promise<Ack<RoomJoinedPayload>> {
  switch (result.status) {
    case 'ok':
      break;
    case 'banned':
      return fail('denied', `a host removed you from room ${roomid}: you may not enter it again yet`);
    case 'locked':
      return fail('room-locked', `room ${roomid} is locked`);
    case 'full':
      return fail('room-full', 'the room is full');
    case 'already-in-room':
      return fail('already-in-room', 'already in a room: room:leave first');
    case 'exists':
      return fail('room-exists', 'the room exists');
    default:
      return fail('room-not-found', 'the room does not exist');
  }
  const { session, relay } = ctx;
  const { room, peers, replaced } = result;
  const userid = session.data.userid;
  await leaveLobby(ctx, 'entered');
  if (replaced) {
    // The connection that held `userid` before: out of its room, told, disconnected.
    // Written to the old connection's node before anyone hears of the new one: a message sent to the member
    // once it is back (through a node still caching the old connection) finds the old one gone and is rerouted.
    await relay.evict(replaced.connId, replaced.roomid);
    await ctx.sfu?.leave(replaced.roomid, userid, replaced.connId, false);
    if (replaced.roomid !== room.roomid) relay.toRoom(replaced.roomid, 'peer:leave', { userid, reason: 'replaced' });
    ctx.log.info({ userid, roomid: replaced.roomid }, 'connection replaced by a newer one');
  }
  if (!session.connected || ctx.closing()) {
    // Lost the connection while entering: undo, quietly (nobody was told yet).
    const left = await ctx.store.leave(room.roomid, userid, session.id);
    await ctx.sfu?.leave(room.roomid, userid, session.id, left.deleted);
    if (left.left) await ctx.moves?.left(room.roomid, left.deleted, roomSize(ctx, room.roomid));
    if (left.left && replaced?.roomid === room.roomid) relay.toRoom(room.roomid, 'peer:leave', { userid, reason: 'disconnect' });
    return fail('not-in-room', 'disconnected');
  }
  // The membership as the store keeps it: a newer connection of a host stays host, a host's mutes stay.
  const member = (await ctx.store.member(room.roomid, userid)) ?? memberOf(session);
  session.data.roomid = room.roomid;
  session.data.extra = member.extra;
  session.joined(room);
  relay.toRoom(room.roomid, 'peer:join', peerInfo(member), session.id);
  ctx.moves?.grew(room.roomid, peers.map((m) => m.connId), room.maxParticipants, session.id);
  if (member.role === 'host' && room.lobby) await knockAll(ctx, room.roomid, session.id);
  if (isInitiator) ctx.metrics.roomsOpened.inc();
  ctx.log.debug({ roomid: room.roomid, userid, isInitiator, replaced: !!replaced }, 'entered room');
  return {
    ok: true,
    roomid: room.roomid,
    userid,
    isInitiator,
    peers: peers.map(peerInfo),
    iceServers: ctx.iceServersFor(userid),
    maxParticipants: room.maxParticipants,
    ...(ctx.config.relayOnly ? { iceTransportPolicy: 'relay' as const } : {}),
    ...(member.permissions ? { permissions: [...member.permissions] } : {}),
    // An `auto` room on the mesh may still have its Janus room (lingering after a move back): mesh.
    topology: ctx.moves?.topology(room.roomid) === 'mesh' ? 'mesh' : ((await ctx.sfu?.entered(room.roomid, session.id)) ?? 'mesh'),
    role: member.role ?? 'participant',
    lobby: room.lobby,
    locked: room.locked,
    ...(member.hostMuted ? { hostMuted: [...member.hostMuted] } : {}),
  };
}
