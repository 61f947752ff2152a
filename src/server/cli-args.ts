// Command-line and environment configuration for `rtc-elements`, kept apart
// from cli.ts (which starts a server) so it can be tested as a function.
import { parseArgs } from 'node:util';
import type { LevelWithSilent } from 'pino';
import * as v from 'valibot';
import type { SignalingServerOptions } from './server.js';
import { describeIssues, iceServersSchema } from './validation.js';

export const HELP = `Usage: rtc-elements [options]

Starts the rtc-elements signaling server (socket.io at /socket.io/) and serves
the demo page at /, the bundles at /dist/, /healthz and /metrics.

Options (each also read from the environment variable shown):
  --port <n>                  PORT            Port to listen on (default 9001; 0 = any free port)
  --host <addr>               HOST            Address to bind (default 127.0.0.1; 0.0.0.0 = the LAN)
  --allowed-origins <a,b>     ALLOWED_ORIGINS Extra page origins allowed to connect ("*" = any).
                                              The server's own origin and localhost are always allowed.
  --room-size <n>             ROOM_SIZE       Room size when the opener asks for none (default 8)
  --max-room-size <n>         MAX_ROOM_SIZE   Largest room allowed (default 8)
  --tls-cert <file>           TLS_CERT        Serve https with this PEM certificate (needed for
  --tls-key <file>            TLS_KEY         cameras on phones: getUserMedia wants a secure context)
  --ice-servers <json>        ICE_SERVERS     STUN/TURN servers for clients, as JSON, e.g.
                                              '[{"urls":"stun:stun.example.org:3478"}]' (default none)
  --token <secret>            RTC_TOKEN       Require clients to send this as auth.token
  --log-level <level>         LOG_LEVEL       fatal, error, warn, info (default), debug, trace, silent
  -h, --help                                  Show this help
`;

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export class UsageError extends Error {}

export type CliConfig = { help: true } | { help: false; options: SignalingServerOptions };

/** Flags win over environment variables, which win over defaults. */
export function parseCli(argv: readonly string[], env: Record<string, string | undefined>): CliConfig {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'allowed-origins': { type: 'string' },
        'room-size': { type: 'string' },
        'max-room-size': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'ice-servers': { type: 'string' },
        token: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return { help: true };

  const pick = (flag: keyof typeof values, name: string): string | undefined => {
    const value = values[flag] ?? env[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const options: SignalingServerOptions = {};

  const port = pick('port', 'PORT');
  if (port !== undefined) options.port = int(port, '--port', 0, 65535);
  const host = pick('host', 'HOST');
  if (host !== undefined) options.host = host;
  const origins = pick('allowed-origins', 'ALLOWED_ORIGINS');
  if (origins !== undefined) {
    options.allowedOrigins = origins
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean);
  }
  const roomSize = pick('room-size', 'ROOM_SIZE');
  if (roomSize !== undefined) options.defaultRoomSize = int(roomSize, '--room-size', 2, 1024);
  const maxRoomSize = pick('max-room-size', 'MAX_ROOM_SIZE');
  if (maxRoomSize !== undefined) options.maxRoomSize = int(maxRoomSize, '--max-room-size', 2, 1024);
  const cert = pick('tls-cert', 'TLS_CERT');
  const key = pick('tls-key', 'TLS_KEY');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  if (cert !== undefined && key !== undefined) options.tls = { cert, key };
  const ice = pick('ice-servers', 'ICE_SERVERS');
  if (ice !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(ice);
    } catch {
      throw new UsageError('--ice-servers: not valid JSON');
    }
    const result = v.safeParse(iceServersSchema, parsed);
    if (!result.success) throw new UsageError(`--ice-servers: ${describeIssues(result.issues)}`);
    options.iceServers = result.output;
  }
  const token = pick('token', 'RTC_TOKEN');
  if (token !== undefined) options.token = token;
  const level = pick('log-level', 'LOG_LEVEL');
  if (level !== undefined) {
    if (!(LEVELS as readonly string[]).includes(level)) throw new UsageError(`--log-level: one of ${LEVELS.join(', ')}`);
    options.logLevel = level as LevelWithSilent;
  }
  return { help: false, options };
}

function int(text: string, name: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${name}: an integer from ${min} to ${max} (got "${text}")`);
  }
  return n;
}
