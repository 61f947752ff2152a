// Handler of extra:update: a member's new extra, kept for later joiners and shown to the room now.
import type { Ack } from '../../protocol.js';
import type { Payload } from '../validation.js';
import { peerInfo, type HandlerContext } from './context.js';

export async function extraUpdate(ctx: HandlerContext, p: Payload<'extra:update'>): Promise<Ack> {
  const { session } = ctx;
  session.data.extra = p.extra;
  const roomid = session.data.roomid;
  const me = roomid !== null && (await ctx.store.updateExtra(roomid, session.data.userid, session.id, p.extra)) && (await ctx.store.member(roomid, session.data.userid));
  if (me) {
    ctx.relay.toRoom(roomid!, 'peer:update', peerInfo(me), session.id);
    ctx.metrics.countRelayed('peer:update');
  }
  return { ok: true };
}
