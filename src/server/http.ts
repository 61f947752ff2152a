// Plain HTTP next to socket.io: the demo page, the built bundles, a health
// check and Prometheus metrics. No framework: the surface is four routes.
import { existsSync, readFileSync } from 'node:fs';
import { stat, readFile } from 'node:fs/promises';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Registry } from 'prom-client';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
};

/**
 * The package root: the nearest directory above this module with our
 * package.json. Found by walking up because this file runs from dist/server/
 * when installed and from build/src/server/ in the tests.
 */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'rtc-elements') return dir;
      } catch {
        // not ours; keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return resolve(from, '..', '..');
    dir = parent;
  }
}

/**
 * The demo pages' Content-Security-Policy: scripts only from files of this
 * origin (no inline script, no eval), media from cameras and blobs, sockets to
 * this origin, and not framed anywhere except the embed page.
 */
export const DEMO_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');
/** Pages made to be framed by other sites. */
const EMBEDDABLE = new Set(['embed.html']);

export interface HttpContext {
  root: string;
  /** Our own demo pages are served (not a `staticRoot` of the user's): send them with DEMO_CSP. */
  demoPolicy: boolean;
  serveStatic: boolean;
  registry: Registry;
  health: () => Promise<{ status: 'ok' | 'shutting-down'; [key: string]: unknown }>;
  onError: (err: unknown) => void;
}

/** Serves our routes; returns false (without responding) for any other path. */
export function createHttpHandler(ctx: HttpContext): (req: IncomingMessage, res: ServerResponse) => boolean {
  const mounts: [prefix: string, dir: string][] = [
    ['/dist/', join(ctx.root, 'dist')],
    ['/', join(ctx.root, 'demo')],
  ];
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/healthz') {
      void respond(res, async () => {
        const body = await ctx.health();
        send(req, res, body.status === 'ok' ? 200 : 503, 'application/json; charset=utf-8', JSON.stringify(body));
      }, ctx.onError);
      return true;
    }
    if (path === '/metrics') {
      void respond(res, async () => {
        send(req, res, 200, ctx.registry.contentType, await ctx.registry.metrics());
      }, ctx.onError);
      return true;
    }
    if (!ctx.serveStatic) return false;
    void respond(res, () => serveFile(req, res, path, mounts, ctx.demoPolicy), ctx.onError);
    return true;
  };
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface MountOptions extends HttpContext {
  /** A foreign server (`httpServer` option): our routes go in front of its own; else we answer everything. */
  attached: boolean;
  serveEndpoints: boolean;
}

/** Our routes on an http server, and the means to hand a foreign server back the way it was. */
export interface HttpMount {
  /** Serves /healthz, /metrics (with serveEndpoints) and the static files (with serveStatic); false, untouched, for other paths. */
  handleRequest: RequestHandler;
  /** Call right after engine.io attached: notes the listeners to drop again on `detach`. */
  engineAttached(): void;
  /** Gives a foreign server back its own listeners, keeping any added since the attach. */
  detach(): void;
}

export function mountHttp(httpServer: HttpServer | HttpsServer, options: MountOptions): HttpMount {
  const endpoints = createHttpHandler(options);
  const handleRequest: RequestHandler = (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (!options.serveEndpoints && (path === '/healthz' || path === '/metrics')) return false;
    return endpoints(req, res);
  };
  // engine.io takes over the 'request' and 'upgrade' listeners it finds; note
  // them so detach() can hand a foreign server back the way it was.
  const listeners = () => ({ request: httpServer.listeners('request'), upgrade: httpServer.listeners('upgrade') });
  const before = listeners();
  let afterAttach = before;
  if (!options.attached) {
    httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (handleRequest(req, res)) return;
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Not Found\n');
    });
  } else if (options.serveStatic || options.serveEndpoints) {
    prependRequestHandler(httpServer, handleRequest);
  }
  return {
    handleRequest,
    engineAttached() {
      afterAttach = listeners();
    },
    detach() {
      for (const event of ['request', 'upgrade'] as const) {
        const later = httpServer.listeners(event).filter((l) => !afterAttach[event].includes(l));
        httpServer.removeAllListeners(event);
        for (const l of [...before[event], ...later]) httpServer.on(event, l as (...args: unknown[]) => void);
      }
    },
  };
}

/** Puts `handler` in front of a foreign server's own request listeners. */
function prependRequestHandler(httpServer: HttpServer | HttpsServer, handler: RequestHandler): void {
  const existing = httpServer.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  httpServer.removeAllListeners('request');
  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (handler(req, res)) return;
    for (const listener of existing) listener.call(httpServer, req, res);
  });
}

async function respond(res: ServerResponse, fn: () => Promise<void>, onError: (err: unknown) => void): Promise<void> {
  try {
    await fn();
  } catch (err) {
    onError(err);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Internal Server Error\n');
  }
}

async function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  rawPath: string,
  mounts: [string, string][],
  demoPolicy: boolean,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return send(req, res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed\n');
  }
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return send(req, res, 400, 'text/plain; charset=utf-8', 'Bad Request\n');
  }
  const file = resolveFile(path, mounts);
  if (file) {
    const found = await regularFile(file);
    const target = found ? file : (await isDirectory(file)) ? join(file, 'index.html') : undefined;
    const type = target && CONTENT_TYPES[extname(target).toLowerCase()];
    if (target && type && (found || (await regularFile(target)))) {
      const body = await readFile(target);
      res.setHeader('cache-control', 'no-cache');
      if (type.startsWith('text/html')) {
        res.setHeader('cross-origin-opener-policy', 'same-origin');
        if (demoPolicy) {
          const framing = EMBEDDABLE.has(basename(target)) ? 'frame-ancestors *' : "frame-ancestors 'none'";
          res.setHeader('content-security-policy', `${DEMO_CSP}; ${framing}`);
        }
      }
      return send(req, res, 200, type, body);
    }
  }
  send(req, res, 404, 'text/plain; charset=utf-8', 'Not Found\n');
}

/**
 * Maps a decoded URL path to a file under one of the mounts, or undefined
 * when it would leave the mount (`..`, encoded slashes, backslashes, NUL)
 * or touch a dotfile.
 */
export function resolveFile(path: string, mounts: readonly [string, string][]): string | undefined {
  if (!path.startsWith('/') || path.includes('\0') || path.includes('\\')) return undefined;
  const segments = path.split('/');
  if (segments.some((s) => s === '..' || (s.startsWith('.') && s !== ''))) return undefined;
  for (const [prefix, dir] of mounts) {
    if (!path.startsWith(prefix)) continue;
    const base = resolve(dir);
    const file = resolve(base, '.' + path.slice(prefix.length - 1));
    if (file !== base && !file.startsWith(base + sep)) return undefined;
    return file;
  }
  return undefined;
}

async function regularFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function isDirectory(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isDirectory();
  } catch {
    return false;
  }
}

function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
