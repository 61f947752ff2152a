// The socket.io server and socket types of the signaling server, typed from src/protocol.ts.
import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from '../protocol.js';
import type { RoomGrant } from './tokens.js';

/** What the server keeps per connection: the wire-visible part plus what the room token granted. */
export interface ServerSocketData extends SocketData {
  /** From a verified room token; null when the server does not use room tokens. */
  grant: RoomGrant | null;
}
export type IoServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, ServerSocketData>;
export type IoSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, ServerSocketData>;

/** The socket.io room that holds the connections of one signaling room. */
export const roomKey = (roomid: string): string => `room:${roomid}`;
