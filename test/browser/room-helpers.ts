// Several <rtc-room> elements in one page act as separate users: each has its
// own socket and peer connections. These helpers build them and assert what
// each user would see.
import '../../dist/index.js';
import { MeshTransport, type MediaCapture, type Peer, type RemoteStream, type RtcRoom } from '../../dist/index.js';
import type { SignalData } from '../../dist/protocol.js';
import { expectFrames, waitFor } from './helpers.js';

export interface User {
  room: RtcRoom;
  capture: MediaCapture | null;
  userid: string;
}

let counter = 0;
/** A room id no other test uses. */
export const uniqueRoom = (label = 'room') => `${label}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

const users: User[] = [];
let stage: HTMLElement | null = null;

function getStage(): HTMLElement {
  if (!stage) {
    stage = document.createElement('div');
    stage.id = 'stage';
    document.body.append(stage);
  }
  return stage;
}

export interface UserOptions {
  /** Attributes of the <media-capture> child; null: no capture. */
  capture?: Record<string, string> | null;
  /** Extra attributes of the <rtc-room>. */
  attrs?: Record<string, string>;
  /** Join with openOrJoin() right away (default true). */
  join?: boolean;
  /** Exactly this userid (default: `name` plus a counter). */
  userid?: string;
}

/** Small, slow video keeps several users in one page within two cores. */
export const SMALL_VIDEO = { video: '', audio: '', width: '320', height: '240', 'frame-rate': '15' };

/** Creates a user: an <rtc-room> (and a <media-capture> inside, started), joined to `roomid`. */
export async function createUser(roomid: string, name: string, options: UserOptions = {}): Promise<User> {
  const room = document.createElement('rtc-room');
  const userid = options.userid ?? `${name}-${(counter++).toString(36)}`;
  room.setAttribute('room-id', roomid);
  room.setAttribute('userid', userid);
  for (const [k, v] of Object.entries(options.attrs ?? {})) room.setAttribute(k, v);
  let capture: MediaCapture | null = null;
  const captureAttrs = options.capture === undefined ? SMALL_VIDEO : options.capture;
  if (captureAttrs) {
    capture = document.createElement('media-capture');
    for (const [k, v] of Object.entries(captureAttrs)) capture.setAttribute(k, v);
    room.append(capture);
  }
  getStage().append(room);
  const user = { room, capture, userid };
  users.push(user);
  if (capture) await capture.start();
  if (options.join !== false) await room.openOrJoin();
  return user;
}

/** Removes every user created by createUser (afterEach). */
export async function removeAllUsers(): Promise<void> {
  for (const u of users.splice(0)) {
    u.capture?.stop();
    u.room.remove();
  }
  await new Promise((r) => setTimeout(r, 20));
}

/** The <remote-stream> elements a user's room rendered for `fromUserid`. */
export function remoteStreamsFrom(user: User, fromUserid: string): RemoteStream[] {
  return [...user.room.querySelectorAll<RemoteStream>(`remote-stream[userid="${fromUserid}"]`)];
}

/** Waits until `user` renders moving video from `from` (new frames on its <remote-stream>). */
export async function expectVideoFrom(user: User, from: User, timeout = 15000): Promise<RemoteStream> {
  const el = await waitFor(
    () => remoteStreamsFrom(user, from.userid).find((e) => e.kind !== 'audio' && e.mediaElement),
    `${user.userid} renders a <remote-stream> from ${from.userid}`,
    timeout,
  );
  await el.updateComplete;
  await expectFrames(el.mediaElement!, 3, timeout);
  return el;
}

/** Every user renders video from every other user. */
export async function expectFullMesh(group: User[], timeout = 20000): Promise<void> {
  const checks: Promise<unknown>[] = [];
  for (const a of group) for (const b of group) if (a !== b) checks.push(expectVideoFrom(a, b, timeout));
  await Promise.all(checks);
}

/** inbound-rtp video framesDecoded summed over one RTCPeerConnection. */
export async function framesDecoded(pc: RTCPeerConnection): Promise<number> {
  const stats = await pc.getStats();
  let total = 0;
  stats.forEach((s: { type: string; kind?: string; framesDecoded?: number }) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') total += s.framesDecoded ?? 0;
  });
  return total;
}

/** framesDecoded on `user`'s connection to `from` keeps rising. */
export async function expectDecodingFrom(user: User, from: User, timeout = 10000): Promise<void> {
  const pc = user.room.peers.get(from.userid)?.connection;
  if (!pc) throw new Error(`${user.userid} has no connection to ${from.userid}`);
  const start = await framesDecoded(pc);
  await waitFor(async () => (await framesDecoded(pc)) > start + 5, `${user.userid} decodes frames from ${from.userid}`, timeout);
}

/**
 * Delays every `signal` this user's socket emits by `ms`, to shake out
 * ordering bugs (glare at different signaling latencies).
 */
export function delaySignals(user: User, ms: number): void {
  const socket = user.room.socket!;
  const emit = socket.emit.bind(socket) as (...args: unknown[]) => unknown;
  (socket as unknown as { emit: (...args: unknown[]) => unknown }).emit = (...args: unknown[]) => {
    if (args[0] === 'signal' && ms > 0) {
      setTimeout(() => emit(...args), ms);
      return socket;
    }
    return emit(...args);
  };
}

/** Records the `data` of every `signal` this user's socket sends from now on. */
export function recordSignals(user: User): SignalData[] {
  const sent: SignalData[] = [];
  const socket = user.room.socket!;
  const emit = socket.emit.bind(socket) as (...args: unknown[]) => unknown;
  (socket as unknown as { emit: (...args: unknown[]) => unknown }).emit = (...args: unknown[]) => {
    if (args[0] === 'signal') sent.push((args[1] as { data: SignalData }).data);
    return emit(...args);
  };
  return sent;
}

/** Counts session descriptions (offers/answers) this user's socket sends from now on. */
export function countDescriptions(user: User): { readonly offers: number; readonly answers: number } {
  const sent = recordSignals(user);
  const count = (type: RTCSdpType) => sent.filter((s) => s.description?.type === type).length;
  return {
    get offers() {
      return count('offer');
    },
    get answers() {
      return count('answer');
    },
  };
}

/** The mesh's Peer (one RTCPeerConnection) from `user` to `remote`, for tests that poke one connection. */
export function meshPeer(user: User, remote: User): Peer {
  const transport = user.room.room.transport;
  if (!(transport instanceof MeshTransport)) throw new Error(`${user.userid}'s room does not use the mesh transport`);
  const peer = transport.peer(remote.userid);
  if (!peer) throw new Error(`${user.userid} has no connection to ${remote.userid}`);
  return peer;
}
