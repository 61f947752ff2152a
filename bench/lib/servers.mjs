// The three signaling setups the browser parts compare, each on its own
// loopback port and each serving the same bench pages (same origin as its
// socket, so no CORS differences between them):
//   ours   createSignalingServer() from dist/, attached to our http server
//   floor  a bare socket.io relay: join a room, relay `signal` to one user
//   rtcmc  RTCMultiConnection's own server code (rtcmulticonnection-server),
//          integrated as its README shows: addSocket() on a default socket.io server
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Server } from 'socket.io';

export const BENCH = dirname(dirname(fileURLToPath(import.meta.url)));
export const ROOT = dirname(BENCH);
const require = createRequire(join(ROOT, 'package.json'));

/** A package's folder (its exports map may hide package.json and dist/ from require.resolve). */
export function packageDir(name) {
  for (const dir of require.resolve.paths(name) ?? []) {
    const candidate = join(dir, name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
  }
  throw new Error(`package ${name} is not installed (npm install)`);
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8' };

/**
 * Everything the pages load, read once into memory: a build started by
 * someone else in the same tree (it empties dist/ first) cannot pull the
 * bundle from under a running benchmark.
 */
export function snapshotAssets() {
  const files = new Map();
  const add = (url, path) => files.set(url, { body: readFileSync(path), type: TYPES[extname(path)] ?? 'application/octet-stream' });
  add('/dist/rtc-elements.js', join(ROOT, 'dist/rtc-elements.js'));
  add('/vendor/socket.io.min.js', join(packageDir('socket.io-client'), 'dist/socket.io.min.js'));
  add('/vendor/RTCMultiConnection.min.js', join(packageDir('rtcmulticonnection'), 'dist/RTCMultiConnection.min.js'));
  return files;
}

function staticHandler(assets) {
  return (req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    if (path === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    let file = assets.get(path);
    if (!file && /^\/bench\/[\w.-]+\.(html|js)$/.test(path)) {
      // Bench pages are read on every request: editing one needs no restart.
      try {
        let body = readFileSync(join(BENCH, 'pages', path.slice('/bench/'.length)));
        // A page's {{name}} holes take the query's values, as a server-rendered page has them in its markup.
        if (path.endsWith('.html')) {
          const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
          const esc = (v) => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
          body = body.toString().replace(/\{\{(\w+)\}\}/g, (_, name) => esc(query.get(name) ?? ''));
        }
        file = { body, type: TYPES[extname(path)] };
      } catch {
        file = undefined;
      }
    }
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' });
    res.end(file.body);
  };
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(`http://127.0.0.1:${server.address().port}`);
    });
  });
}

function closeHttp(server) {
  server.closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}

let oursModule;
/** dist/server/index.js, imported once (the whole module graph is then in memory). */
export async function loadOurServer() {
  oursModule ??= await import(pathToFileURL(join(ROOT, 'dist/server/index.js')).href);
  return oursModule;
}

/** Our signaling server attached to a bench http server. */
export async function startOurs(assets, options = {}) {
  const { createSignalingServer } = await loadOurServer();
  const http = createServer(staticHandler(assets));
  const url = await listen(http);
  const signaling = await createSignalingServer({ httpServer: http, logLevel: 'silent', ...options });
  return {
    name: 'ours',
    url,
    http,
    io: signaling.io,
    /** Sockets the server holds right now. */
    sockets: () => signaling.io.engine.clientsCount,
    async close() {
      await signaling.close();
      await closeHttp(http);
    },
  };
}

/**
 * The floor: the least a socket.io relay can do. `join` puts the socket in a
 * room and acks the members already there; `signal` goes to one socket id.
 */
export function attachBareRelay(io) {
  io.on('connection', (socket) => {
    let room = null;
    socket.on('join', (payload, ack) => {
      room = String(payload?.room ?? '');
      const peers = [...(io.sockets.adapter.rooms.get(room) ?? [])];
      socket.join(room);
      socket.to(room).emit('peer-join', { id: socket.id });
      if (typeof ack === 'function') ack({ ok: true, id: socket.id, peers });
    });
    socket.on('signal', (payload, ack) => {
      io.to(payload.to).emit('signal', { from: socket.id, data: payload.data });
      if (typeof ack === 'function') ack({ ok: true });
    });
  });
}

export async function startFloor(assets) {
  const http = createServer(staticHandler(assets));
  const url = await listen(http);
  const io = new Server(http, { serveClient: false });
  attachBareRelay(io);
  return {
    name: 'floor',
    url,
    http,
    io,
    async close() {
      io.close();
      await closeHttp(http);
    },
  };
}

/**
 * RTCMultiConnection's server, unmodified: the socket.io part of its own
 * server.js (default socket.io options, so it also serves
 * /socket.io/socket.io.js, the client its demos load).
 */
export async function startRtcmc(assets) {
  const RTCMultiConnectionServer = require('rtcmulticonnection-server');
  const http = createServer(staticHandler(assets));
  const url = await listen(http);
  const io = new Server(http);
  io.on('connection', (socket) => {
    RTCMultiConnectionServer.addSocket(socket, {});
    const params = socket.handshake.query;
    if (!params.socketCustomEvent) params.socketCustomEvent = 'custom-message';
    socket.on(params.socketCustomEvent, (message) => socket.broadcast.emit(params.socketCustomEvent, message));
  });
  return {
    name: 'rtcmc',
    url,
    http,
    io,
    async close() {
      io.close();
      await closeHttp(http);
    },
  };
}

/**
 * The bare relay of the server part, speaking our wire shape so one load
 * generator drives both servers: `room:open-or-join` {roomid} and `signal`
 * {to: userid, data}, with acks. It only checks that the target is in the
 * sender's room: no validation, no rate limit, no per-socket queue, no metrics.
 */
export function attachBareProtocolRelay(io) {
  const users = new Map(); // userid -> { sid, roomid }
  io.on('connection', (socket) => {
    const userid = String(socket.handshake.auth?.userid ?? socket.id);
    let roomid = null;
    users.set(userid, { sid: socket.id, roomid });
    socket.on('room:open-or-join', (payload, ack) => {
      roomid = String(payload?.roomid ?? '');
      users.set(userid, { sid: socket.id, roomid });
      const peers = [];
      for (const sid of io.sockets.adapter.rooms.get(roomid) ?? []) {
        const other = io.sockets.sockets.get(sid);
        if (other) peers.push({ userid: String(other.handshake.auth?.userid ?? sid), extra: {} });
      }
      socket.join(roomid);
      socket.to(roomid).emit('peer:join', { userid, extra: {} });
      ack?.({ ok: true, roomid, userid, isInitiator: peers.length === 0, peers, iceServers: [], maxParticipants: 8 });
    });
    socket.on('signal', (payload, ack) => {
      const target = users.get(payload?.to);
      if (!target || target.roomid !== roomid || roomid === null) {
        ack?.({ ok: false, error: { code: 'peer-not-found', message: 'not in your room' } });
        return;
      }
      io.to(target.sid).emit('signal', { from: userid, data: payload.data });
      ack?.({ ok: true });
    });
    socket.on('disconnect', () => {
      if (users.get(userid)?.sid === socket.id) users.delete(userid);
    });
  });
}
