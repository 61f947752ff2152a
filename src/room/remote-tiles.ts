/** Which rendered tile shows which remote stream: the bookkeeping behind <rtc-room>'s <remote-stream> children, without the DOM. */

/** What the room changes on a rendered remote stream (a <remote-stream> element). */
export interface Tile {
  userid: string | null;
  extra: unknown;
  audioMuted: boolean;
  videoMuted: boolean;
  remove(): void;
}

/** A remote stream is one member's: keyed by (userid, streamid), so nobody's stream can take another member's tile. */
function key(userid: string, streamid: string): string {
  return `${userid}\n${streamid}`;
}

export class RemoteTiles<T extends Tile> {
  private readonly tiles = new Map<string, T>();

  get size(): number {
    return this.tiles.size;
  }

  /** Shows `tile` for the stream, in place of one shown for it before (which is removed). */
  show(userid: string, streamid: string, tile: T): void {
    const k = key(userid, streamid);
    this.tiles.get(k)?.remove();
    this.tiles.set(k, tile);
  }

  get(userid: string, streamid: string): T | undefined {
    return this.tiles.get(key(userid, streamid));
  }

  /** The stream ended: its tile goes. */
  ended(userid: string, streamid: string): void {
    const k = key(userid, streamid);
    this.tiles.get(k)?.remove();
    this.tiles.delete(k);
  }

  /** The user left: all its tiles go. */
  userLeft(userid: string): void {
    for (const [k, tile] of this.tiles) {
      if (tile.userid !== userid) continue;
      tile.remove();
      this.tiles.delete(k);
    }
  }

  /** The user changed its extra: its tiles show the new one. */
  userUpdated(userid: string, extra: unknown): void {
    for (const tile of this.tiles.values()) if (tile.userid === userid) tile.extra = extra;
  }

  muted(userid: string, streamid: string, kind: 'audio' | 'video', muted: boolean): void {
    const tile = this.tiles.get(key(userid, streamid));
    if (!tile) return;
    if (kind === 'audio') tile.audioMuted = muted;
    else tile.videoMuted = muted;
  }

  /** Removes every tile (the room element left the page). */
  clear(): void {
    for (const tile of this.tiles.values()) tile.remove();
    this.tiles.clear();
  }
}
