// The fuzz harness's shared pieces: the good pair's room and users, the hostile room pool, timing and formatting helpers, CPU pressure.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (dist/ is loaded from there). */
export const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
export { sleep } from '../lib/util.mjs';

export const GOOD_ROOM = 'good-room';
export const GOOD_PASSWORD = 'good-password';
export const GOOD_USERS = ['good-a', 'good-b'];
export const ROOM_POOL = ['f1', 'f2', 'f3', 'f4', 'f5', 'f6'];
/** socket.io-client refuses to emit these itself. */
export const CLIENT_RESERVED = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);

/** Linux PSI: microseconds some task waited for a CPU, since boot; null elsewhere. */
export function cpuPressure() {
  try {
    const line = readFileSync('/proc/pressure/cpu', 'utf8').split('\n').find((l) => l.startsWith('some '));
    const total = Number(/total=(\d+)/.exec(line ?? '')?.[1]);
    return Number.isFinite(total) ? total : null;
  } catch {
    return null;
  }
}

/** The share of `seconds` during which some task waited for a CPU. */
export function pressureShare(before, after, seconds) {
  return before !== null && after !== null ? round((after - before) / 1e6 / seconds, 3) : null;
}

export const round = (x, digits = 0) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : null);
export const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
export const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
