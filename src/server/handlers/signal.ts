// Handler of signal: an offer, answer, candidate or stream list relayed to one other member of the room.
import type { Ack } from '../../protocol.js';
import { MAX_STREAMS } from '../../protocol.js';
import { isNonRelayCandidate, sdpHasNonRelayCandidate, sdpStreamIds, sendsMedia } from '../sdp.js';
import type { Payload } from '../validation.js';
import { andThen, type Awaitable } from '../rooms.js';
import type { Target } from '../relay.js';
import { fail, may, type HandlerContext, type Refusal, type Session } from './context.js';

/**
 * Synchronous with the memory store (the relay's hot path: no promise, no
 * await, no closure); a promise with Redis.
 */
export function signal(ctx: HandlerContext, p: Payload<'signal'>): Awaitable<Ack> {
  const roomid = ctx.session.data.roomid;
  if (roomid === null) return fail('not-in-room', 'join a room first');
  const refusal = checkSignal(ctx.session, ctx.config.relayOnly, p.data);
  if (refusal) return refusal;
  if (p.to === ctx.session.data.userid) return notFound(p.to);
  // Shared mode: usually answered from this node's membership cache, no Redis round trip.
  const target = ctx.relay.locate(roomid, p.to);
  return target instanceof Promise ? toTargetLater(ctx, roomid, p, target) : toTarget(ctx, roomid, p, target);
}

// The promise branches are functions of their own: a closure in signal() would cost an allocation on every call.
const toTargetLater = (ctx: HandlerContext, roomid: string, p: Payload<'signal'>, target: Promise<Target | undefined>): Promise<Ack> =>
  target.then((t) => toTarget(ctx, roomid, p, t));

const notFound = (userid: string): Refusal => fail('peer-not-found', `${userid} is not in your room`);

/** The success ack of a relayed signal, one object for all (socket.io only reads it). */
const RELAYED: Ack = Object.freeze({ ok: true });

function toTarget(ctx: HandlerContext, roomid: string, p: Payload<'signal'>, target: Target | undefined): Awaitable<Ack> {
  if (!target) return notFound(p.to);
  // Candidates (most signals) carry no stream list and no SDP: nothing to ask the store.
  return p.data.streams?.length || p.data.description ? checkedSend(ctx, roomid, p, target) : send(ctx, p, target);
}

/** A stream list or an SDP: the host's mutes and the stream ids' owners first. */
function checkedSend(ctx: HandlerContext, roomid: string, p: Payload<'signal'>, target: Target): Awaitable<Ack> {
  return andThen(hostMuteRefusal(ctx, roomid, p.data), (muted) => muted ?? andThen(claimStreams(ctx, roomid, p.data), (claimed) => claimed ?? send(ctx, p, target)));
}

function send(ctx: HandlerContext, p: Payload<'signal'>, target: Target): Ack {
  ctx.relay.toMember(target, 'signal', { from: ctx.session.data.userid, data: p.data });
  ctx.metrics.countRelayed('signal');
  return RELAYED;
}

/**
 * A host muted this member: a stream list showing that kind unmuted waits for
 * the member's own member:unmute. Only signals with a stream list ask the store.
 */
function hostMuteRefusal(ctx: HandlerContext, roomid: string, data: Payload<'signal'>['data']): Awaitable<Refusal | null> {
  const streams = data.streams;
  if (!streams?.length) return null;
  return andThen(ctx.store.member(roomid, ctx.session.data.userid), (me) => {
    const kind = me?.hostMuted?.find((k) => streams.some((s) => !(k === 'audio' ? s.audioMuted : s.videoMuted)));
    return kind ? fail('forbidden', `a host muted your ${kind}: unmute it yourself (member:unmute) first`) : null;
  });
}

/** Media and address rules on a signal: `publish` permission, relay-only policy. */
export function checkSignal(session: Session, relayOnly: boolean, data: Payload<'signal'>['data']): Refusal | null {
  if (!may(session, 'publish')) {
    if (data.streams?.length) return fail('forbidden', 'your token does not allow publishing media');
    if (data.description && sendsMedia(data.description.sdp)) return fail('forbidden', 'your token does not allow publishing media (the description sends audio or video)');
  }
  if (relayOnly) {
    if (data.candidate && isNonRelayCandidate(data.candidate.candidate)) return fail('forbidden', 'relay-only: only relay candidates are relayed');
    if (data.description && sdpHasNonRelayCandidate(data.description.sdp)) return fail('forbidden', 'relay-only: the description holds a non-relay candidate');
  }
  return null;
}

/**
 * The stream ids a signal announces (`streams`) or offers media under (SDP
 * msid) become the sender's in this room; one another member announced first
 * is refused, so nobody can put their media in another member's tile.
 */
function claimStreams(ctx: HandlerContext, roomid: string, data: Payload<'signal'>['data']): Awaitable<Refusal | null> {
  const ids = new Set(data.streams?.map((s) => s.streamid));
  if (data.description) for (const id of sdpStreamIds(data.description.sdp)) ids.add(id);
  if (ids.size === 0) return null;
  // Each `streams` list is capped by validation; an SDP may name a few more (one per track).
  if (ids.size > MAX_STREAMS * 2) return fail('invalid-request', 'too many stream ids in one signal');
  return andThen(ctx.store.claimStreams(roomid, ctx.session.data.userid, ctx.session.id, [...ids]), (claim) => {
    if (claim.status === 'taken') {
      ctx.log.warn({ streamid: claim.streamid, owner: claim.owner }, 'signal refused: stream id of another member');
      return fail('forbidden', `stream ${claim.streamid} belongs to another member of the room`);
    }
    if (claim.status === 'not-member') return fail('not-in-room', 'join a room first');
    return null;
  });
}
