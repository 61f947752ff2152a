// Lifecycle: listening, the server's address, and the drain and shutdown that close() runs.
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Logger } from 'pino';
import type { Cluster } from './cluster.js';
import type { Connections } from './connections.js';
import type { HttpMount } from './http.js';
import type { IoServer } from './io.js';
import type { RoomStore } from './rooms.js';

/** How long close() waits for `server:shutdown` to reach clients. */
const CLOSE_FLUSH_MS = 1000;

/** Listens on `port` and `host`; rejects when that fails (port taken, address missing). */
export async function listen(httpServer: HttpServer | HttpsServer, port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? portInUse(err, port, host) : err);
    httpServer.once('error', onError);
    httpServer.listen(port, host, () => {
      httpServer.off('error', onError);
      resolve();
    });
  });
}

/** The EADDRINUSE error, saying which port and what to do (`code` kept for programs). */
function portInUse(err: NodeJS.ErrnoException, port: number, host: string): Error {
  const message = `port ${port} on ${host} is already in use (EADDRINUSE: another rtc-elements or another program listens there): stop it, or choose another port with --port <n> (--port 0: any free port)`;
  return Object.assign(new Error(message, { cause: err }), { code: 'EADDRINUSE', port });
}

/** e.g. `http://127.0.0.1:9001` (a wildcard host shown as loopback); undefined while not listening. */
export function serverUrl(httpServer: HttpServer | HttpsServer, tls: boolean): string | undefined {
  const address = httpServer.address();
  if (!address || typeof address === 'string') return undefined;
  let h = address.address;
  if (h === '0.0.0.0') h = '127.0.0.1';
  else if (h === '::') h = '::1';
  if (h.includes(':')) h = `[${h}]`;
  return `${tls ? 'https' : 'http'}://${h}:${address.port}`;
}

export function serverPort(httpServer: HttpServer | HttpsServer): number | undefined {
  const address = httpServer.address();
  return address && typeof address !== 'string' ? address.port : undefined;
}

export interface ShutdownParts {
  io: IoServer;
  httpServer: HttpServer | HttpsServer;
  attached: boolean;
  mount: HttpMount;
  connections: Connections;
  cluster: Cluster | null;
  store: RoomStore;
  log: Logger;
}

/**
 * Tells clients `server:shutdown`, disconnects them, lets their pending
 * requests finish, hands back or closes the http server and releases the
 * store. The caller has already set the closing flag.
 */
export async function shutdown({ io, httpServer, attached, mount, connections, cluster, store, log }: ShutdownParts): Promise<void> {
  connections.stopTimers();
  // Local: with the Redis adapter a plain io.emit / io.disconnectSockets
  // would reach every node's clients.
  io.local.emit('server:shutdown', {});
  io.local.disconnectSockets(true);
  // Let the goodbye reach clients before the transports are torn down.
  const deadline = Date.now() + CLOSE_FLUSH_MS;
  const engineClients = () => Object.values((io.engine as unknown as { clients: Record<string, { readyState: string }> }).clients);
  while (engineClients().some((c) => c.readyState === 'closing') && Date.now() < deadline) await sleep(10);
  if (cluster) {
    // The leaves (peer:leave to the other nodes' members) go out while the adapter still runs;
    // whatever could not be left is removed from Redis in one go, and announced the same way.
    await connections.settled();
    for (const { roomid, userid } of await cluster.stop()) connections.relay.toRoom(roomid, 'peer:leave', { userid, reason: 'disconnect' });
  }
  if (attached) {
    io.engine.close();
    mount.detach();
    // io.close() would close the foreign server; the adapter still has to stop reading Redis.
    if (cluster) await Promise.allSettled([...io._nsps.values()].map((nsp) => nsp.adapter.close()));
  } else {
    const force = setTimeout(() => httpServer.closeAllConnections(), CLOSE_FLUSH_MS).unref();
    const done = io.close();
    httpServer.closeIdleConnections();
    await done;
    clearTimeout(force);
  }
  await connections.settled();
  await connections.sfu?.close();
  if (cluster) await cluster.close();
  else await store.clear();
  log.info('signaling server closed');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
