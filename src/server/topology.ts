// TopologyMoves: `auto` rooms start as a mesh, move to the SFU when a join makes them larger than --mesh-max, and back when they shrink to 2.
import type { Logger } from 'pino';
import type { Topology } from '../protocol.js';
import type { Relay } from './relay.js';
import type { Awaitable } from './rooms.js';
import type { SfuRooms } from './sfu-rooms.js';

/** A room back on the mesh keeps its Janus room this long, so clients still receive through it while their mesh connects (they wait 20 s at most). */
export const SFU_LINGER_MS = 25000;

interface AutoRoom {
  topology: Topology;
  linger?: ReturnType<typeof setTimeout>;
}

/**
 * This server's `auto` rooms and their current topology. Every decision and
 * the `room:topology` it sends happen in one synchronous step, so a join
 * either entered the socket.io room before a move (and hears it) or reads the
 * new topology for its ack. One node only: in shared mode rooms do not move.
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

  /** How an `auto` room carries media now; undefined for other rooms. */
  topology(roomid: string): Topology | undefined {
    return this.rooms.get(roomid)?.topology;
  }

  /** An `auto` mesh that could not move if it grew: no Janus instance answers. */
  stuck(roomid: string): boolean {
    return this.rooms.get(roomid)?.topology === 'mesh' && !this.sfu.available;
  }

  /**
   * A member entered; `others`: the connections of the members it found
   * there (`joiner` reads the topology from its ack). Past meshMax, an `auto`
   * mesh room moves to Janus, all of them with it.
   */
  grew(roomid: string, others: string[], publishers: number, joiner: string): void {
    const room = this.rooms.get(roomid);
    if (!room || room.topology === 'sfu' || others.length + 1 <= this.meshMax || !this.sfu.available) return;
    room.topology = 'sfu';
    clearTimeout(room.linger);
    // Still lingering from the last move back: that Janus room goes, members publish afresh in a new one (of another name: the old one may still be going).
    const lingered = this.sfu.retire(roomid);
    this.sfu.open(roomid, publishers, lingered).catch((err: unknown) => {
      this.log.warn({ err, roomid }, 'could not move the room to Janus: it stays a mesh');
      if (this.rooms.get(roomid) === room && room.topology === 'sfu') this.toMesh(roomid, room);
    });
    this.sfu.hold(roomid, others);
    this.relay.toRoom(roomid, 'room:topology', { topology: 'sfu' }, joiner);
  }

  /**
   * A member left: the room is gone (`deleted`), or an `auto` room on Janus
   * down to 2 members (`size()`, asked only then) goes back to the mesh.
   */
  async left(roomid: string, deleted: boolean, size: () => Awaitable<number>): Promise<void> {
    if (deleted) return this.closed(roomid);
    const room = this.rooms.get(roomid);
    if (room?.topology !== 'sfu' || (await size()) > 2) return;
    // Unless another leave moved it while the size was asked.
    if (this.rooms.get(roomid) === room && room.topology === 'sfu') this.toMesh(roomid, room);
  }

  /** The room is gone (the SFU side releases itself on the last leave). */
  closed(roomid: string): void {
    clearTimeout(this.rooms.get(roomid)?.linger);
    this.rooms.delete(roomid);
  }

  private toMesh(roomid: string, room: AutoRoom): void {
    room.topology = 'mesh';
    this.relay.toRoom(roomid, 'room:topology', { topology: 'mesh' });
    void this.sfu.unplace(roomid);
    room.linger = setTimeout(() => {
      if (this.rooms.get(roomid) === room && room.topology === 'mesh') this.sfu.retire(roomid);
    }, SFU_LINGER_MS);
    room.linger.unref?.();
  }
}
