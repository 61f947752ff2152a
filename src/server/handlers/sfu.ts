// Handlers of sfu:publish, sfu:subscribe, sfu:start, sfu:trickle, sfu:unpublish and sfu:layer: the member's media through the room's Janus.
import type { Ack, SfuPublishPayload, SfuSubscribePayload } from '../../protocol.js';
import { isNonRelayCandidate } from '../sdp.js';
import { SfuRefusal, type SfuRooms } from '../sfu-rooms.js';
import type { Payload } from '../validation.js';
import { fail, may, type HandlerContext, type Refusal } from './context.js';

/** The room and the SFU, or why the request cannot go on. */
async function sfuOf(ctx: HandlerContext): Promise<{ roomid: string; sfu: SfuRooms } | Refusal> {
  const roomid = ctx.session.data.roomid;
  if (roomid === null) return fail('not-in-room', 'join a room first');
  if (!ctx.sfu) return fail('sfu-unavailable', 'this server has no SFU (no Janus configured)');
  if ((await ctx.sfu.topology(roomid)) !== 'sfu') return fail('invalid-request', 'this room is a mesh room: use signal');
  return { roomid, sfu: ctx.sfu };
}

/** SfuRefusals become acks; anything else is the router's internal-error. */
async function run<T extends object>(work: () => Promise<T>): Promise<Ack<T>> {
  try {
    return { ok: true, ...(await work()) };
  } catch (err) {
    if (err instanceof SfuRefusal) return fail(err.code, err.message);
    throw err;
  }
}

export async function sfuPublish(ctx: HandlerContext, p: Payload<'sfu:publish'>): Promise<Ack<SfuPublishPayload>> {
  const target = await sfuOf(ctx);
  if ('ok' in target) return target;
  if (!may(ctx.session, 'publish')) return fail('forbidden', 'your token does not allow publishing media');
  const { userid } = ctx.session.data;
  const result = await run(async () => ({ jsep: await target.sfu.publish(target.roomid, userid, ctx.session.id, p.jsep) }));
  if (result.ok) ctx.metrics.countRelayed('sfu');
  return result;
}

export async function sfuSubscribe(ctx: HandlerContext, p: Payload<'sfu:subscribe'>): Promise<Ack<SfuSubscribePayload>> {
  const target = await sfuOf(ctx);
  if ('ok' in target) return target;
  return run(() => target.sfu.subscribe(target.roomid, ctx.session.data.userid, ctx.session.id, p.feeds));
}

export async function sfuStart(ctx: HandlerContext, p: Payload<'sfu:start'>): Promise<Ack> {
  const target = await sfuOf(ctx);
  if ('ok' in target) return target;
  return run(async () => {
    await target.sfu.start(target.roomid, ctx.session.data.userid, ctx.session.id, p.jsep);
    return {};
  });
}

export async function sfuTrickle(ctx: HandlerContext, p: Payload<'sfu:trickle'>): Promise<Ack> {
  const target = await sfuOf(ctx);
  if ('ok' in target) return target;
  if (ctx.config.relayOnly && p.candidate && isNonRelayCandidate(p.candidate.candidate)) {
    return fail('forbidden', 'relay-only: only relay candidates are relayed');
  }
  return run(async () => {
    await target.sfu.trickle(target.roomid, ctx.session.data.userid, ctx.session.id, p.target, p.candidate);
    return {};
  });
}

export async function sfuUnpublish(ctx: HandlerContext): Promise<Ack> {
  const target = await sfuOf(ctx);
  if ('ok' in target) return target;
  return run(async () => {
    await target.sfu.unpublish(target.roomid, ctx.session.data.userid, ctx.session.id);
    return {};
  });
}

export async function sfuLayer(ctx: HandlerContext, p: Payload<'sfu:layer'>): Promise<Ack> {
  const target = await sfuOf(ctx);
  if ('ok' in target) return target;
  return run(async () => {
    await target.sfu.layer(target.roomid, ctx.session.data.userid, ctx.session.id, p);
    return {};
  });
}
