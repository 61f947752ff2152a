// `rtc-elements` / `npm start`: run the signaling server until SIGTERM or SIGINT.
// `rtc-elements token …`: print a room token for testing.
import { networkInterfaces } from 'node:os';
import { pino } from 'pino';
import { HELP, TOKEN_HELP, UsageError, parseCli, parseTokenCli } from './cli-args.js';
import { iceServersWarning } from './ice-warning.js';
import { logDestination } from './log-format.js';
import { createSignalingServer } from './server.js';
import { mintRoomToken } from './tokens.js';

/** How long a shutdown may take before the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 5000;

async function token(argv: string[]): Promise<void> {
  let config;
  try {
    config = parseTokenCli(argv, process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`rtc-elements: ${err.message}\nTry rtc-elements token --help.\n`);
    process.exit(2);
  }
  if (config.help) {
    process.stdout.write(TOKEN_HELP);
    return;
  }
  process.stdout.write(`${await mintRoomToken(config.mint)}\n`);
}

async function main(): Promise<void> {
  if (process.argv[2] === 'token') return token(process.argv.slice(3));
  let config;
  try {
    config = parseCli(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`rtc-elements: ${err.message}\nTry --help.\n`);
    process.exit(2);
  }
  if (config.help) {
    process.stdout.write(HELP);
    return;
  }
  const destination = logDestination(process.stdout, process.env);
  const loggerOptions = { level: config.options.logLevel ?? 'info', base: { name: 'rtc-elements' } };
  const logger = destination ? pino(loggerOptions, destination) : pino(loggerOptions);
  const starting = createSignalingServer({ ...config.options, logger, defaultMetrics: true });

  // Handlers go in before anything is printed: whoever reads the start line
  // may signal at once, and a signal without a handler kills the process.
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second Ctrl-C: the user does not want to wait.
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown timed out');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    starting
      .then((server) => server.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  const server = await starting;
  const url = server.url!;
  const shown = url.replace(/\/\/(127\.0\.0\.1|\[::1\]):/, '//localhost:');
  const message = `rtc-elements signaling server + demo on ${shown}`;
  const lan = config.options.host === '0.0.0.0' || config.options.host === '::' ? lanUrls(url) : [];
  if (logger.isLevelEnabled('info')) logger.info({ url, port: server.port, lan }, message);
  else process.stderr.write(`${message}\n`);
  const iceWarning = iceServersWarning(config.options);
  if (iceWarning) logger.warn(iceWarning);
}

/** The URLs phones on the LAN can open (with --host 0.0.0.0). */
function lanUrls(url: string): string[] {
  const { protocol, port } = new URL(url);
  return Object.values(networkInterfaces())
    .flat()
    .filter((i) => i && i.family === 'IPv4' && !i.internal)
    .map((i) => `${protocol}//${i!.address}:${port}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`rtc-elements: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
