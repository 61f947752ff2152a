// Server nodes for the shared-mode tests: the real CLI (as `npm start` runs
// it) with --redis-url, each in its own process, so a test can kill one -9.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { http } from './helpers.js';

// This file runs from build/test/server/; the CLI under test is the built one.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = `${root}dist/server/cli.js`;
/** The CLI's default: a node is presumed dead this long after its last heartbeat. */
export const NODE_TTL_MS = 6000;

export interface Node {
  readonly url: string;
  readonly id: string;
  readonly proc: ChildProcess;
  readonly log: string[];
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** `rtc-elements --port 0 --redis-url …` in its own process; resolves once it serves. The caller stops it. */
export async function startNodeProcess(redisUrl: string, extraArgs: string[] = []): Promise<Node> {
  const proc = spawn(process.execPath, [cli, '--port', '0', '--redis-url', redisUrl, '--log-level', 'info', ...extraArgs], {
    // Nothing from the developer's environment (PORT, REDIS_URL, RTC_TOKEN …) leaks in.
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`node did not start within 30 s:\n${log.join('\n')}`));
    }, 30000); // three nodes starting at once on a loaded 2-core machine took over 15 s
    let buffered = '';
    proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        log.push(line);
        try {
          const entry = JSON.parse(line) as { port?: number; msg?: string };
          if (entry.port && entry.msg?.includes('signaling server')) {
            clearTimeout(timer);
            resolve(`http://127.0.0.1:${entry.port}`);
          }
        } catch {
          // not JSON
        }
      }
    });
    proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => log.push(chunk));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code}:\n${log.join('\n')}`));
    });
  });
  const health = JSON.parse((await http(url, '/healthz')).body) as { node: string };
  const node: Node = {
    url,
    id: health.node,
    proc,
    log,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const force = setTimeout(() => proc.kill('SIGKILL'), 8000);
      const code = await exited;
      clearTimeout(force);
      return code;
    },
  };
  return node;
}

export const alive = (n: Node) => n.proc.exitCode === null && n.proc.signalCode === null;
