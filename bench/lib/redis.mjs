// A private redis-server for the cluster part: loopback, a free port, no
// persistence. Killed with the bench process in any case.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/util.mjs';

export const REDIS_SERVER = [process.env.REDIS_SERVER, '/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => p && existsSync(p));

/** Starts redis-server; resolves with `{ url, pid, version, cpuMs(), stop() }` once it accepts connections. */
export async function startRedis() {
  if (!REDIS_SERVER) throw new Error('redis-server is not installed (apt-get install redis-server, or set REDIS_SERVER)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'rtc-bench-redis-'));
  const child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning', '--logfile', ''], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const kill = () => child.kill('SIGKILL');
  process.on('exit', kill);
  await new Promise((resolve, reject) => {
    const deadline = Date.now() + 10000;
    const poll = () => {
      if (child.exitCode !== null) return reject(new Error(`redis-server exited with ${child.exitCode}`));
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => (Date.now() > deadline ? reject(new Error('redis-server did not start within 10 s')) : setTimeout(poll, 20)));
    };
    poll();
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid,
    /** CPU time redis-server has used so far (Linux /proc; NaN elsewhere). */
    cpuMs() {
      try {
        const rest = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
        return ((Number(rest[11]) + Number(rest[12])) * 1000) / 100;
      } catch {
        return NaN;
      }
    },
    async stop() {
      process.off('exit', kill);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(kill, 5000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
