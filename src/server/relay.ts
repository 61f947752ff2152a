// Relay: emitting to one connection or to a room's connections, on this node or (shared mode) any node.
import type { ServerToClientEvents } from '../protocol.js';
import { roomKey, type IoServer } from './io.js';

export type ServerEventName = keyof ServerToClientEvents;
export type ServerPayload<E extends ServerEventName> = Parameters<ServerToClientEvents[E]>[0];

/** How handlers reach other connections; never the socket.io server itself. */
export interface Relay {
  /** To one connection, wherever it is. */
  toConnection<E extends ServerEventName>(connId: string, event: E, payload: ServerPayload<E>): void;
  /** To every connection in `roomid`, but `exceptConnId`. */
  toRoom<E extends ServerEventName>(roomid: string, event: E, payload: ServerPayload<E>, exceptConnId?: string): void;
  /**
   * Ends a connection that lost its membership to a newer one of the same
   * userid: out of `roomid`'s broadcasts, told `session:replaced`, disconnected.
   */
  evict(connId: string, roomid: string): void;
  /** Ends a connection a host removed or turned away: out of `roomid`'s broadcasts, told `event`, disconnected. */
  expel<E extends ServerEventName>(connId: string, roomid: string, event: E, payload: ServerPayload<E>): void;
  /** Disconnects every connection still in `roomid`, on every node (a host ended the room). */
  closeRoom(roomid: string): void;
}

/**
 * A relay over socket.io. `onEvict` settles the evicted connection's local
 * state (when it is a connection of this process) before anything is sent.
 */
export function createRelay(io: IoServer, onEvict: (connId: string) => void): Relay {
  /**
   * One connection, wherever it is: a socket of this process directly; one on
   * another node (shared mode) through the adapter, which reaches every node.
   */
  const connection = (connId: string) => (io.sockets.sockets.has(connId) ? io.local.to(connId) : io.to(connId));
  // socket.io's emit is typed per literal event; these generic ones are checked by the Relay signature.
  const send = (target: ReturnType<typeof connection>, event: ServerEventName, payload: unknown) =>
    (target as unknown as { emit(event: string, payload: unknown): boolean }).emit(event, payload);
  const expel: Relay['expel'] = (connId, roomid, event, payload) => {
    onEvict(connId);
    const previous = connection(connId);
    previous.socketsLeave(roomKey(roomid));
    send(previous, event, payload);
    previous.disconnectSockets(true);
  };
  return {
    expel,
    toConnection(connId, event, payload) {
      send(connection(connId), event, payload);
    },
    toRoom(roomid, event, payload, exceptConnId) {
      const room = io.to(roomKey(roomid));
      send(exceptConnId === undefined ? room : room.except(exceptConnId), event, payload);
    },
    evict(connId, roomid) {
      expel(connId, roomid, 'session:replaced', {});
    },
    closeRoom(roomid) {
      io.in(roomKey(roomid)).disconnectSockets(true);
    },
  };
}
