// Handler of extra:update: a member's new extra, kept for later joiners and shown to the room now.
import type { Ack } from '../../protocol.js';
import type { Payload } from '../validation.js';
import type { HandlerContext } from './context.js';

export async function extraUpdate(ctx: HandlerContext, p: Payload<'extra:update'>): Promise<Ack> {
  const { session } = ctx;
  session.data.extra = p.extra;
  const roomid = session.data.roomid;
  if (roomid !== null && (await ctx.store.updateExtra(roomid, session.data.userid, session.id, p.extra))) {
    ctx.relay.toRoom(roomid, 'peer:update', { userid: session.data.userid, extra: p.extra }, session.id);
    ctx.metrics.relayed.inc({ type: 'peer:update' });
  }
  return { ok: true };
}
