// Human-readable log lines for a terminal: a pino destination that turns each JSON line into "12:00:01 WARN  message key=value".

/** Where the formatted lines go (process.stdout, or anything with write). */
export interface LineSink {
  write(text: string): unknown;
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const LEVEL_COLOURS: Record<number, string> = { 10: '90', 20: '36', 30: '32', 40: '33', 50: '31', 60: '35' };
/** Fields every line has, shown in the line's head instead of as key=value. */
const HEAD_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'v']);

/** One pino JSON line as one readable line (with a stack under it for errors); text that is not JSON passes unchanged. */
export function formatLogLine(line: string, colour = false): string {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return line.endsWith('\n') ? line : `${line}\n`;
    entry = parsed as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const level = typeof entry.level === 'number' ? entry.level : 30;
  const name = (LEVEL_NAMES[level] ?? String(entry.level)).padEnd(5);
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 19) : '--:--:--';
  const paint = (code: string | undefined, text: string) => (colour && code ? `\u001b[${code}m${text}\u001b[0m` : text);
  let stack = '';
  const fields: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (HEAD_FIELDS.has(key)) continue;
    if (key === 'err' && value && typeof value === 'object') {
      const err = value as { message?: unknown; stack?: unknown };
      fields.push(`err=${show(err.message)}`);
      if (typeof err.stack === 'string') stack = `\n    ${err.stack.split('\n').join('\n    ')}`;
      continue;
    }
    fields.push(`${key}=${show(value)}`);
  }
  const msg = typeof entry.msg === 'string' ? entry.msg : '';
  const rest = fields.length ? ` ${paint('2', fields.join(' '))}` : '';
  return `${paint('90', time)} ${paint(LEVEL_COLOURS[level], name)} ${msg}${rest}${stack}\n`;
}

/** A value as key=value shows it: strings bare unless they hold spaces or quotes, the rest as JSON. */
function show(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value === undefined) return 'undefined';
  return JSON.stringify(value) ?? String(value);
}

/** A pino destination writing formatted lines to `out`. */
export function prettyDestination(out: LineSink, colour = false): { write(chunk: string): void } {
  let buffered = '';
  return {
    write(chunk) {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line) out.write(formatLogLine(line, colour));
      }
    },
  };
}

/**
 * The CLI's log destination: readable lines on a terminal, JSON lines (for
 * log collectors) otherwise. `LOG_FORMAT=json` or `pretty` overrides.
 */
export function logDestination(
  out: LineSink & { isTTY?: boolean },
  env: Record<string, string | undefined> = {},
): { write(chunk: string): void } | undefined {
  const format = env.LOG_FORMAT;
  const pretty = format === 'pretty' || (format !== 'json' && out.isTTY === true);
  return pretty ? prettyDestination(out, out.isTTY === true && env.NO_COLOR === undefined) : undefined;
}
