/** <rtc-room>'s configuration attributes read into RoomClient settings: userids remembered per tab, reconnect policy, ICE policy, join options. */
import { TOPOLOGIES, type TopologyRequest } from '../protocol.js';
import type { JoinOptions } from './room-types.js';
import { DEFAULT_RECONNECT, RoomError, type ReconnectPolicy } from './signaling.js';

/** Says what is wrong with an attribute (the element reports it as an `invalid-attribute` room-error). */
export type ReportInvalid = (message: string) => void;

/** The part of sessionStorage the remembered userid needs. */
export type UseridStore = Pick<Storage, 'getItem' | 'setItem'>;

function randomUserid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return `user-${[...bytes].map((b) => b.toString(36).padStart(2, '0')).join('')}`;
}

/** Userids the rooms of this page use, so two rooms never share a remembered one. */
const claimedUserids = new Set<string>();

/**
 * The default userid: remembered per tab and room (sessionStorage), so a
 * reload comes back as the same user and replaces its old connection instead
 * of leaving a ghost behind.
 */
export function rememberedUserid(roomid: string | null, store: () => UseridStore = () => sessionStorage): string {
  const key = `rtc-elements:userid:${roomid ?? ''}`;
  let stored: string | null = null;
  try {
    stored = store().getItem(key);
  } catch {
    /* storage blocked (sandboxed iframe, privacy mode) */
  }
  const userid = stored && !claimedUserids.has(stored) ? stored : randomUserid();
  claimedUserids.add(userid);
  try {
    if (!stored || stored === userid) store().setItem(key, userid);
  } catch {
    /* not remembered: a reload gets a new id */
  }
  return userid;
}

/** The room that claimed `userid` is gone: another room of this page may use it. */
export function releaseUserid(userid: string): void {
  claimedUserids.delete(userid);
}

/** `relay` or `all`; anything else is reported and read as `all`. */
export function readIceTransportPolicy(value: string | null, report: ReportInvalid): RTCIceTransportPolicy {
  if (value === 'relay' || value === 'all') return value;
  if (value !== null && value !== '') report(`ice-transport-policy="${value}" is invalid: expected "all" or "relay".`);
  return 'all';
}

export interface ReconnectAttributes {
  reconnectAttempts: string | number | null;
  reconnectDelay: string | number | null;
  reconnectDelayMax: string | number | null;
}

/** The reconnect policy from the attributes; invalid values fall back to the defaults (and are reported). */
export function readReconnectPolicy(attrs: ReconnectAttributes, report: ReportInvalid): ReconnectPolicy {
  const read = (value: string | number | null, name: string, fallback: number): number => {
    if (value === null || value === '') return fallback;
    const n = Number(value);
    if (Number.isFinite(n) && n >= 0) return n;
    if (value === 'Infinity' || value === 'infinite') return Infinity;
    report(`${name}="${value}" is invalid: expected a number of at least 0.`);
    return fallback;
  };
  return {
    attempts: read(attrs.reconnectAttempts, 'reconnect-attempts', DEFAULT_RECONNECT.attempts),
    delayMs: read(attrs.reconnectDelay, 'reconnect-delay', DEFAULT_RECONNECT.delayMs),
    maxDelayMs: read(attrs.reconnectDelayMax, 'reconnect-delay-max', DEFAULT_RECONNECT.maxDelayMs),
  };
}

/** Password, room size and topology for a join; an invalid max-participants or topology throws `invalid-request`. */
export function readJoinOptions(password: string | null, maxParticipants: string | number | null, topology: string | null = null): JoinOptions {
  const max = maxParticipants === null || maxParticipants === '' ? undefined : Number(maxParticipants);
  if (max !== undefined && (!Number.isInteger(max) || max < 2)) {
    throw new RoomError('invalid-request', `max-participants="${maxParticipants}" is invalid: expected a whole number of at least 2.`);
  }
  if (topology && !(TOPOLOGIES as readonly string[]).includes(topology)) {
    throw new RoomError('invalid-request', `topology="${topology}" is invalid: expected "mesh", "sfu" or "auto".`);
  }
  return {
    ...(password ? { password } : {}),
    ...(max !== undefined ? { maxParticipants: max } : {}),
    ...(topology ? { topology: topology as TopologyRequest } : {}),
  };
}
