// The Janus client against a WebSocket server that misbehaves: garbage, refusals, silence, a dropped socket.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { JanusConnection, JanusError } from '../../src/server/janus/index.js';

type Reply = (msg: Record<string, unknown>, socket: WebSocket) => void;

/** A WebSocket server speaking `janus-protocol`, answering each request through `reply` (swappable per test). */
function fakeJanus(): { url: Promise<string>; reply: Reply; sockets: Set<WebSocket>; close(): Promise<void> } {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'janus-protocol' });
  const state = {
    reply: ((msg, socket) => socket.send(JSON.stringify({ janus: 'success', transaction: msg.transaction, data: { id: 1 } }))) as Reply,
    sockets: new Set<WebSocket>(),
    url: new Promise<string>((resolve) => server.once('listening', () => resolve(`ws://127.0.0.1:${(server.address() as { port: number }).port}`))),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of state.sockets) s.terminate();
        server.close(() => resolve());
      }),
  };
  server.on('connection', (socket: WebSocket) => {
    state.sockets.add(socket);
    socket.on('close', () => state.sockets.delete(socket));
    socket.on('message', (data: unknown) => state.reply(JSON.parse(String(data)) as Record<string, unknown>, socket));
  });
  return state;
}

describe('Janus client, misbehaving server', () => {
  const janus = fakeJanus();
  let url: string;
  before(async () => {
    url = await janus.url;
  });
  after(() => janus.close());

  it('ignores garbage and stray messages, and still answers its own requests', async () => {
    janus.reply = (msg, socket) => {
      socket.send('not json');
      socket.send('[1,2]');
      socket.send(JSON.stringify({ no: 'janus field' }));
      socket.send(JSON.stringify({ janus: 'event', session_id: 999, sender: 5, plugindata: { plugin: 'x', data: {} } }));
      socket.send(JSON.stringify({ janus: 'success', transaction: 'someone-else' }));
      socket.send(Buffer.from([0xff, 0xfe, 0x00]));
      socket.send(JSON.stringify({ janus: 'success', transaction: msg.transaction, data: { id: 42 } }));
    };
    const conn = await JanusConnection.open({ url, keepaliveMs: 3_600_000 });
    try {
      const session = await conn.createSession();
      assert.equal(session.id, 42);
      assert.equal(conn.alive, true);
    } finally {
      conn.close();
    }
  });

  it('rejects with Janus\' code when Janus answers an error, and with a plugin error_code', async () => {
    janus.reply = (msg, socket) => {
      if (msg.janus === 'create') socket.send(JSON.stringify({ janus: 'error', transaction: msg.transaction, error: { code: 403, reason: 'Unauthorized' } }));
    };
    const conn = await JanusConnection.open({ url });
    try {
      await assert.rejects(conn.createSession(), (e: unknown) => e instanceof JanusError && e.code === 403);
      janus.reply = (m, socket) => {
        const send = (o: object) => socket.send(JSON.stringify({ transaction: m.transaction, ...o }));
        if (m.janus === 'create' || m.janus === 'attach') send({ janus: 'success', data: { id: 7 } });
        if (m.janus === 'message') {
          send({ janus: 'ack' });
          send({ janus: 'event', session_id: 7, sender: 7, plugindata: { plugin: 'janus.plugin.videoroom', data: { videoroom: 'event', error_code: 426, error: 'No such room' } } });
        }
      };
      const handle = await (await conn.createSession()).attach('janus.plugin.videoroom');
      await assert.rejects(handle.message({ request: 'join' }), (e: unknown) => e instanceof JanusError && e.code === 426);
    } finally {
      conn.close();
    }
  });

  it('declares the connection dead when a keepalive goes unanswered (a frozen Janus), failing what was pending', async () => {
    janus.reply = (msg, socket) => {
      if (msg.janus === 'create') socket.send(JSON.stringify({ janus: 'success', transaction: msg.transaction, data: { id: 3 } }));
      // keepalives and everything else: silence
    };
    const conn = await JanusConnection.open({ url, keepaliveMs: 100, requestTimeoutMs: 300 });
    const session = await conn.createSession();
    const dead = new Promise<Error>((resolve) => conn.once('dead', resolve));
    const closed = new Promise<Error>((resolve) => session.once('closed', resolve));
    const [reason] = await Promise.all([dead, closed]);
    assert.match(reason.message, /did not answer keepalive/);
    assert.equal(conn.alive, false);
    await assert.rejects(conn.info(), JanusError);
  });

  it('declares the connection dead when the socket drops, rejecting requests in flight at once', async () => {
    janus.reply = () => {};
    const conn = await JanusConnection.open({ url, requestTimeoutMs: 60000 });
    const pending = conn.info();
    const dead = new Promise<Error>((resolve) => conn.once('dead', resolve));
    for (const s of janus.sockets) s.terminate();
    await assert.rejects(pending, (e: unknown) => e instanceof JanusError && e.code === 0);
    assert.match((await dead).message, /closed the connection/);
  });

  it('rejects opening a connection nobody answers', async () => {
    const closedUrl = url.replace(/:\d+$/, ':1');
    await assert.rejects(JanusConnection.open({ url: closedUrl }), (e: unknown) => e instanceof JanusError && /cannot reach Janus/.test(e.message));
  });
});
