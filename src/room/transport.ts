/** The seam between a room's session and its media: the Transport interface every media transport (mesh today) implements. */
import type { SignalData, StreamInfo, StreamKind } from '../protocol.js';
import type { DataPayload } from './data-messages.js';
import type { RoomError } from './signaling.js';

/** A local stream and what peers are told about it (kind, mute flags). */
export interface LocalStreamEntry {
  stream: MediaStream;
  info: StreamInfo;
}

/** connectionState, plus `restarting` (ICE restart under way) and `rebuilding` (a new connection replaces a failed one). */
export type PeerState = RTCPeerConnectionState | 'restarting' | 'rebuilding';

/** What a transport reads from the session whenever it needs it (never cached: they change at run time). */
export interface TransportContext {
  /** Our userid (the server may confirm another one on join). */
  userid(): string;
  /** Identifies this client instance to peers: a reload is a new session. */
  readonly session: string;
  /** ICE servers and policy for new and reconfigured connections. */
  rtcConfig(): RTCConfiguration;
  /** The local streams peers may receive (none when the room token does not allow publishing). */
  published(): LocalStreamEntry[];
}

/** What a transport reports to the session. */
export interface TransportHooks {
  /** Relay a signal through the signaling server to one user. */
  signal(to: string, data: SignalData): void;
  /** `source`: the id the sender gave the stream, when `stream.id` is another (SFU): a move between transports keeps the tile it keys. */
  remoteStream(userid: string, stream: MediaStream, info: StreamInfo, source?: string): void;
  remoteStreamEnded(userid: string, streamid: string, kind: StreamKind): void;
  remoteMute(userid: string, streamid: string, kind: 'audio' | 'video', muted: boolean): void;
  peerState(userid: string, state: PeerState): void;
  /** A data message from a user (the session decides whether that user may send data). */
  message(userid: string, data: unknown): void;
  /**
   * The media path to `userid` went away by itself. The session answers true
   * when it drops the user (its socket is gone too: the tab closed); false
   * lets the transport rebuild the path.
   */
  lost(userid: string): boolean;
  /** Problems worth a console line; never thrown. */
  warn(message: string, err?: unknown): void;
  /** A problem the page must hear of (a room error): e.g. our media could not be sent again after the SFU was replaced. */
  error?(err: RoomError): void;
}

/**
 * Carries a room's media and data between this user and the others. The
 * session (RoomClient) owns the socket and who is in the room; it tells the
 * transport about peers and local streams and hands it the signals addressed
 * to it. A transport can be stopped and another started with the same peers
 * and local streams (moving a room from mesh to SFU mid-call).
 */
export interface Transport {
  /** Short name for logs and tests (`mesh`). */
  readonly name: string;
  /** From now on, peers and signals are taken. */
  start(): void;
  /** Drops every connection (remote streams end through the hooks) and ignores peers and signals until started again. */
  stop(): void;
  /**
   * A join is coming or under way (true), done (`member`: in the room), or
   * neither (false): the mesh prepares the join's first offer ahead, and a
   * member a connection for the next joiner.
   */
  warm?(on: boolean | 'member'): void;

  // Peers, as the session reports them.
  /**
   * A user is in the room. `initiate`: we just joined and call them now;
   * otherwise they joined after us and call us (the transport may call after a while).
   */
  peerJoined(userid: string, initiate: boolean): void;
  /** A user left: release what belongs to them. */
  peerLeft(userid: string): void;
  /** After a signaling outage (rejoin): repair what is unhealthy, then say our streams again. */
  heal(userid: string): void;
  /** Media to this user is flowing now (its socket may drop without the call ending). */
  carriesMedia(userid: string): boolean;
  /** The path to this user still carries media or is still being set up. */
  isAlive(userid: string): boolean;
  /** ICE servers or policy changed: apply `rtcConfig()` to open connections. */
  configure(): void;

  // Signals addressed to the transport.
  /** Whether a signal from a user the session does not know opens a call (then the session adds the user first). */
  opensCall(data: SignalData): boolean;
  /** Applies a signal; false when it was stale or ignored. */
  handleSignal(from: string, data: SignalData): boolean;

  // Local streams (already filtered by the session's `publish` permission).
  addStream(stream: MediaStream): void;
  removeStream(streamid: string): void;
  replaceTrack(streamid: string, oldTrack: MediaStreamTrack | null, newTrack: MediaStreamTrack): void;
  /** The description of our streams changed (mute flags), or may have been lost (rejoin): tell everyone. */
  announceStreams(): void;
  /** Attach or detach local streams so each connection carries exactly `published()`. */
  syncStreams(): void;

  // Data.
  /** Sends to everyone, or to one user. */
  send(data: DataPayload, userid?: string): void;

  // What the element shows.
  /** The RTCPeerConnection carrying this user's media, if any. */
  connection(userid: string): RTCPeerConnection | null;
  /** The streams received from this user. */
  remoteStreams(userid: string): MediaStream[];
  /** A received stream's tile is rendered at this size (CSS pixels): the SFU picks the simulcast layer to forward. */
  fit?(stream: MediaStream | null, box: { width: number; height: number }): void;
}

/** The `custom` event `send()` uses in SFU rooms: the server relays it (JSON, ≤ 16 KiB), stamped with the sender. */
export const SFU_DATA = 'rtc-elements:data';
