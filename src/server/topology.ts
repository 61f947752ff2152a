// TopologyMoves: `auto` rooms start as a mesh, move to the SFU when a join makes them larger than --mesh-max, and back when they shrink to 2.
import type { Logger } from 'pino';
import type { Topology } from '../protocol.js';
import type { Relay } from './relay.js';
import type { SfuRooms } from './sfu-rooms.js';

/** A room back on the mesh keeps its Janus room this long, so clients still receive through it while their mesh connects. */
export const SFU_LINGER_MS = 8000;

interface AutoRoom {
  topology: Topology;
  linger?: ReturnType<typeof setTimeout>;
}

/**
 * This server's `auto` rooms and their current topology. Every decision and
 * the `room:topology` it sends happen in one synchronous step, so a join
 * either entered the socket.io room before a move (and hears it) or reads the
 * new topology for its ack.
 */
export class TopologyMoves {
  private readonly rooms = new Map<string, AutoRoom>();

  constructor(
    private readonly sfu: SfuRooms,
    private readonly relay: Relay,
    private readonly meshMax: number,
    private readonly log: Logger,
  ) {}

  /** A new `auto` room: a mesh for now. */
  opened(roomid: string): void {
    this.closed(roomid);
    this.rooms.set(roomid, { topology: 'mesh' });
  }

  /** How the room carries media now. */
  topology(roomid: string): Topology {
    return this.rooms.get(roomid)?.topology ?? this.sfu.topology(roomid);
  }

  /** A member entered (`size` members now, `except` heard it from its ack): past meshMax, an `auto` mesh room moves to Janus. */
  grew(roomid: string, size: number, publishers: number, except?: string): void {
    const room = this.rooms.get(roomid);
    if (!room || room.topology === 'sfu' || size <= this.meshMax || !this.sfu.available) return;
    room.topology = 'sfu';
    clearTimeout(room.linger);
    // Still lingering from the last move: that Janus room goes first (open() waits for it), members publish afresh.
    if (this.sfu.topology(roomid) === 'sfu') void this.sfu.leave(roomid, '', '', true);
    this.sfu.open(roomid, publishers).catch((err: unknown) => {
      this.log.warn({ err, roomid }, 'could not move the room to Janus: it stays a mesh');
      if (this.rooms.get(roomid) === room && room.topology === 'sfu') this.toMesh(roomid, room);
    });
    this.relay.toRoom(roomid, 'room:topology', { topology: 'sfu' }, except);
  }

  /** A member left (`size` remain): at 2, an `auto` room on Janus goes back to the mesh. */
  shrank(roomid: string, size: number): void {
    const room = this.rooms.get(roomid);
    if (!room || room.topology === 'mesh' || size > 2) return;
    this.toMesh(roomid, room);
  }

  /** The room is gone (the SFU side releases itself on the last leave). */
  closed(roomid: string): void {
    clearTimeout(this.rooms.get(roomid)?.linger);
    this.rooms.delete(roomid);
  }

  private toMesh(roomid: string, room: AutoRoom): void {
    room.topology = 'mesh';
    this.relay.toRoom(roomid, 'room:topology', { topology: 'mesh' });
    room.linger = setTimeout(() => {
      if (this.rooms.get(roomid) === room && room.topology === 'mesh') void this.sfu.leave(roomid, '', '', true);
    }, SFU_LINGER_MS);
    room.linger.unref?.();
  }
}
