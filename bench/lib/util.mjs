// Small helpers shared by the bench parts: statistics, formatting, timeouts,
// and CPU accounting of a process tree through /proc.
import { readFileSync, readdirSync } from 'node:fs';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** This process's memory use after three rounds of GC (a child started with --expose-gc). */
export async function memoryAfterGc() {
  for (let k = 0; k < 3; k++) {
    globalThis.gc?.();
    await sleep(50);
  }
  return process.memoryUsage();
}

/** Rejects after `ms` with `what` in the message; the timer never keeps the process alive. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Percentile by linear interpolation between closest ranks; NaN for no data. */
export function percentile(values, p) {
  const xs = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!xs.length) return NaN;
  const rank = (p / 100) * (xs.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return xs[lo] + (xs[hi] - xs[lo]) * (rank - lo);
}

export const median = (values) => percentile(values, 50);

export function round(x, digits = 0) {
  if (!Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function ratio(a, b) {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN;
}

export function fmt(x, digits = 0, unit = '') {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  return `${x.toFixed(digits)}${unit}`;
}

/** Clock ticks per second for /proc/<pid>/stat (USER_HZ; 100 on every Linux we run on). */
const CLK_TCK = 100;

function readStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: split after the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(rest[1]), utime: Number(rest[11]), stime: Number(rest[12]) };
  } catch {
    return null;
  }
}

/** The command line as one string: Chromium rewrites its children's titles into a single space-separated argv[0]. */
function readCmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Every live descendant of `root` (not `root` itself), read from /proc. */
export function descendants(root = process.pid) {
  if (process.platform !== 'linux') return [];
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(name);
    if (!st) continue;
    const list = children.get(st.ppid) ?? [];
    list.push(Number(name));
    children.set(st.ppid, list);
  }
  const out = [];
  const stack = [...(children.get(root) ?? [])];
  while (stack.length) {
    const pid = stack.pop();
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * CPU seconds used so far by the Chromium processes under this Node process,
 * grouped by Chromium's --type= (browser, renderer, gpu-process, utility…).
 */
export function chromiumCpu(root = process.pid) {
  const byType = {};
  let total = 0;
  for (const pid of descendants(root)) {
    const cmd = readCmdline(pid);
    if (!/chrom/i.test(cmd.split(' ')[0])) continue;
    const st = readStat(pid);
    if (!st) continue;
    const type = /--type=(\S+)/.exec(cmd)?.[1] ?? 'browser';
    const sub = /--utility-sub-type=(\S+)/.exec(cmd)?.[1]?.split('.').pop();
    const key = type === 'utility' && sub ? `utility:${sub}` : type;
    const secs = (st.utime + st.stime) / CLK_TCK;
    byType[key] = (byType[key] ?? 0) + secs;
    total += secs;
  }
  return { total, byType };
}

/** Per-type difference of two chromiumCpu() readings (processes that died in between count as 0). */
export function cpuDelta(before, after) {
  const byType = {};
  for (const [k, v] of Object.entries(after.byType)) byType[k] = Math.max(0, v - (before.byType[k] ?? 0));
  return { total: Math.max(0, after.total - before.total), byType };
}

/** Parses `--name value` / `--name=value` options and positional words. */
export function parseArgs(argv) {
  const opts = {};
  const words = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) opts[a.slice(2, eq)] = a.slice(eq + 1);
      // Every valued option is numeric: a following number is its value, a word is a part name.
      else if (i + 1 < argv.length && /^-?\d+(\.\d+)?$/.test(argv[i + 1])) opts[a.slice(2)] = argv[++i];
      else opts[a.slice(2)] = true;
    } else words.push(a);
  }
  return { opts, words };
}

/** Whole-machine CPU counters from /proc/stat (jiffies): busy and total, all cores together. */
export function machineCpu() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
  } catch {
    return null;
  }
}
