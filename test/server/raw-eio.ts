// A hand-made engine.io/socket.io client for attack tests: it speaks the wire
// protocol packet by packet (websocket or long-polling), can send what no real
// client sends (blind pongs, ACKs nobody asked for, half a binary packet) and
// can stop reading while it keeps writing.
import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';

export type Transport = 'websocket' | 'polling';

/** The few members of `ws` (v7, untyped here) these tests use. */
interface WsSocket {
  readonly readyState: number;
  readonly _socket: Duplex;
  send(data: string | Buffer, cb?: (err?: Error) => void): void;
  on(event: 'message', cb: (data: string | Buffer) => void): void;
  on(event: 'open' | 'close', cb: () => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  terminate(): void;
}
const WebSocket = createRequire(import.meta.url)('ws') as new (url: string) => WsSocket;

const SEP = '\x1e';

export class RawClient {
  /** socket.io events received, as [name, payload]. */
  readonly events: [string, unknown][] = [];
  /** Resolves when the server has ended this connection (as far as this side can tell). */
  readonly closed: Promise<void>;
  private markClosed!: () => void;
  private isClosed = false;
  private reading = true;
  private nextAck = 1;
  private readonly acks = new Map<number, (payload: unknown) => void>();
  private ws: WsSocket | null = null;
  private sid = '';
  private opened!: (sid: string) => void;
  private connected!: () => void;

  private constructor(
    private readonly base: string,
    readonly transport: Transport,
  ) {
    this.closed = new Promise((r) => (this.markClosed = r));
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  /** Opens engine.io, then the socket.io default namespace with `auth`. */
  static async connect(url: string, transport: Transport, auth: Record<string, unknown> = {}): Promise<RawClient> {
    const client = new RawClient(url, transport);
    const opened = new Promise<string>((r) => (client.opened = r));
    const connected = new Promise<void>((r) => (client.connected = r));
    if (transport === 'websocket') {
      const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`);
      client.ws = ws;
      ws.on('message', (data) => client.onPacket(typeof data === 'string' ? data : data.toString('utf8')));
      ws.on('close', () => client.close());
      ws.on('error', () => client.close());
    } else {
      const res = await client.http('GET', '');
      if (res.status !== 200) throw new Error(`polling handshake: HTTP ${res.status} ${res.body}`);
      for (const p of res.body.split(SEP)) client.onPacket(p);
      void client.pollLoop();
    }
    client.sid = await opened;
    await client.write(`40${JSON.stringify(auth)}`);
    await connected;
    return client;
  }

  /** Sends one engine.io packet as is (e.g. `3` for a pong, `42[...]` for an event). */
  async write(packet: string): Promise<void> {
    await this.writeAll([packet]);
  }

  /** Sends several engine.io packets; over polling, in one POST. */
  async writeAll(packets: string[]): Promise<void> {
    if (this.isClosed) return;
    if (this.ws) {
      for (const p of packets) this.ws.send(p);
      return;
    }
    const res = await this.http('POST', packets.join(SEP)).catch(() => ({ status: 0, body: '' }));
    if (res.status !== 200) this.close();
  }

  /**
   * Several socket.io events with acks, written in one system call (websocket
   * only), so the server reads them at once, as it does from a busy client;
   * resolves with the acks (their first argument, and the number of the
   * event they answer: 0 for the first) in the order they arrived.
   */
  async emitBurst(event: string, payloads: unknown[], timeoutMs = 5000): Promise<{ n: number; ack: unknown }[]> {
    const ws = this.ws;
    if (!ws) throw new Error('emitBurst: websocket only');
    const arrived: { n: number; ack: unknown }[] = [];
    let all!: () => void;
    const acked = new Promise<void>((r) => (all = r));
    const packets = payloads.map((payload, n) =>
      this.withAck(event, payload, (ack) => {
        arrived.push({ n, ack });
        if (arrived.length === payloads.length) all();
      }),
    );
    ws._socket.cork();
    for (const packet of packets) ws.send(packet);
    ws._socket.uncork();
    if (!(await within(acked, timeoutMs))) throw new Error(`${arrived.length} of ${payloads.length} ${event} acked within ${timeoutMs} ms`);
    return arrived;
  }

  /** Sends a binary websocket frame (a socket.io attachment). */
  writeBinary(data: Buffer): void {
    if (this.ws) this.ws.send(data);
    else void this.writeAll([`b${data.toString('base64')}`]);
  }

  /** A socket.io event with an ack; resolves with the ack's first argument. */
  emit(event: string, payload: unknown, timeoutMs = 5000): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ack for ${event} within ${timeoutMs} ms`)), timeoutMs);
      const packet = this.withAck(event, payload, (p) => {
        clearTimeout(timer);
        resolve(p);
      });
      void this.write(packet);
    });
  }

  /** The packet of an event asking for an ack, `onAck` waiting for that ack. */
  private withAck(event: string, payload: unknown, onAck: (payload: unknown) => void): string {
    const id = this.nextAck++;
    this.acks.set(id, onAck);
    return `42${id}${JSON.stringify([event, payload])}`;
  }

  /** Stops reading: the websocket's TCP socket is paused, polling sends no more GETs. Writing goes on. */
  stopReading(): void {
    this.reading = false;
    this.ws?._socket.pause();
  }

  /** Drops the connection from this side. */
  destroy(): void {
    this.reading = false;
    this.ws?.terminate();
    this.close();
  }

  private close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.markClosed();
  }

  private onPacket(packet: string): void {
    if (!packet) return;
    switch (packet[0]) {
      case '0':
        this.opened((JSON.parse(packet.slice(1)) as { sid: string }).sid);
        return;
      case '1':
        this.close();
        return;
      case '2':
        if (this.reading) void this.write('3');
        return;
      case '4':
        this.onSocketIo(packet.slice(1));
        return;
    }
  }

  private onSocketIo(packet: string): void {
    const type = packet[0];
    if (type === '0') return this.connected();
    if (type === '1' || type === '4') return this.close();
    const m = /^([23])(\d*)(\[.*)$/s.exec(packet);
    if (!m) return;
    const args = JSON.parse(m[3]!) as unknown[];
    if (m[1] === '3') this.acks.get(Number(m[2]))?.(args[0]);
    else this.events.push([String(args[0]), args[1]]);
  }

  private async pollLoop(): Promise<void> {
    while (this.reading && !this.isClosed) {
      const res = await this.http('GET', '').catch(() => ({ status: 0, body: '' }));
      if (res.status !== 200) return this.close();
      for (const p of res.body.split(SEP)) this.onPacket(p);
    }
  }

  private http(method: 'GET' | 'POST', body: string): Promise<{ status: number; body: string }> {
    const { hostname, port } = new URL(this.base);
    const sid = this.sid ? `&sid=${this.sid}` : '';
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: hostname,
          port,
          method,
          path: `/socket.io/?EIO=4&transport=polling${sid}&t=${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
          agent: false,
          headers: method === 'POST' ? { 'content-type': 'text/plain;charset=UTF-8' } : {},
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(method === 'POST' ? body : undefined);
    });
  }
}

/** Resolves true when `promise` settles within `ms`, false otherwise. */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
