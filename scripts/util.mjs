// Small helpers shared by the build, test, start and bench scripts.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

/** Run a command, inheriting stdio; resolves with its exit code. */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', ...opts });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on('error', (err) => {
      console.error(`${cmd}: ${err.message}`);
      resolve(1);
    });
  });
}

/** A free loopback port (the OS picks; we release it and hand it on: bind it soon). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Run a command and exit the process when it fails. */
export async function must(cmd, args, opts) {
  const code = await run(cmd, args, opts);
  if (code !== 0) {
    console.error(`\n✗ ${cmd} ${args.join(' ')} exited with ${code}`);
    process.exit(code);
  }
}

/** The Chromium to drive: CHROME_PATH wins, then Debian's, then common names. */
export function chromePath() {
  const candidates = [
    process.env.CHROME_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    '/Applications/Chromium.app/Contents/MacOS/Chromium',
  ];
  return candidates.find((p) => p && existsSync(p));
}

const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p));

/**
 * Re-run `argv` inside a fresh network namespace that holds only loopback,
 * so nothing the tests start can reach another address. Returns null when the
 * platform has no unprivileged user namespaces (macOS, locked-down CI): the
 * caller then runs the command directly.
 */
export async function runInLoopbackNamespace(argv, env) {
  if (process.env.RTC_IN_NETNS === '1') return null;
  if (process.env.RTC_NO_NETNS === '1') return null;
  if (process.platform !== 'linux' || !IP) return null;
  const probe = await new Promise((resolve) => {
    const c = spawn('unshare', ['-rn', 'true'], { stdio: 'ignore' });
    c.on('exit', (code) => resolve(code === 0));
    c.on('error', () => resolve(false));
  });
  if (!probe) {
    console.warn('! unshare -rn is not available here: running without the loopback-only network namespace');
    return null;
  }
  const quoted = argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  return run('unshare', ['-rn', 'sh', '-c', `${IP} link set lo up && exec ${quoted}`], {
    env: { ...process.env, ...env, RTC_IN_NETNS: '1' },
  });
}
