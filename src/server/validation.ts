// Schemas for everything a client sends. Objects are `v.object`: unknown keys
// are stripped, not rejected, so a client-written `from` simply disappears and
// a newer client's extra fields do not break an older server.
import * as v from 'valibot';
import {
  MAX_CANDIDATE_LENGTH,
  MAX_CUSTOM_DATA_BYTES,
  MAX_CUSTOM_EVENT_LENGTH,
  MAX_EXTRA_BYTES,
  MAX_ICE_FIELD_LENGTH,
  MAX_PASSWORD_LENGTH,
  MAX_ROOMID_LENGTH,
  MAX_SDP_LENGTH,
  MAX_SESSION_LENGTH,
  MAX_STREAMID_LENGTH,
  MAX_STREAMS,
  MAX_TOKEN_LENGTH,
  MAX_USERID_LENGTH,
  ROOMID_PATTERN,
  SFU_LAYERS,
  TOPOLOGIES,
  USERID_PATTERN,
  type ClientEventName,
  type JsonValue,
} from '../protocol.js';
import { isJsonValue, jsonByteLength } from './json.js';

/** Largest room size a client may even ask for (the server clamps further). */
const MAX_REQUESTED_ROOM_SIZE = 1024;

const userid = v.pipe(
  v.string(),
  v.maxLength(MAX_USERID_LENGTH, `userid: at most ${MAX_USERID_LENGTH} characters`),
  v.regex(USERID_PATTERN, 'userid: 1-64 characters of [A-Za-z0-9_.-]'),
);
const roomid = v.pipe(
  v.string(),
  v.maxLength(MAX_ROOMID_LENGTH, `roomid: at most ${MAX_ROOMID_LENGTH} characters`),
  v.regex(ROOMID_PATTERN, 'roomid: 1-128 characters of [A-Za-z0-9_.-]'),
);
const password = v.pipe(v.string(), v.maxLength(MAX_PASSWORD_LENGTH, `password: at most ${MAX_PASSWORD_LENGTH} characters`));

function json(maxBytes: number, what: string) {
  return v.pipe(
    v.custom<JsonValue>((x) => isJsonValue(x), `${what}: must be plain JSON (no reserved keys, not too deep)`),
    v.check((x) => jsonByteLength(x) <= maxBytes, `${what}: at most ${maxBytes} bytes of JSON`),
  );
}
export const extraSchema = json(MAX_EXTRA_BYTES, 'extra');
const customData = json(MAX_CUSTOM_DATA_BYTES, 'data');

const maxParticipants = v.pipe(
  v.number(),
  v.integer('maxParticipants: an integer'),
  v.minValue(2, 'maxParticipants: at least 2'),
  v.maxValue(MAX_REQUESTED_ROOM_SIZE, `maxParticipants: at most ${MAX_REQUESTED_ROOM_SIZE}`),
);

export const roomOpenSchema = v.object({
  roomid,
  password: v.optional(password),
  maxParticipants: v.optional(maxParticipants),
  extra: v.optional(extraSchema),
  topology: v.optional(v.picklist(TOPOLOGIES, 'topology: mesh, sfu or auto')),
  lobby: v.optional(v.boolean()),
});
export const roomJoinSchema = v.object({
  roomid,
  password: v.optional(password),
  extra: v.optional(extraSchema),
});
export const roomPresenceSchema = v.object({ roomid });
export const roomLeaveSchema = v.object({});

const description = v.object({
  type: v.picklist(['offer', 'answer', 'pranswer', 'rollback']),
  sdp: v.pipe(v.string(), v.maxLength(MAX_SDP_LENGTH, `sdp: at most ${MAX_SDP_LENGTH} characters`)),
});
const iceField = v.nullish(v.pipe(v.string(), v.maxLength(MAX_ICE_FIELD_LENGTH)));
const candidate = v.object({
  candidate: v.pipe(v.string(), v.maxLength(MAX_CANDIDATE_LENGTH, `candidate: at most ${MAX_CANDIDATE_LENGTH} characters`)),
  sdpMid: iceField,
  sdpMLineIndex: v.nullish(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1023))),
  usernameFragment: iceField,
});
const streamid = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_STREAMID_LENGTH));
const stream = v.object({
  streamid,
  kind: v.picklist(['camera', 'screen', 'audio']),
  audioMuted: v.optional(v.boolean()),
  videoMuted: v.optional(v.boolean()),
});
export const signalDataSchema = v.pipe(
  v.object({
    session: v.optional(v.pipe(v.string(), v.maxLength(MAX_SESSION_LENGTH))),
    gen: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER))),
    description: v.optional(description),
    candidate: v.optional(v.nullable(candidate)),
    streams: v.optional(v.pipe(v.array(stream), v.maxLength(MAX_STREAMS, `streams: at most ${MAX_STREAMS}`))),
  }),
  v.check(
    (d) => d.description !== undefined || d.candidate !== undefined || d.streams !== undefined,
    'data: needs a description, a candidate or streams',
  ),
);
export const signalSchema = v.object({ to: userid, data: signalDataSchema });

export const customSchema = v.object({
  event: v.pipe(
    v.string(),
    v.minLength(1, 'event: 1-64 characters'),
    v.maxLength(MAX_CUSTOM_EVENT_LENGTH, `event: 1-${MAX_CUSTOM_EVENT_LENGTH} characters`),
  ),
  data: v.optional(customData),
  to: v.optional(userid),
});
export const extraUpdateSchema = v.object({ extra: extraSchema });

const jsep = (type: 'offer' | 'answer') =>
  v.object({
    type: v.literal(type, `jsep: an ${type}`),
    sdp: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_SDP_LENGTH, `sdp: at most ${MAX_SDP_LENGTH} characters`)),
  });
export const sfuPublishSchema = v.object({ jsep: jsep('offer') });
export const sfuSubscribeSchema = v.object({ feeds: v.optional(v.pipe(v.array(userid), v.maxLength(1024))) });
export const sfuStartSchema = v.object({ jsep: jsep('answer') });
export const sfuTrickleSchema = v.object({ target: v.picklist(['publisher', 'subscriber']), candidate: v.nullable(candidate) });
export const sfuUnpublishSchema = v.object({});
export const sfuLayerSchema = v.object({ userid, streamid, layer: v.picklist(SFU_LAYERS, 'layer: low, medium or high') });

const userSchema = v.object({ userid });
const mediaKind = v.picklist(['audio', 'video'], 'kind: audio or video');
export const memberMuteSchema = v.object({ userid, kind: mediaKind });
export const memberUnmuteSchema = v.object({ kind: mediaKind });
export const roomLockSchema = v.object({ locked: v.boolean() });

export const handshakeSchema = v.object({
  userid: v.optional(userid),
  token: v.optional(v.pipe(v.string(), v.maxLength(MAX_TOKEN_LENGTH))),
  extra: v.optional(extraSchema),
});

const iceServer = v.object({
  urls: v.union([v.pipe(v.string(), v.minLength(1)), v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.minLength(1))]),
  username: v.optional(v.string()),
  credential: v.optional(v.string()),
});
export const iceServersSchema = v.array(iceServer);

/**
 * The relay's hot path, checked without valibot: a `signal` carrying a
 * candidate or a description (nearly every message a call sends). Returns the
 * same output as `signalSchema` would (known keys only, in schema order), or
 * undefined for anything else, valid or not (streams, unusual shapes,
 * mistakes), which then goes through the schema and gets its description of
 * what is wrong. So this may only ever accept what the schema accepts; the
 * units test holds the two side by side.
 */
export function fastSignal(p: Record<string, unknown>): Payload<'signal'> | undefined {
  const { to, data } = p;
  if (typeof to !== 'string' || to.length > MAX_USERID_LENGTH || !USERID_PATTERN.test(to)) return undefined;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const d = data as Record<string, unknown>;
  if (d.streams !== undefined) return undefined;
  const out: Payload<'signal'>['data'] = {};
  const { session, gen, description, candidate } = d;
  if (session !== undefined) {
    if (typeof session !== 'string' || session.length > MAX_SESSION_LENGTH) return undefined;
    out.session = session;
  }
  if (gen !== undefined) {
    if (typeof gen !== 'number' || !Number.isSafeInteger(gen) || gen < 0) return undefined;
    out.gen = gen;
  }
  if (description !== undefined) {
    if (typeof description !== 'object' || description === null || Array.isArray(description)) return undefined;
    const { type, sdp } = description as Record<string, unknown>;
    if (!(type === 'offer' || type === 'answer' || type === 'pranswer' || type === 'rollback')) return undefined;
    if (typeof sdp !== 'string' || sdp.length > MAX_SDP_LENGTH) return undefined;
    out.description = { type, sdp };
  }
  if (candidate !== undefined) {
    if (candidate === null) out.candidate = null;
    else {
      const c = fastCandidate(candidate);
      if (!c) return undefined;
      out.candidate = c;
    }
  }
  if (out.description === undefined && out.candidate === undefined) return undefined;
  return { to, data: out };
}

type Candidate = NonNullable<Payload<'signal'>['data']['candidate']>;

function fastCandidate(c: unknown): Candidate | undefined {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return undefined;
  const { candidate, sdpMid, sdpMLineIndex, usernameFragment } = c as Record<string, unknown>;
  if (typeof candidate !== 'string' || candidate.length > MAX_CANDIDATE_LENGTH) return undefined;
  const out: Candidate = { candidate };
  if (sdpMid !== undefined) {
    if (sdpMid !== null && (typeof sdpMid !== 'string' || sdpMid.length > MAX_ICE_FIELD_LENGTH)) return undefined;
    out.sdpMid = sdpMid;
  }
  if (sdpMLineIndex !== undefined) {
    if (sdpMLineIndex !== null && (typeof sdpMLineIndex !== 'number' || !Number.isInteger(sdpMLineIndex) || sdpMLineIndex < 0 || sdpMLineIndex > 1023)) return undefined;
    out.sdpMLineIndex = sdpMLineIndex;
  }
  if (usernameFragment !== undefined) {
    if (usernameFragment !== null && (typeof usernameFragment !== 'string' || usernameFragment.length > MAX_ICE_FIELD_LENGTH)) return undefined;
    out.usernameFragment = usernameFragment;
  }
  return out;
}

/** The schema for each client event's payload. */
export const payloadSchemas = {
  'room:open': roomOpenSchema,
  'room:join': roomJoinSchema,
  'room:open-or-join': roomOpenSchema,
  'room:presence': roomPresenceSchema,
  'room:leave': roomLeaveSchema,
  signal: signalSchema,
  custom: customSchema,
  'extra:update': extraUpdateSchema,
  'sfu:publish': sfuPublishSchema,
  'sfu:subscribe': sfuSubscribeSchema,
  'sfu:start': sfuStartSchema,
  'sfu:trickle': sfuTrickleSchema,
  'sfu:unpublish': sfuUnpublishSchema,
  'sfu:layer': sfuLayerSchema,
  'host:make': userSchema,
  'lobby:admit': userSchema,
  'lobby:deny': userSchema,
  'member:mute': memberMuteSchema,
  'member:unmute': memberUnmuteSchema,
  'member:remove': userSchema,
  'room:lock': roomLockSchema,
  'room:end': v.object({}),
} satisfies Record<ClientEventName, v.GenericSchema>;

export type Payload<E extends ClientEventName> = v.InferOutput<(typeof payloadSchemas)[E]>;

/** One short line describing why validation failed (input values are not echoed). */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  const first = issues[0];
  if (!first) return 'invalid payload';
  const path = v.getDotPath(first);
  // valibot's default messages quote the received value; ours do not, and
  // for the defaults keep only the expectation.
  const message = first.message.replace(/ but received .*$/s, '');
  const text = path && !message.startsWith(`${path.split('.').pop()}:`) ? `${path}: ${message}` : message;
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
