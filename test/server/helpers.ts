// Shared helpers for the server tests: a real server on an ephemeral port and
// real socket.io-client connections to it.
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { after } from 'node:test';
import { io, type Socket, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import type { Ack, ClientToServerEvents, ErrorCode, HandshakeAuth, ServerToClientEvents } from '../../src/protocol.js';
import { createSignalingServer, type SignalingServer, type SignalingServerOptions } from '../../src/server/index.js';

export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Untyped view of a client, to send what the types forbid. */
export interface RawClient {
  emit(event: string, ...args: unknown[]): unknown;
  timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> };
}
export const raw = (c: Client) => c as unknown as RawClient;

// Any unhandled rejection in the process (server included: it runs in this
// process) fails the file that produced it.
const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));
after(() => assert.deepEqual(unhandled, [], 'no unhandled promise rejections'));

const servers: SignalingServer[] = [];
const clients: Client[] = [];
after(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all(servers.map((s) => s.close()));
});

/** A server on 127.0.0.1:<free port>, silent, with cheap password hashing; closed after the file. */
export async function startServer(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  // Every test client comes from 127.0.0.1: the per-address cap has its own test (hardening.test.ts).
  const server = await createSignalingServer({ port: 0, logLevel: 'silent', passwordHashCost: 1024, maxConnectionsPerIp: 10_000, ...options });
  servers.push(server);
  return server;
}

export interface ConnectOptions extends Partial<ManagerOptions & SocketOptions> {
  auth?: HandshakeAuth & Record<string, unknown>;
}

/** A connected client (websocket only unless told otherwise); rejects with the connect_error. */
export function connect(server: SignalingServer | string, options: ConnectOptions = {}): Promise<Client> {
  const url = typeof server === 'string' ? server : server.url!;
  const socket: Client = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: 5000,
    ...options,
  });
  clients.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.disconnect();
      reject(err);
    });
  });
}

/** Connects one client per userid. */
export function connectAll(server: SignalingServer, userids: string[]): Promise<Client[]> {
  return Promise.all(userids.map((userid) => connect(server, { auth: { userid } })));
}

/** Sends a client event and resolves with its ack (fails the test after 5 s). */
export async function send(client: Client, event: string, payload?: unknown): Promise<Ack<Record<string, unknown>>> {
  return (await raw(client).timeout(5000).emitWithAck(event, payload)) as Ack<Record<string, unknown>>;
}

/** Sends and asserts success; returns the ack. */
export async function ok(client: Client, event: string, payload?: unknown): Promise<Record<string, unknown>> {
  const res = await send(client, event, payload);
  assert.equal(res.ok, true, `${event} should succeed, got ${JSON.stringify(res)}`);
  return res as Record<string, unknown>;
}

/** Sends and asserts the given error code. */
export async function refused(client: Client, event: string, payload: unknown, code: ErrorCode): Promise<void> {
  const res = await send(client, event, payload);
  assert.equal(res.ok, false, `${event} should fail with ${code}, got ${JSON.stringify(res)}`);
  if (!res.ok) {
    assert.equal(res.error.code, code, `${event}: ${res.error.message}`);
    assert.equal(typeof res.error.message, 'string');
  }
}

/** Resolves with the next `event` on `client`; rejects after `ms`. Create it before the action. */
export function next<T = unknown>(client: Client, event: keyof ServerToClientEvents | 'disconnect', ms = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      (client as unknown as { off(e: string, l: unknown): void }).off(event, listener);
      reject(new Error(`no ${event} within ${ms} ms`));
    }, ms);
    const listener = (payload: T) => {
      clearTimeout(timer);
      resolve(payload);
    };
    (client as unknown as { once(e: string, l: unknown): void }).once(event, listener);
  });
}

/** Records every `event` the client receives, from now on. */
export function record<T = unknown>(client: Client, event: keyof ServerToClientEvents): T[] {
  const seen: T[] = [];
  (client as unknown as { on(e: string, l: (p: T) => void): void }).on(event, (p) => seen.push(p));
  return seen;
}

/**
 * A round trip through the server for `client`: once it returns, everything
 * the server emitted to `client` before now has arrived (one ordered socket).
 */
export async function flush(client: Client): Promise<void> {
  await send(client, 'room:presence', { roomid: 'flush' });
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP request: the path is sent exactly as given (no normalisation). */
export function http(
  url: string,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A raw websocket upgrade request to socket.io; resolves with the HTTP status (101 on success). */
export function upgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: hostname,
      port,
      path: '/socket.io/?EIO=4&transport=websocket',
      agent: false,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
        ...headers,
      },
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve({ status: 101, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Reads one sample of a metric from the Prometheus text. */
export async function metric(server: SignalingServer, name: string, labels = ''): Promise<number> {
  const text = await server.metrics.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').pop()) : 0;
}
