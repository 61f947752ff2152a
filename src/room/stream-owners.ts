/** Which member each remote stream id belongs to: the first member to send it. Another member sending the same id is refused. */

/**
 * Remote streams are shown per (userid, stream id), and a stream id names one
 * member's stream: a member who reuses another member's stream id (read from
 * that member's signals) would otherwise replace that member's tile with its
 * own media. The server refuses such signals too; this keeps a client safe
 * from a server that does not.
 */
export class StreamOwners {
  private readonly owners = new Map<string, string>();

  /** True when `userid` may show `streamid`: it owns it, or nobody did and now it does. */
  claim(userid: string, streamid: string): boolean {
    const owner = this.owners.get(streamid);
    if (owner === undefined) this.owners.set(streamid, userid);
    return owner === undefined || owner === userid;
  }

  /** The member `streamid` belongs to, if any. */
  owner(streamid: string): string | undefined {
    return this.owners.get(streamid);
  }

  /** True when `userid` owns `streamid` (events about it from anyone else are ignored). */
  owns(userid: string, streamid: string): boolean {
    return this.owners.get(streamid) === userid;
  }

  /** The stream ended: its id is free again. */
  release(userid: string, streamid: string): void {
    if (this.owns(userid, streamid)) this.owners.delete(streamid);
  }

  /** The member left: every id it owned is free. */
  releaseUser(userid: string): void {
    for (const [streamid, owner] of this.owners) if (owner === userid) this.owners.delete(streamid);
  }

  clear(): void {
    this.owners.clear();
  }
}
