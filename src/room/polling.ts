// engine.io's HTTP long-polling transport, for networks whose proxies drop WebSockets, and the question a room asks
// when a connection fails without a reason. signaling.ts imports this module on the first failure to connect, as
// does room-client.ts to ask; the CDN bundle keeps it in a chunk of its own (rollup.config.mjs).
import { RoomError } from './signaling.js';

export { XHR } from 'engine.io-client';

/**
 * After a `connect_error` without a reason (the transport failed): fetches the
 * polling handshake once, whose HTTP 403 the server makes readable to a
 * refused page. An `origin-not-allowed` RoomError naming this page's origin,
 * or null (unreachable, or refused for another reason: keep retrying).
 */
export async function handshakeRefusal(url: string | undefined): Promise<RoomError | null> {
  let server: URL;
  try {
    server = new URL((url ?? location.origin).replace(/^ws(s?):/i, 'http$1:'), location.href);
  } catch {
    return null;
  }
  try {
    const res = await fetch(new URL('/socket.io/?EIO=4&transport=polling', server.origin), { credentials: 'omit', cache: 'no-store' });
    if (res.status !== 403) return null;
    const body = (await res.json()) as { message?: unknown } | null;
    const message = typeof body?.message === 'string' ? body.message : '';
    const reason = /^origin-not-allowed: (.*)$/s.exec(message);
    if (!reason) return null;
    return new RoomError(
      'origin-not-allowed',
      `The signaling server at ${server.origin} refuses pages from this origin (${location.origin}): ${reason[1]}.`,
    );
  } catch {
    return null;
  }
}
