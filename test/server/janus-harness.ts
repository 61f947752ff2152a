// Test harness for Janus: our deploy/janus config with fresh secrets, the veth pair ICE needs, start/stop/kill by PID.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JanusConnection, VideoRoomAdmin } from '../../src/server/janus/index.js';
import { packageRoot } from '../../src/server/http.js';
import { freePort } from './redis.js';

/** Debian's janus (apt-get install janus), or JANUS_BIN. */
export const JANUS_BIN = [process.env.JANUS_BIN, '/usr/bin/janus', '/usr/local/bin/janus', '/opt/janus/bin/janus'].find(
  (p): p is string => !!p && existsSync(p),
);

const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p));

/**
 * The `skip` option for suites that need Janus: false, or the reason. Janus
 * gathers no candidates on loopback, so the tests add a veth pair: only ever
 * inside the throw-away namespace `npm test` runs them in, never on a host.
 */
export const skipWithoutJanus: string | false = !JANUS_BIN
  ? 'janus is not installed (apt-get install janus, or set JANUS_BIN): Janus tests skipped'
  : process.env.RTC_IN_NETNS !== '1' || !IP
    ? 'Janus tests need the loopback-only network namespace npm test runs them in (unshare -rn): skipped'
    : false;
if (skipWithoutJanus) console.log(`# ${skipWithoutJanus}`);

/** The interface Janus gathers on (`--ice-enforce-list`) and its address. */
export const SFU_LINK = 'sfu0';
export const SFU_ADDRESS = '127.0.0.2';

/**
 * Adds the veth pair `sfu0`/`sfu1` (both ends in this namespace) with
 * 127.0.0.2 on sfu0, once per namespace. The kernel routes 127.0.0.1 <->
 * 127.0.0.2 through lo, so nothing can leave the namespace.
 */
export function ensureSfuLink(): void {
  if (process.env.RTC_IN_NETNS !== '1' || !IP) throw new Error('refusing to add a veth pair outside the test namespace');
  const ip = (...args: string[]) => execFileSync(IP, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  if (!ip('-o', 'link', 'show').includes(`${SFU_LINK}@`)) {
    ip('link', 'add', SFU_LINK, 'type', 'veth', 'peer', 'name', 'sfu1');
  }
  if (!ip('-o', 'addr', 'show', 'dev', SFU_LINK).includes(`${SFU_ADDRESS}/32`)) {
    ip('addr', 'add', `${SFU_ADDRESS}/32`, 'dev', SFU_LINK);
  }
  ip('link', 'set', SFU_LINK, 'up');
  ip('link', 'set', 'sfu1', 'up');
}

/** Fills `${NAME}` placeholders as envsubst would; an unknown name is an error, not an empty string. */
export function renderTemplate(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{([A-Z0-9_]+)\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`no value for \${${name}}`);
    return value;
  });
}

/** Writes deploy/janus/*.jcfg into `dir` with `vars` filled in. */
export function writeJanusConfig(dir: string, vars: Record<string, string>): void {
  const src = join(packageRoot(), 'deploy', 'janus');
  for (const name of readdirSync(src).filter((n) => n.endsWith('.jcfg'))) {
    writeFileSync(join(dir, name), renderTemplate(readFileSync(join(src, name), 'utf8'), vars));
  }
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

export interface JanusProcess {
  readonly port: number;
  readonly url: string;
  readonly apiSecret: string;
  readonly adminKey: string;
  /** Janus' log file (read it when a test fails). */
  readonly logFile: string;
  readonly alive: boolean;
  readonly pid: number | undefined;
  /** Stops it for good (SIGTERM, then SIGKILL after 5 s) and removes its directory. Idempotent. */
  stop(): Promise<void>;
  /** Kills it with SIGKILL (a crash), to be started again with `up()`. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same secrets (a restarted instance: no rooms, no sessions). */
  up(): Promise<void>;
}

/** Starts Janus with our config on a free loopback port; resolves once its WebSocket API answers. */
export async function startJanus(
  options: { apiSecret?: string; adminKey?: string; /** Janus' session_timeout, seconds (config: 60). */ sessionTimeout?: number } = {},
): Promise<JanusProcess> {
  if (skipWithoutJanus) throw new Error(skipWithoutJanus);
  ensureSfuLink();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'rtc-janus-'));
  const apiSecret = options.apiSecret ?? randomBytes(18).toString('base64url');
  const adminKey = options.adminKey ?? randomBytes(18).toString('base64url');
  const url = `ws://127.0.0.1:${port}`;
  const logFile = join(dir, 'janus.log');
  writeJanusConfig(dir, {
    JANUS_API_SECRET: apiSecret,
    JANUS_ADMIN_KEY: adminKey,
    JANUS_WS_IP: '127.0.0.1',
    JANUS_WS_PORT: String(port),
    JANUS_RTP_PORTS: '20000-40000',
  });
  let proc: ChildProcess | null = null;
  let removed = false;

  async function launch(): Promise<void> {
    const child = spawn(
      JANUS_BIN!,
      ['-C', join(dir, 'janus.jcfg'), '-F', dir, '-o', '-N', '-d', '4', '-L', logFile, '--ice-enforce-list', SFU_LINK,
        ...(options.sessionTimeout !== undefined ? ['--session-timeout', String(options.sessionTimeout)] : [])],
      { stdio: 'ignore' },
    );
    running.add(child);
    child.once('exit', () => running.delete(child));
    proc = child;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`janus exited (${code ?? signal}) while starting: see ${logFile}`))),
    );
    exited.catch(() => {});
    const deadline = Date.now() + 15000;
    for (;;) {
      try {
        const conn = await Promise.race([JanusConnection.open({ url, apiSecret, requestTimeoutMs: 2000 }), exited]);
        try {
          await Promise.race([conn.info(), exited]);
        } finally {
          conn.close();
        }
        return;
      } catch (err) {
        if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
          child.kill('SIGKILL');
          throw err;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  function signal(sig: NodeJS.Signals, graceMs: number): Promise<void> {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const force = setTimeout(() => p.kill('SIGKILL'), graceMs);
      p.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      p.kill(sig);
    });
  }

  await launch();
  return {
    port,
    url,
    apiSecret,
    adminKey,
    logFile,
    get alive() {
      return proc !== null && proc.exitCode === null && proc.signalCode === null;
    },
    get pid() {
      return proc?.pid;
    },
    async stop() {
      await signal('SIGTERM', 5000);
      if (!removed) {
        removed = true;
        // RTC_KEEP_JANUS_LOGS=1 keeps the directory and Janus' log to debug a failure.
        if (process.env.RTC_KEEP_JANUS_LOGS !== '1') rmSync(dir, { recursive: true, force: true });
      }
    },
    async kill() {
      await signal('SIGKILL', 0);
    },
    async up() {
      if (removed) throw new Error('this Janus was stopped for good');
      if (proc) return;
      await launch();
    },
  };
}

/** Janus' own view of a room, through a connection of its own (not the pool's or our server's state). */
export async function roomInJanus(janus: JanusProcess, room: string): Promise<{ exists: boolean; listed: boolean }> {
  const conn = await JanusConnection.open({ url: janus.url, apiSecret: janus.apiSecret });
  try {
    const session = await conn.createSession();
    const admin = await VideoRoomAdmin.attach(session, janus.adminKey);
    // A room placed while a Janus room of its name still existed gets `<room>~<random>` (sfu-rooms.ts): either counts.
    const listed = (await admin.list()).some((r) => r === room || r.startsWith(`${room}~`));
    const result = { exists: listed || (await admin.exists(room)), listed };
    await session.destroy();
    return result;
  } finally {
    conn.close();
  }
}
