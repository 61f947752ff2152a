// A private redis-server for the shared-mode tests: loopback, a free port, no
// persistence (so a restart comes back empty, like a crashed cache). Stopped
// by the caller's `after` hook, and killed with the test process in any case.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's redis-server (apt-get install redis-server), or REDIS_SERVER. */
export const REDIS_SERVER = [process.env.REDIS_SERVER, '/usr/bin/redis-server', '/usr/local/bin/redis-server'].find(
  (p): p is string => !!p && existsSync(p),
);

/** The `skip` option for suites that need Redis: false, or the reason (printed by the runner). */
export const skipWithoutRedis: string | false = REDIS_SERVER
  ? false
  : 'redis-server is not installed (apt-get install redis-server, or set REDIS_SERVER): shared-mode tests skipped';
if (skipWithoutRedis) console.log(`# ${skipWithoutRedis}`);

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

/** A free TCP port on 127.0.0.1 (closed again; bind it soon). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisProcess {
  readonly port: number;
  readonly url: string;
  /** Running now. */
  readonly alive: boolean;
  /** Stops it for good (SIGTERM, wait for the exit). Idempotent. */
  stop(): Promise<void>;
  /** Stops the process (SIGKILL: gone, as in a crash), to be started again with `up()`. */
  down(): Promise<void>;
  /** Starts it again on the same port, empty. */
  up(): Promise<void>;
}

/** Starts redis-server on a free loopback port (plus `extraArgs`); resolves once it accepts connections. */
export async function startRedis(extraArgs: string[] = []): Promise<RedisProcess> {
  if (!REDIS_SERVER) throw new Error(String(skipWithoutRedis));
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'rtc-redis-'));
  let proc: ChildProcess | null = null;

  async function launch(): Promise<void> {
    const child = spawn(
      REDIS_SERVER!,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning', '--logfile', '', ...extraArgs],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    running.add(child);
    child.once('exit', () => running.delete(child));
    proc = child;
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s: ${output}`)), 10000);
      const poll = () => {
        if (child.exitCode !== null) {
          clearTimeout(timer);
          reject(new Error(`redis-server exited with ${child.exitCode}: ${output}`));
          return;
        }
        // --loglevel warning prints nothing when all is well: knock on the port instead.
        const probe = connect(port, '127.0.0.1');
        probe.once('connect', () => {
          probe.destroy();
          clearTimeout(timer);
          resolve();
        });
        probe.once('error', () => setTimeout(poll, 20));
      };
      poll();
    });
  }

  async function stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill(signal);
    const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get alive() {
      return proc !== null && proc.exitCode === null && proc.signalCode === null;
    },
    async stop() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    down() {
      return stop('SIGKILL');
    },
    async up() {
      if (proc) throw new Error('redis-server is running');
      await launch();
    },
  };
}
