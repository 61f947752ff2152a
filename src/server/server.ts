// createSignalingServer: the composition of config, http, gate, router, handlers, relay, rooms and lifecycle.
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Server } from 'socket.io';
import { MAX_PACKET_BYTES, type ClientToServerEvents, type InterServerEvents, type ServerToClientEvents } from '../protocol.js';
import { connectCluster, type Cluster } from './cluster.js';
import { resolveConfig, type SignalingServerOptions } from './config.js';
import { Connections } from './connections.js';
import { JanusPool } from './janus/index.js';
import { createGate } from './gate.js';
import { strictParser } from './strict-parser.js';
import { leaveRoom } from './handlers/rooms.js';
import { mountHttp, packageRoot } from './http.js';
import type { IoServer, ServerSocketData } from './io.js';
import { listen, serverPort, serverUrl, shutdown } from './lifecycle.js';
import { createMetrics } from './metrics.js';
import { WorkLimiter } from './rate-limit.js';
import { MemoryRoomStore, type RoomStore } from './rooms.js';
import { enqueue, routeInOrder } from './router.js';

export type { AuthenticateInfo, AuthenticateResult, SignalingServerOptions } from './config.js';
export type { IoServer, IoSocket, ServerSocketData } from './io.js';

export interface SignalingServer {
  readonly io: IoServer;
  readonly httpServer: HttpServer | HttpsServer;
  /** e.g. `http://127.0.0.1:9001`; undefined while the http server is not listening. */
  readonly url: string | undefined;
  readonly port: number | undefined;
  /** Prometheus registry (what /metrics serves). */
  readonly metrics: Registry;
  readonly store: RoomStore;
  /** This process's id among the nodes sharing rooms (shared mode only). */
  readonly nodeId: string | undefined;
  readonly logger: Logger;
  /** Serves /healthz, /metrics and (with serveStatic) the static files; returns false, untouched, for other paths. */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /** Tells clients `server:shutdown`, disconnects them, closes the http server if we created it. Idempotent. */
  close(): Promise<void>;
}

/** Password hashes waiting for a free slot before further ones are refused (`rate-limited`). */
const MAX_QUEUED_HASHES = 64;
/** See the engine.io 'connection' listener below. */
const POLLING_CLOSE_TIMEOUT_MS = 1000;

/**
 * Starts the signaling server: socket.io rooms plus, on its own http server,
 * the demo page, the bundles, /healthz and /metrics.
 */
export async function createSignalingServer(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const config = resolveConfig(options);
  const { attached, log } = config;
  const state = { closing: false };
  const closing = () => state.closing;

  // Before anything is attached or listened on: a Redis that cannot be reached fails the start.
  const cluster: Cluster | null = config.redis ? await connectCluster({ ...config.redis, logger: log }) : null;
  const store: RoomStore = cluster?.store ?? config.store ?? new MemoryRoomStore();
  const metrics = createMetrics(store, { defaultMetrics: config.defaultMetrics, ...(cluster ? { redisUp: () => cluster.up } : {}) });

  // -- the http side ---------------------------------------------------------
  const httpServer = config.httpServer ?? (config.tls ? createHttpsServer(config.tls) : createHttpServer());
  const mount = mountHttp(httpServer, {
    attached,
    root: config.staticRoot ?? packageRoot(),
    demoPolicy: config.staticRoot === undefined,
    serveStatic: config.serveStatic,
    serveEndpoints: config.serveEndpoints,
    registry: metrics.registry,
    health: async () => {
      let rooms: number | null = null;
      try {
        rooms = (await store.stats()).rooms;
      } catch {
        // Shared mode without Redis: still alive, calls keep their media; `redis` says what is wrong.
      }
      return {
        status: closing() ? 'shutting-down' : 'ok',
        uptime: Math.round(process.uptime()),
        sockets: io.engine.clientsCount,
        rooms,
        ...(cluster ? { node: cluster.nodeId, redis: cluster.up ? 'up' : 'down' } : {}),
      };
    },
    onError: (err) => log.error({ err }, 'http handler failed'),
  });

  // -- socket.io behind the gate ---------------------------------------------
  const gate = createGate({ config, metrics, log, closing });
  const io: IoServer = new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, ServerSocketData>(httpServer, {
    serveClient: false,
    maxHttpBufferSize: MAX_PACKET_BYTES,
    pingInterval: config.pingInterval,
    pingTimeout: config.pingTimeout,
    // Leave foreign upgrade requests (a dev server's own websocket) alone.
    destroyUpgrade: !attached,
    cors: { origin: (origin, cb) => cb(null, config.originPolicy.allowsCrossOrigin(origin)), methods: ['GET', 'POST'] },
    allowRequest: gate.allowRequest,
    // No binary packets and no client ACKs in this protocol: refused before anything is buffered.
    parser: strictParser,
  });
  mount.engineAttached();
  // engine.io's polling transport waits up to 30 s (a ref'd timer) for a
  // client's next poll to deliver a close packet, even after the client left;
  // that keeps a process alive long after close(). Clients poll continuously,
  // so a short wait loses nothing.
  io.engine.on('connection', (engineSocket: Parameters<typeof gate.engineConnection>[0] & { transport: { closeTimeout?: unknown } }) => {
    if (typeof engineSocket.transport.closeTimeout === 'number') engineSocket.transport.closeTimeout = POLLING_CLOSE_TIMEOUT_MS;
    gate.engineConnection(engineSocket);
  });
  io.use(gate.handshake);

  // -- connections: every packet through the gate, then the router -----------
  const hashing = new WorkLimiter(config.passwordHashConcurrency, MAX_QUEUED_HASHES);
  // Janus (sfu rooms): instances that do not answer yet are retried in the background.
  const janus = config.janus ? new JanusPool(config.janus) : null;
  await janus?.start();
  if (janus && janus.liveUrls.length === 0) log.warn({ urls: config.janus!.urls }, 'no Janus instance answers yet: sfu rooms are refused until one does');
  const connections = new Connections(io, { config, store, hashing, metrics, log, shared: cluster !== null, ...(cluster ? { bus: cluster.bus } : {}), closing, janus });
  io.on('connection', (socket) => {
    if (closing()) {
      socket.disconnect(true);
      return;
    }
    const conn = connections.add(socket);
    metrics.connections.inc();
    metrics.sockets.inc();
    if (conn.debugging) conn.log.debug('connected');
    socket.use((packet, _next) => {
      // Queued here, at receipt, rather than by a listener: socket.io hands events
      // to listeners a tick later and drops them if the socket closed meanwhile,
      // which would lose a room:leave sent just before closing (pagehide).
      if (gate.admit(conn, packet)) routeInOrder(conn, conn.ctx, packet[0], packet[1], packet[2], metrics);
    });
    socket.on('disconnect', (reason) => {
      // Never a client's forgery (socket.io's parser refuses reserved event
      // names, and dispatches events only while connected), but cheap to check.
      if (socket.connected) return;
      metrics.sockets.dec();
      clearTimeout(conn.iceTimer);
      if (conn.debugging) conn.log.debug({ reason }, 'disconnected');
      enqueue(conn, async () => {
        connections.delete(socket.id);
        await leaveRoom(conn.ctx, 'disconnect');
      });
    });
  });
  cluster?.start(connections.clusterHooks());

  // -- start and stop ----------------------------------------------------------
  if (!attached) {
    try {
      await listen(httpServer, config.port, config.host);
    } catch (err) {
      if (cluster) {
        await io.close();
        await cluster.close();
      }
      await janus?.close();
      throw err;
    }
    httpServer.on('error', (err) => log.error({ err }, 'http server error'));
  }
  const isTls = httpServer instanceof HttpsServer;
  let closed: Promise<void> | undefined;
  return {
    io,
    httpServer,
    get url() {
      return serverUrl(httpServer, isTls);
    },
    get port() {
      return serverPort(httpServer);
    },
    metrics: metrics.registry,
    store,
    nodeId: cluster?.nodeId,
    logger: log,
    handleRequest: mount.handleRequest,
    close() {
      state.closing = true;
      closed ??= shutdown({ io, httpServer, attached, mount, connections, cluster, store, log }).catch((err: unknown) => {
        log.error({ err }, 'close failed');
      });
      return closed;
    },
  };
}
