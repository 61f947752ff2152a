// Janus WebSocket API shapes (core and plugin envelopes) and the error type our Janus client throws.

/** An SDP offer or answer as Janus carries it (`jsep`). */
export interface Jsep {
  type: 'offer' | 'answer';
  sdp: string;
}

/** One trickled ICE candidate, as the browser's RTCIceCandidate serializes it. */
export interface TrickleCandidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

/** The end of a side's candidates. */
export interface TrickleCompleted {
  completed: true;
}

/** What Janus sends on its WebSocket: a response to a transaction or an event for a session/handle. */
export interface JanusMessage {
  janus: string;
  transaction?: string;
  session_id?: number;
  /** The handle an event is about. */
  sender?: number;
  data?: { id?: number } & Record<string, unknown>;
  error?: { code: number; reason: string };
  plugindata?: { plugin: string; data: PluginData };
  jsep?: Jsep;
  candidate?: TrickleCandidate | TrickleCompleted;
  reason?: string;
  type?: string;
  receiving?: boolean;
  uplink?: boolean;
  mid?: string;
}

/** A plugin's reply or event body (`plugindata.data`). */
export type PluginData = Record<string, unknown>;

/** A plugin reply, with the SDP Janus attached to it, if any. */
export interface PluginResult {
  data: PluginData;
  jsep?: Jsep;
}

/**
 * A request Janus (or its plugin) refused or never answered. `code` is Janus'
 * own error code (403 bad api_secret, 458 no such session, 426 no such room,
 * ...), or 0 for transport failures (timeout, socket closed).
 */
export class JanusError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = 'JanusError';
    this.code = code;
  }
}

/** Janus core and VideoRoom error codes we act upon. */
export const JanusErrorCode = {
  transport: 0,
  unauthorized: 403,
  sessionNotFound: 458,
  handleNotFound: 459,
  videoroomNoSuchRoom: 426,
  videoroomRoomExists: 427,
  videoroomNoSuchFeed: 428,
  videoroomMissingElement: 429,
  videoroomUnauthorized: 433,
  videoroomIdExists: 436,
} as const;
