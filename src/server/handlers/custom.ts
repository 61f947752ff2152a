// Handler of custom: an application message to one other member or to the whole room.
import type { Ack } from '../../protocol.js';
import type { Payload } from '../validation.js';
import { fail, may, type HandlerContext } from './context.js';

export async function custom(ctx: HandlerContext, p: Payload<'custom'>): Promise<Ack> {
  const { session, relay } = ctx;
  const roomid = session.data.roomid;
  if (roomid === null) return fail('not-in-room', 'join a room first');
  if (!may(session, 'data')) return fail('forbidden', 'your token does not allow sending data');
  const message = { from: session.data.userid, event: p.event, data: p.data ?? null };
  if (p.to !== undefined) {
    const target = p.to === session.data.userid ? undefined : await relay.locate(roomid, p.to);
    if (!target) return fail('peer-not-found', `${p.to} is not in your room`);
    relay.toMember(target, 'custom', message);
  } else {
    relay.toRoom(roomid, 'custom', message, session.id);
  }
  ctx.metrics.countRelayed('custom');
  return { ok: true };
}
