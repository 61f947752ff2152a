// The fuzz harness's generators: fast-check arbitraries for every kind of hostile action (events, raw packets, handshakes, oversized, floods).
import { CLIENT_RESERVED, GOOD_PASSWORD, GOOD_ROOM, GOOD_USERS, ROOM_POOL } from './shared.mjs';

/** Builds `{ a: { a: … } }` or `[[…]]` `depth` deep, without recursion. */
function nest(depth, kind) {
  let v = 1;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}

const POISON_TEXTS = [
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  '{"prototype":{"polluted":1}}',
  '{"a":{"b":{"__proto__":{"polluted":1}}}}',
  '{"roomid":"f1","__proto__":{"roomid":"good-room"}}',
  '{"to":"good-a","__proto__":{"to":"good-b"},"data":{"candidate":null}}',
  '{"event":"x","data":{"__proto__":{"isAdmin":true}}}',
  '{"extra":{"constructor":{"name":"x"}}}',
  '[{"__proto__":[]}]',
  '{"__proto__":null}',
  '{"hasOwnProperty":1,"toString":"x","valueOf":{}}',
];

export function actionArbitrary(fc, events, sockets, mix = {}) {
  const unicodeString = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.constantFrom('\u0000', 'ｆ１', 'f1\u200b', 'f\u0301', '\ud800', '🙂'.repeat(40), 'ℌ', 'A'.repeat(65), 'good\u2010a', 'ɡood-a'),
  );
  const binary = fc.uint8Array({ maxLength: 96 }).map((a) => Buffer.from(a));
  const poison = fc.constantFrom(...POISON_TEXTS).map((t) => JSON.parse(t));
  const deep = fc.tuple(fc.integer({ min: 15, max: 1500 }), fc.constantFrom('array', 'object')).map(([d, k]) => nest(d, k));
  const big = fc.integer({ min: 4 * 1024, max: 60 * 1024 }).map((n) => 'x'.repeat(n));
  const junk = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.bigInt().map(String), fc.array(fc.integer(), { maxLength: 5 }));
  const json = fc.jsonValue({ maxDepth: 3 });
  const value = fc.oneof(
    { arbitrary: json, weight: 8 },
    { arbitrary: binary, weight: 1 },
    { arbitrary: poison, weight: 1 },
    { arbitrary: deep, weight: 1 },
    { arbitrary: big, weight: 1 },
    { arbitrary: unicodeString, weight: 2 },
    { arbitrary: junk, weight: 2 },
  );
  const roomid = fc.oneof(
    { arbitrary: fc.constantFrom(...ROOM_POOL), weight: 10 },
    { arbitrary: fc.constantFrom(GOOD_ROOM, '__proto__', 'constructor', 'toString', ''), weight: 1 },
    { arbitrary: unicodeString, weight: 2 },
    { arbitrary: value, weight: 1 },
  );
  const userid = fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: sockets - 1 }).map((i) => `h${i}`), weight: 8 },
    { arbitrary: fc.constantFrom(...GOOD_USERS, 'nobody', '__proto__'), weight: 2 },
    { arbitrary: unicodeString, weight: 1 },
    { arbitrary: value, weight: 1 },
  );
  const password = fc.oneof(fc.constantFrom(undefined, '', 'pw', GOOD_PASSWORD), fc.string({ maxLength: 300 }), junk);
  const sdp = fc.oneof(
    { arbitrary: fc.string({ maxLength: 200 }), weight: 3 },
    { arbitrary: fc.constantFrom('v=0\r\nm=audio 9 RTP/AVP 0\r\na=sendrecv\r\n', 'v=0\r\nm=video 9 RTP/AVP 96\r\na=recvonly\r\na=candidate:1 1 udp 1 10.0.0.1 9 typ host\r\n'), weight: 1 },
    { arbitrary: fc.constant('s'.repeat(48 * 1024 + 1)), weight: 1 },
    { arbitrary: junk, weight: 1 },
  );
  const candidate = fc.oneof(
    fc.constant(null),
    fc.record(
      {
        candidate: fc.oneof(fc.string({ maxLength: 120 }), fc.constant('candidate:1 1 udp 1 10.0.0.9 5000 typ host'), fc.constant('c'.repeat(1025)), junk),
        sdpMid: fc.oneof(fc.string({ maxLength: 8 }), junk),
        sdpMLineIndex: fc.oneof(fc.integer({ min: -2, max: 2000 }), junk),
        usernameFragment: fc.oneof(fc.string({ maxLength: 300 }), junk),
      },
      { requiredKeys: [] },
    ),
    value,
  );
  const streams = fc.oneof(
    fc.array(fc.record({ streamid: fc.oneof(fc.string({ maxLength: 70 }), junk), kind: fc.oneof(fc.constantFrom('camera', 'screen', 'audio'), unicodeString), audioMuted: fc.oneof(fc.boolean(), junk) }, { requiredKeys: [] }), { maxLength: 20 }),
    value,
  );
  const signalData = fc.oneof(
    fc.record(
      {
        session: fc.oneof(fc.string({ maxLength: 70 }), junk),
        gen: fc.oneof(fc.nat(), junk),
        description: fc.oneof(fc.record({ type: fc.oneof(fc.constantFrom('offer', 'answer', 'pranswer', 'rollback'), unicodeString), sdp }, { requiredKeys: [] }), value),
        candidate,
        streams,
        from: userid,
      },
      { requiredKeys: [] },
    ),
    value,
  );
  const extra = fc.oneof({ arbitrary: json, weight: 4 }, { arbitrary: value, weight: 2 });
  const maxParticipants = fc.oneof(fc.integer({ min: -5, max: 2000 }), junk);
  const payloads = {
    'room:open': fc.record({ roomid, password, maxParticipants, extra }, { requiredKeys: [] }),
    'room:join': fc.record({ roomid, password, extra }, { requiredKeys: [] }),
    'room:open-or-join': fc.record({ roomid, password, maxParticipants, extra }, { requiredKeys: [] }),
    'room:presence': fc.record({ roomid }, { requiredKeys: [] }),
    'room:leave': fc.oneof(fc.constant({}), value),
    signal: fc.record({ to: userid, data: signalData, from: userid }, { requiredKeys: [] }),
    custom: fc.record({ event: fc.oneof(fc.string({ maxLength: 70 }), unicodeString, junk), data: value, to: userid }, { requiredKeys: [] }),
    'extra:update': fc.record({ extra }, { requiredKeys: [] }),
  };
  // Well-formed ones too, so the success paths (rooms filling, relaying to members) run under the storm.
  const goodRoomid = fc.constantFrom(...ROOM_POOL);
  const goodPeer = fc.integer({ min: 0, max: sockets - 1 }).map((i) => `h${i}`);
  const goodPassword = fc.constantFrom(undefined, 'pw');
  const goodExtra = fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined });
  const valid = {
    'room:open': fc.record({ roomid: goodRoomid, password: goodPassword, maxParticipants: fc.integer({ min: 2, max: 8 }), extra: goodExtra }, { requiredKeys: ['roomid'] }),
    'room:join': fc.record({ roomid: goodRoomid, password: goodPassword, extra: goodExtra }, { requiredKeys: ['roomid'] }),
    'room:open-or-join': fc.record({ roomid: goodRoomid, password: goodPassword, extra: goodExtra }, { requiredKeys: ['roomid'] }),
    'room:presence': fc.record({ roomid: goodRoomid }),
    'room:leave': fc.constant({}),
    signal: fc.record({
      to: goodPeer,
      data: fc.oneof(
        fc.record({ candidate: fc.constant({ candidate: 'candidate:1 1 udp 1 h.local 9 typ host', sdpMid: '0', sdpMLineIndex: 0 }) }),
        fc.record({ description: fc.record({ type: fc.constantFrom('offer', 'answer'), sdp: fc.constantFrom('v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n', 'v=0\r\nm=audio 9 RTP/AVP 0\r\na=sendrecv\r\n') }) }),
        fc.record({ streams: fc.array(fc.record({ streamid: fc.string({ minLength: 1, maxLength: 64 }), kind: fc.constantFrom('camera', 'screen', 'audio') }), { maxLength: 4 }) }),
      ),
    }),
    custom: fc.record({ event: fc.string({ minLength: 1, maxLength: 64 }), data: fc.jsonValue({ maxDepth: 2 }), to: goodPeer }, { requiredKeys: ['event'] }),
    'extra:update': fc.record({ extra: fc.jsonValue({ maxDepth: 2 }) }),
  };
  const payloadFor = (event) =>
    Object.hasOwn(payloads, event)
      ? fc.oneof({ arbitrary: valid[event], weight: 3 }, { arbitrary: payloads[event], weight: 5 }, { arbitrary: poison, weight: 1 }, { arbitrary: value, weight: 1 })
      : value;
  // The mesh requests as often as ever (their success paths must show up in 10,000 messages); the
  // SFU requests (refused or answered without Janus) and the host requests (refused to all but
  // the rare host) rarer, as groups, so adding requests does not thin out the others.
  const sfuEvents = events.filter((e) => e.startsWith('sfu:'));
  const hostEvents = events.filter((e) => /^(host:|lobby:|member:|room:lock$|room:end$)/.test(e));
  const meshEvents = events.filter((e) => !sfuEvents.includes(e) && !hostEvents.includes(e));
  const eventName = fc.oneof(
    { arbitrary: fc.constantFrom(...meshEvents), weight: 12 },
    ...(sfuEvents.length ? [{ arbitrary: fc.constantFrom(...sfuEvents), weight: 2 }] : []),
    ...(hostEvents.length ? [{ arbitrary: fc.constantFrom(...hostEvents), weight: 1 }] : []),
    // The relay's hot path, whose success needs two members of one room: more tries.
    { arbitrary: fc.constant('signal'), weight: 3 },
    { arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'room:delete', 'admin', 'peer:join', 'signal ', ''), weight: 1 },
    { arbitrary: unicodeString.filter((e) => !CLIENT_RESERVED.has(e)), weight: 1 },
  );
  const socket = fc.integer({ min: 0, max: sockets - 1 });

  const emit = eventName.chain((event) =>
    fc.record({
      kind: fc.constant('emit'),
      socket,
      event: fc.constant(event),
      payload: payloadFor(event),
      extraArgs: fc.oneof({ arbitrary: fc.constant([]), weight: 9 }, { arbitrary: fc.array(value, { minLength: 1, maxLength: 2 }), weight: 1 }),
      ack: fc.oneof({ arbitrary: fc.constant(true), weight: 5 }, { arbitrary: fc.constant(false), weight: 1 }),
    }),
  );
  const deepText = (n) => `${'['.repeat(n)}1${']'.repeat(n)}`;
  const rawPacket = fc.oneof(
    fc.constantFrom(
      '2',
      '2[',
      '2{"a":1}',
      '2[]',
      '2[null]',
      '2[1,2,3]',
      '2["room:open"]',
      '2["room:open",{"roomid":"f1"},"x"]',
      '3',
      '3[]',
      '399999999999999999999[{}]',
      '2999999999999999999999["room:presence",{"roomid":"f1"}]',
      '0/admin,',
      '0/admin,{"token":"x"}',
      '2/admin,["room:open",{"roomid":"f1"}]',
      '51-["custom",{"event":"b","data":{"_placeholder":true,"num":0}}]',
      '51-["custom",{"event":"b","data":{"_placeholder":true,"num":7}}]',
      '5-1["custom",{}]',
      '6',
      '7["x"]',
      '2["__proto__",{}]',
      '2["constructor",{"roomid":"f1"}]',
      '2["room:open",{"__proto__":{"roomid":"good-room"}}]',
      `2["room:presence",${deepText(3000)}]`,
      `2["custom",{"event":"d","data":${deepText(20000)}}]`,
      'x'.repeat(1000),
      '',
    ),
    fc.string({ maxLength: 60 }).map((s) => `2${s}`),
    fc.string({ unit: 'binary', maxLength: 60 }),
  );
  const raw = fc.record({ kind: fc.constant('raw'), socket, text: rawPacket, attachment: fc.option(binary, { nil: undefined }) });
  const flood = fc.record({
    kind: fc.constant('flood'),
    socket,
    count: fc.integer({ min: 220, max: 500 }),
    event: fc.constantFrom('room:presence', 'signal', 'custom', 'extra:update', 'nope'),
  });
  const handshake = fc.record({
    kind: fc.constant('handshake'),
    auth: fc.oneof(
      fc.record(
        {
          token: fc.oneof(
            fc.string({ maxLength: 200 }),
            fc.constantFrom('eyJhbGciOiJub25lIn0.eyJzdWIiOiJnb29kLWEiLCJyb29tIjoiKiJ9.', 'a.b.c', '...', 'x'.repeat(5000)),
            fc.tuple(fc.base64String({ maxLength: 60 }), fc.base64String({ maxLength: 200 }), fc.base64String({ maxLength: 60 })).map((p) => p.join('.')),
            binary,
            junk,
          ),
          userid: userid,
          extra: extra,
        },
        { requiredKeys: [] },
      ),
      poison,
      value,
    ),
    transport: fc.constantFrom('websocket', 'polling'),
  });
  const oversized = fc.record({ kind: fc.constant('oversized'), socket, size: fc.integer({ min: 65 * 1024, max: 100 * 1024 }) });
  // Weighted by messages: floods (~360 messages each) make up about a tenth.
  // Most raw packets and every oversized one end their connection, so they
  // stay rare enough that sockets live long enough to get into rooms.
  const w = { emit: 3000, raw: 40, handshake: 40, oversized: 6, flood: 1, ...mix };
  const kinds = { emit, raw, handshake, oversized, flood };
  return fc.oneof(...Object.entries(kinds).filter(([k]) => w[k] > 0).map(([k, arbitrary]) => ({ arbitrary, weight: w[k] })));
}

