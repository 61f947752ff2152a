// Handlers of what hosts do (host:make, lobby:admit, lobby:deny, member:mute, member:remove, room:lock, room:end),
// member:unmute (a member lifting a host's mute itself), and the lobby's wait: knocks, timeout, leaving it.
// Every host request is checked here, against the store: a participant sending one gets `forbidden`.
import type { Ack, LobbyResolvedPayload } from '../../protocol.js';
import type { RoomMember } from '../rooms.js';
import type { Payload } from '../validation.js';
import { fail, peerInfo, roomSize, type HandlerContext, type Refusal } from './context.js';

/** The session's room and membership when it is a host there, or why not. */
async function asHost(ctx: HandlerContext): Promise<{ roomid: string; me: RoomMember } | Refusal> {
  const { roomid, userid } = ctx.session.data;
  if (roomid === null) return fail('not-in-room', 'join a room first');
  const me = await ctx.store.member(roomid, userid);
  if (!me || me.connId !== ctx.session.id) return fail('not-in-room', 'join a room first');
  if (me.role !== 'host') return fail('forbidden', 'only a host of the room may do this');
  return { roomid, me };
}

/** `userid` names another member (or lobby entry), not the host itself. */
function other(ctx: HandlerContext, userid: string): Refusal | null {
  return userid === ctx.session.data.userid ? fail('invalid-request', 'not on yourself') : null;
}

async function toHosts(ctx: HandlerContext, roomid: string, payload: LobbyResolvedPayload): Promise<void> {
  for (const m of await ctx.store.members(roomid)) if (m.role === 'host') ctx.relay.toConnection(m.connId, 'lobby:resolved', payload);
}

/** Tells a host (a new one, or one that just entered) who waits in the lobby. */
export async function knockAll(ctx: HandlerContext, roomid: string, hostConnId: string): Promise<void> {
  for (const e of await ctx.store.lobby(roomid)) {
    if (!e.admitted) ctx.relay.toConnection(hostConnId, 'lobby:knock', { userid: e.userid, extra: e.extra });
  }
}

export async function hostMake(ctx: HandlerContext, p: Payload<'host:make'>): Promise<Ack> {
  const host = await asHost(ctx);
  if ('ok' in host) return host;
  const target = await ctx.store.setRole(host.roomid, p.userid, 'host');
  if (!target) return fail('peer-not-found', `${p.userid} is not in your room`);
  ctx.relay.toRoom(host.roomid, 'peer:update', peerInfo(target));
  await knockAll(ctx, host.roomid, target.connId);
  return { ok: true };
}

export async function lobbyAdmit(ctx: HandlerContext, p: Payload<'lobby:admit'>): Promise<Ack> {
  const host = await asHost(ctx);
  if ('ok' in host) return host;
  // Of two hosts admitting the same knock, the store lets exactly one through.
  const connId = await ctx.store.admit(host.roomid, p.userid);
  if (connId === null) return fail('peer-not-found', `${p.userid} is not waiting in the lobby`);
  ctx.relay.toConnection(connId, 'lobby:admitted', { roomid: host.roomid });
  await toHosts(ctx, host.roomid, { userid: p.userid, outcome: 'admitted' });
  return { ok: true };
}

export async function lobbyDeny(ctx: HandlerContext, p: Payload<'lobby:deny'>): Promise<Ack> {
  const host = await asHost(ctx);
  if ('ok' in host) return host;
  const connId = await ctx.store.deny(host.roomid, p.userid);
  if (connId === null) return fail('peer-not-found', `${p.userid} is not waiting in the lobby`);
  ctx.relay.toConnection(connId, 'lobby:denied', { roomid: host.roomid, reason: 'denied' });
  await toHosts(ctx, host.roomid, { userid: p.userid, outcome: 'denied' });
  return { ok: true };
}

export async function memberMute(ctx: HandlerContext, p: Payload<'member:mute'>): Promise<Ack> {
  const host = await asHost(ctx);
  if ('ok' in host) return host;
  const refusal = other(ctx, p.userid);
  if (refusal) return refusal;
  const target = await ctx.store.member(host.roomid, p.userid);
  if (!target || !(await ctx.store.setHostMuted(host.roomid, p.userid, p.kind, true))) return fail('peer-not-found', `${p.userid} is not in your room`);
  ctx.relay.toConnection(target.connId, 'member:muted', { kind: p.kind, by: host.me.userid });
  return { ok: true };
}

/** The member itself lifts a host's mute (its own action): its announcements of that kind unmuted are relayed again. */
export async function memberUnmute(ctx: HandlerContext, p: Payload<'member:unmute'>): Promise<Ack> {
  const { roomid, userid } = ctx.session.data;
  if (roomid === null) return fail('not-in-room', 'join a room first');
  await ctx.store.setHostMuted(roomid, userid, p.kind, false);
  return { ok: true };
}

export async function memberRemove(ctx: HandlerContext, p: Payload<'member:remove'>): Promise<Ack> {
  const host = await asHost(ctx);
  if ('ok' in host) return host;
  const refusal = other(ctx, p.userid);
  if (refusal) return refusal;
  const banMs = ctx.config.removeBanMs;
  const removed = await ctx.store.remove(host.roomid, p.userid, Date.now() + banMs);
  if (!removed) return fail('peer-not-found', `${p.userid} is not in your room`);
  if (removed.wasMember) {
    ctx.relay.expel(removed.connId, host.roomid, 'room:removed', { by: host.me.userid, banMs });
    await ctx.sfu?.leave(host.roomid, p.userid, removed.connId, false);
    ctx.relay.toRoom(host.roomid, 'peer:leave', { userid: p.userid, reason: 'removed' });
    await ctx.moves?.left(host.roomid, false, roomSize(ctx, host.roomid));
  } else {
    ctx.relay.toConnection(removed.connId, 'lobby:denied', { roomid: host.roomid, reason: 'denied' });
    await toHosts(ctx, host.roomid, { userid: p.userid, outcome: 'denied' });
  }
  ctx.log.info({ roomid: host.roomid, userid: p.userid, by: host.me.userid }, 'member removed by a host');
  return { ok: true };
}

export async function roomLock(ctx: HandlerContext, p: Payload<'room:lock'>): Promise<Ack> {
  const host = await asHost(ctx);
  if ('ok' in host) return host;
  const dropped = await ctx.store.setLocked(host.roomid, p.locked);
  if (!dropped) return fail('room-not-found', 'the room does not exist');
  for (const e of dropped) {
    ctx.relay.toConnection(e.connId, 'lobby:denied', { roomid: host.roomid, reason: 'locked' });
    await toHosts(ctx, host.roomid, { userid: e.userid, outcome: 'denied' });
  }
  ctx.relay.toRoom(host.roomid, 'room:locked', { locked: p.locked, by: host.me.userid });
  return { ok: true };
}

export async function roomEnd(ctx: HandlerContext): Promise<Ack> {
  const host = await asHost(ctx);
  if ('ok' in host) return host;
  const { roomid } = host;
  const ended = await ctx.store.end(roomid);
  if (!ended) return fail('room-not-found', 'the room does not exist');
  // The host is out first (it learns from this ack); everyone else is told, then disconnected.
  ctx.session.data.roomid = null;
  ctx.session.left(roomid);
  for (const e of ended.lobby) ctx.relay.toConnection(e.connId, 'lobby:denied', { roomid, reason: 'ended' });
  ctx.relay.toRoom(roomid, 'room:ended', { by: host.me.userid });
  ctx.relay.closeRoom(roomid);
  for (const [i, m] of ended.members.entries()) await ctx.sfu?.leave(roomid, m.userid, m.connId, i === ended.members.length - 1);
  ctx.moves?.closed(roomid);
  ctx.log.info({ roomid, by: host.me.userid }, 'room ended by a host');
  return { ok: true };
}

// -- the lobby's wait, on the waiting connection's side ------------------------

/** connId -> its lobby timeout. */
const timers = new Map<string, ReturnType<typeof setTimeout>>();

/** The session now waits in `roomid`'s lobby: knock on the hosts' doors, and give up after the lobby timeout. */
export function waitInLobby(ctx: HandlerContext, roomid: string, member: RoomMember, hosts: string[]): void {
  const { session } = ctx;
  session.data.waiting = roomid;
  for (const connId of hosts) ctx.relay.toConnection(connId, 'lobby:knock', { userid: member.userid, extra: member.extra });
  clearTimeout(timers.get(session.id));
  const timer = setTimeout(() => {
    timers.delete(session.id);
    if (session.data.waiting !== roomid) return;
    void leaveLobby(ctx, 'timeout').catch((err: unknown) => ctx.log.warn({ err }, 'lobby timeout failed'));
  }, ctx.config.lobbyTimeoutMs);
  timer.unref();
  timers.set(session.id, timer);
}

/**
 * Takes the session out of the lobby it waits in, if any (it entered, left,
 * disconnected, or timed out). On `timeout` the connection is told, unless a
 * host settled its entry meanwhile (it was told then).
 */
export async function leaveLobby(ctx: HandlerContext, why: 'entered' | 'left' | 'timeout'): Promise<void> {
  const { session } = ctx;
  const roomid = session.data.waiting;
  clearTimeout(timers.get(session.id));
  timers.delete(session.id);
  if (!roomid) return;
  session.data.waiting = null;
  if (why === 'entered') return;
  const removed = await ctx.store.deny(roomid, session.data.userid, session.id);
  if (removed !== null) await toHosts(ctx, roomid, { userid: session.data.userid, outcome: 'left' });
  if (why === 'timeout' && session.connected && (removed !== null || !(await ctx.store.get(roomid)))) {
    ctx.relay.toConnection(session.id, 'lobby:denied', { roomid, reason: removed !== null ? 'timeout' : 'ended' });
  }
}
