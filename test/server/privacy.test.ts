// What clients and logs learn: no socket ids or addresses in any message,
// nothing about a room for non-members beyond room:presence, and no
// passwords, tokens or secrets in the logs.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { SignJWT, type JWTPayload } from 'jose';
import { pino } from 'pino';
import { io } from 'socket.io-client';
import type { IceServerConfig, RoomJoinedPayload } from '../../src/protocol.js';
import type { SignalingServer } from '../../src/server/index.js';
import { flush, ok, refused, sleep, startServer, type Client } from './helpers.js';

const TOKEN_SECRET = 'privacy-test-secret-at-least-32-bytes!!';
const TURN_SECRET = 'turn-shared-secret-do-not-log';
const PASSWORD = 'hunter2-correct-horse';
const WRONG_PASSWORD = 'wrong-horse-battery';

function sign(sub: string, claims: JWTPayload = {}, exp = Math.floor(Date.now() / 1000) + 600): Promise<string> {
  return new SignJWT({ room: 'demo', ...claims }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime(exp).sign(new TextEncoder().encode(TOKEN_SECRET));
}

/** A socket.io packet as the client's Manager decoded it. */
interface Packet {
  type: number;
  nsp: string;
  data?: unknown;
  id?: number;
}
const CONNECT = 0;
const CONNECT_ERROR = 4;

interface Tapped {
  client: Client;
  packets: Packet[];
}

const opened: Client[] = [];
after(() => {
  for (const c of opened) c.disconnect();
});

/** A client whose every incoming socket.io packet is recorded, from the very first. */
function tap(server: SignalingServer, token: string): { tapped: Tapped; connected: Promise<void> } {
  const client: Client = io(server.url!, { transports: ['websocket'], forceNew: true, reconnection: false, autoConnect: false, auth: { token } });
  opened.push(client);
  const packets: Packet[] = [];
  client.io.on('packet', (p) => packets.push(p as Packet));
  const connected = new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('connect_error', reject);
  });
  client.connect();
  return { tapped: { client, packets }, connected };
}

async function tapConnected(server: SignalingServer, token: string): Promise<Tapped> {
  const { tapped, connected } = tap(server, token);
  await connected;
  return tapped;
}

/** A string shaped like a socket.io / engine.io id: 20 characters of base64url, standing alone. */
const ID_SHAPE = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{20}(?![A-Za-z0-9_-])/;

describe('privacy', () => {
  it('no message carries a socket id or an address; non-members learn only presence; logs hold no secret', async () => {
    let logText = '';
    const logStream = new Writable({
      write(chunk: Buffer, _enc, done) {
        logText += chunk.toString();
        done();
      },
    });
    const server = await startServer({
      logger: pino({ level: 'trace' }, logStream),
      tokenSecret: TOKEN_SECRET,
      turn: { secret: TURN_SECRET, urls: ['turn:turn.example.org:3478'], ttl: 1 },
    });
    // Every id and address the server knows, as it learns them.
    const secretIds = new Set<string>();
    const addresses = new Set<string>(['127.0.0.1', '::1']);
    server.io.on('connection', (s) => {
      secretIds.add(s.id);
      secretIds.add((s.conn as unknown as { id: string }).id);
      addresses.add(s.handshake.address);
    });

    const tokens = { a: await sign('alice'), b: await sign('bob'), c: await sign('carol', { room: '*' }) };
    const a = await tapConnected(server, tokens.a);
    const b = await tapConnected(server, tokens.b);
    const outsider = await tapConnected(server, tokens.c);
    const handedOut: IceServerConfig[] = [];
    const joinedAck = async (t: Tapped, event: string, payload: unknown) => {
      const ack = (await ok(t.client, event, payload)) as unknown as RoomJoinedPayload;
      handedOut.push(...ack.iceServers);
      return ack;
    };

    await joinedAck(a, 'room:open', { roomid: 'demo', password: PASSWORD, extra: { name: 'Alice' } });
    await refused(b.client, 'room:join', { roomid: 'demo', password: WRONG_PASSWORD }, 'invalid-password');
    await joinedAck(b, 'room:join', { roomid: 'demo', password: PASSWORD, extra: { name: 'Bob' } });
    await ok(a.client, 'signal', { to: 'bob', data: { candidate: { candidate: 'candidate:1 1 udp 1 peer.local 9 typ host', sdpMid: '0' } } });
    await ok(b.client, 'signal', { to: 'alice', data: { streams: [{ streamid: 'cam', kind: 'camera' }] } });
    await ok(a.client, 'custom', { event: 'chat', data: { text: 'hello' } });
    await ok(b.client, 'custom', { event: 'chat', data: 'to you', to: 'alice' });
    await ok(a.client, 'extra:update', { extra: { name: 'Alice 2' } });
    await sleep(900); // one TURN refresh (ttl 1 s)

    // The outsider: presence, and nothing else works or leaks.
    await ok(outsider.client, 'room:presence', { roomid: 'demo' });
    await refused(outsider.client, 'signal', { to: 'alice', data: { candidate: null } }, 'not-in-room');
    await refused(outsider.client, 'custom', { event: 'x', to: 'bob' }, 'not-in-room');
    await refused(outsider.client, 'room:join', { roomid: 'demo', password: WRONG_PASSWORD }, 'invalid-password');
    await refused(outsider.client, 'room:join', { roomid: 'demo' }, 'invalid-password');

    // Refused handshakes: expired and tampered tokens.
    const expired = await sign('eve', {}, Math.floor(Date.now() / 1000) - 5);
    const [h, p, s] = tokens.a.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ sub: 'eve', room: '*', exp: 4102444800 })).toString('base64url')}.${s}`;
    const refusedPackets: Packet[][] = [];
    for (const token of [expired, tampered]) {
      const { tapped, connected } = tap(server, token);
      await assert.rejects(connected);
      refusedPackets.push(tapped.packets);
    }

    await ok(b.client, 'room:leave', {});
    await joinedAck(b, 'room:join', { roomid: 'demo', password: PASSWORD });
    a.client.disconnect();
    await sleep(50);
    await flush(b.client);
    await flush(outsider.client);

    // Server-to-client traffic, each client.
    const everyone = [a, b, outsider];
    for (const t of everyone) {
      for (const packet of t.packets) {
        if (packet.type === CONNECT) {
          // socket.io tells each client its own id, and nothing else.
          assert.deepEqual(Object.keys(packet.data as object), ['sid']);
          continue;
        }
        const text = JSON.stringify(packet.data);
        for (const id of secretIds) assert.equal(text.includes(id), false, `a socket id in ${text}`);
        for (const address of addresses) assert.equal(text.includes(address), false, `an address in ${text}`);
        const withoutIce = JSON.stringify(packet.data, (key, value: unknown) => (key === 'iceServers' ? undefined : value));
        assert.doesNotMatch(withoutIce, ID_SHAPE, `an id-shaped string in ${withoutIce}`);
      }
    }
    for (const packets of refusedPackets) {
      assert.deepEqual(
        packets.map((p) => p.type),
        [CONNECT_ERROR],
      );
      const text = JSON.stringify(packets[0]!.data);
      for (const address of addresses) assert.equal(text.includes(address), false);
      assert.doesNotMatch(text, ID_SHAPE);
    }
    // The outsider got nothing but its own CONNECT and acks; presence acks say three booleans.
    assert.ok(outsider.packets.length >= 6);
    for (const packet of outsider.packets.slice(1)) {
      assert.equal(packet.type, 3, `only acks, got ${JSON.stringify(packet)}`);
      // socket.io-client prepends null to the args of acks awaited with a timeout.
      const res = (packet.data as Record<string, unknown>[]).at(-1)!;
      if (res.ok) assert.deepEqual(Object.keys(res).sort(), ['exists', 'isFull', 'isPasswordProtected', 'ok']);
    }
    assert.equal(secretIds.size, 6, "three connections, two ids each");
    assert.equal(handedOut.length, 3);

    // The logs: present (debug and trace included), and clean.
    assert.match(logText, /entered room/);
    assert.match(logText, /room token refused/);
    const secrets = [
      PASSWORD,
      WRONG_PASSWORD,
      TOKEN_SECRET,
      TURN_SECRET,
      ...Object.values(tokens),
      ...Object.values(tokens).map((t) => t.split('.')[2]!),
      expired,
      tampered,
      ...handedOut.map((s) => s.credential).filter((c): c is string => !!c),
    ];
    for (const secret of secrets) assert.equal(logText.includes(secret), false, `the logs hold ${secret.slice(0, 12)}…`);
  });
});
