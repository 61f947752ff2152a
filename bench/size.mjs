// Part 3: bundle size, min + gzip -9 (node zlib level 9), ours against
// RTCMultiConnection.min.js + the socket.io client it needs, both read from
// their npm packages. The bundle's source map tells where our bytes go.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { packageDir, ROOT } from './lib/servers.mjs';
import { ratio, round } from './lib/util.mjs';

export const BUDGET_KB = 40;
/** dist/rtc-multiconnection.js, everything it needs inside: less than RTCMultiConnection + socket.io (issue #21). */
export const COMPAT_BUDGET_KB = 42;
const KB = 1024;

const gz = (buf) => gzipSync(buf, { level: 9 }).length;

function measure(path) {
  const body = readFileSync(path);
  return { path: path.startsWith(ROOT) ? path.slice(ROOT.length + 1) : path, minBytes: body.length, gzipBytes: gz(body) };
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = Object.fromEntries([...B64].map((c, i) => [c, i]));

/** Decodes one source-map segment (base64 VLQ) into its numbers. */
function decodeSegment(segment) {
  const out = [];
  let value = 0;
  let shift = 0;
  for (const ch of segment) {
    const digit = B64_INDEX[ch];
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

/** Which package (or our own source) a source-map entry belongs to. */
function groupOf(source) {
  const nm = source.lastIndexOf('node_modules/');
  if (nm < 0) return 'rtc-elements (our code)';
  const pkg = source.slice(nm + 13).split('/');
  const name = pkg[0].startsWith('@') ? `${pkg[0]}/${pkg[1]}` : pkg[0];
  if (name === 'webrtc-adapter' || name === 'sdp') return 'webrtc-adapter + sdp';
  if (name.startsWith('@lit/') || name.startsWith('lit')) return 'lit';
  if (name.includes('socket.io') || name.includes('engine.io')) return 'socket.io-client + engine.io';
  return name;
}

/**
 * Attributes every byte of the minified bundle to a source through its map;
 * gzip per group is of that group's bytes alone (it cannot share a dictionary
 * with the rest, so the groups add up to more than the whole).
 */
export function breakdown(bundlePath) {
  const mapPath = `${bundlePath}.map`;
  if (!existsSync(mapPath)) return null;
  const code = readFileSync(bundlePath, 'utf8');
  const map = JSON.parse(readFileSync(mapPath, 'utf8'));
  const lines = code.split('\n');
  const chunks = new Map();
  const ordered = [];
  const push = (group, text) => {
    if (!text) return;
    ordered.push([group, text]);
    const list = chunks.get(group) ?? [];
    list.push(text);
    chunks.set(group, list);
  };
  let src = 0;
  map.mappings.split(';').forEach((lineMap, lineNo) => {
    const line = lines[lineNo] ?? '';
    let col = 0;
    const segs = [];
    for (const s of lineMap.split(',')) {
      if (!s) continue;
      const f = decodeSegment(s);
      col += f[0];
      if (f.length >= 4) src += f[1];
      segs.push({ col, src: f.length >= 4 ? src : null });
    }
    if (!segs.length) {
      push('(unmapped)', line);
      return;
    }
    push('(unmapped)', line.slice(0, segs[0].col));
    segs.forEach((seg, k) => {
      const end = k + 1 < segs.length ? segs[k + 1].col : line.length;
      push(seg.src === null ? '(unmapped)' : groupOf(map.sources[seg.src]), line.slice(seg.col, end));
    });
  });
  const total = Buffer.byteLength(code);
  const totalGz = gz(Buffer.from(code));
  return [...chunks.entries()]
    .map(([group, parts]) => {
      const text = parts.join('');
      const minBytes = Buffer.byteLength(text);
      // The bundle with this group's bytes cut out, in order: what dropping it would save, gzipped.
      const rest = ordered.filter(([g]) => g !== group).map(([, t]) => t).join('');
      return {
        group,
        minBytes,
        share: round(minBytes / total, 3),
        gzipBytesAlone: gz(Buffer.from(text)),
        gzipSavedIfRemoved: totalGz - gz(Buffer.from(rest)),
      };
    })
    .sort((a, b) => b.minBytes - a.minBytes);
}

export function runSize() {
  const ours = {
    esm: measure(join(ROOT, 'dist/rtc-elements.js')),
    iife: measure(join(ROOT, 'dist/rtc-elements.iife.js')),
  };
  // The RTCMultiConnection drop-in: one classic script with socket.io-client, the room code and the adapter shims inside.
  const compat = measure(join(ROOT, 'dist/rtc-multiconnection.js'));
  const rtcmcFile = measure(join(packageDir('rtcmulticonnection'), 'dist/RTCMultiConnection.min.js'));
  // What RTCMultiConnection's server serves at /socket.io/socket.io.js, minified.
  const sioFile = measure(join(packageDir('socket.io'), 'client-dist/socket.io.min.js'));
  const rtcmcBody = Buffer.concat([
    readFileSync(join(ROOT, rtcmcFile.path)),
    Buffer.from('\n'),
    readFileSync(join(ROOT, sioFile.path)),
  ]);
  const rtcmc = {
    files: [rtcmcFile, sioFile],
    minBytes: rtcmcFile.minBytes + sioFile.minBytes,
    // Two script tags, two downloads: the sum of the two gzip sizes (one gzip of both, for reference).
    gzipBytes: rtcmcFile.gzipBytes + sioFile.gzipBytes,
    gzipBytesConcatenated: gz(rtcmcBody),
  };
  // The chunks rtc-elements.js imports on first need (call UI, other languages, SFU, polling, data framing),
  // and what a page fetches in all: the plain tags; the call UI in English; everything.
  const chunks = readdirSync(join(ROOT, 'dist'))
    .filter((f) => /^rtc-elements-.+\.js$/.test(f))
    .sort()
    .map((f) => ({ ...measure(join(ROOT, 'dist', f)), chunk: f.replace(/^rtc-elements-(.+)-[\w-]+\.js$/, '$1') }));
  const sum = (names) => ours.esm.gzipBytes + chunks.filter((c) => !names || names.includes(c.chunk)).reduce((n, c) => n + c.gzipBytes, 0);
  const fetched = { tags: ours.esm.gzipBytes, callUi: sum(['room-ui']), everything: sum() };
  return {
    budgetKB: BUDGET_KB,
    ours,
    rtcmc,
    compat: { ...compat, budgetKB: COMPAT_BUDGET_KB, withinBudget: compat.gzipBytes <= COMPAT_BUDGET_KB * KB },
    ratios: {
      compatVsRtcmc: round(ratio(compat.gzipBytes, rtcmc.gzipBytes), 3),
      esmVsRtcmc: round(ratio(ours.esm.gzipBytes, rtcmc.gzipBytes), 3),
      iifeVsRtcmc: round(ratio(ours.iife.gzipBytes, rtcmc.gzipBytes), 3),
      esmVsBudget: round(ratio(ours.esm.gzipBytes, BUDGET_KB * KB), 3),
    },
    chunks,
    fetched,
    // The budget is the CDN module's (dist/rtc-elements.js); the classic script cannot load chunks and holds everything.
    withinBudget: ours.esm.gzipBytes <= BUDGET_KB * KB,
    breakdown: breakdown(join(ROOT, 'dist/rtc-elements.js')),
    compatBreakdown: breakdown(join(ROOT, 'dist/rtc-multiconnection.js')),
  };
}
