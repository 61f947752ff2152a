// npm start [-- options]: build when dist/ is missing or older than src/,
// then run the signaling server + demo (`rtc-elements --help` for options).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { must } from './util.mjs';

/** Newest modification time of any file under `dir` (0 when absent). */
function newest(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

// The build empties dist/ and writes these last-ish; if any is missing or
// predates a source change, rebuild.
const outputs = ['dist/server/cli.js', 'dist/index.js', 'dist/rtc-elements.js'];
const built = outputs.every((f) => existsSync(f)) ? Math.min(...outputs.map((f) => statSync(f).mtimeMs)) : 0;
if (built < newest('src')) {
  console.log('Building (dist/ is missing or older than src/)…');
  await must('node', ['scripts/build.mjs']);
}

// Same process: signals reach the server directly, process.argv keeps the args.
await import('../dist/server/cli.js');
