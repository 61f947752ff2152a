// npm test: type-check everything, build, then run the Node tests and the
// browser tests inside a loopback-only network namespace (when the platform
// has one), so nothing a test starts can reach another machine.
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { must, run, runInLoopbackNamespace } from './util.mjs';

const args = process.argv.slice(2);
const browserOnly = args.includes('--browser-only');
const serverOnly = args.includes('--server-only');
const extra = args.filter((a) => !a.startsWith('--') || a.startsWith('--files'));

if (process.env.RTC_IN_NETNS !== '1') {
  // Outside the namespace: build, then compile the tests (type-checked against dist/).
  await must('node', ['scripts/build.mjs']);
  await must('npx', ['tsc', '-p', 'tsconfig.test.json']);
  await must('npx', ['tsc', '-p', 'tsconfig.browser-test.json']);
  // The framework-interop apps: React ships CommonJS and Vue reads process.env, so bundle them.
  await must('npx', [
    'esbuild',
    'test/browser/frameworks/react-app.tsx',
    'test/browser/frameworks/vue-app.ts',
    '--bundle',
    '--format=esm',
    '--target=es2022',
    '--jsx=automatic',
    '--outdir=build/frameworks',
    '--log-level=warning',
    '--define:process.env.NODE_ENV="production"',
    '--define:__VUE_OPTIONS_API__=false',
    '--define:__VUE_PROD_DEVTOOLS__=false',
    '--define:__VUE_PROD_HYDRATION_MISMATCH_DETAILS__=false',
  ]);
  const code = await runInLoopbackNamespace(['node', 'scripts/test.mjs', ...args]);
  if (code !== null) process.exit(code);
}

function files(dir, suffix) {
  let out = [];
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries.sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(files(p, suffix));
    else if (p.endsWith(suffix)) out.push(p);
  }
  return out;
}

let failed = 0;
const totals = { passed: 0, failed: 0, skipped: 0 };
if (!browserOnly) {
  const nodeTests = ['unit', 'server', 'e2e'].flatMap((dir) => files(`build/test/${dir}`, '.test.js'));
  if (nodeTests.length) {
    console.log(`\n▶ Node tests (${nodeTests.length} files)`);
    const code = await run('node', [
      '--test',
      '--test-concurrency=1',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      '--test-reporter-destination=build/node-tests.tap',
      ...nodeTests,
    ]);
    if (code !== 0) failed++;
    const tap = existsSync('build/node-tests.tap') ? readFileSync('build/node-tests.tap', 'utf8') : '';
    const num = (key) => Number(new RegExp(`^# ${key} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
    totals.passed += num('pass');
    totals.failed += num('fail') + num('cancelled');
    totals.skipped += num('skipped') + num('todo');
  }
}
if (!serverOnly) {
  console.log('\n▶ Browser tests (web-test-runner, Chromium)');
  rmSync('build/browser-tests.json', { force: true });
  const code = await run('npx', ['web-test-runner', '--config', 'web-test-runner.config.mjs', ...extra]);
  if (code !== 0) failed++;
  if (existsSync('build/browser-tests.json')) {
    const counts = JSON.parse(readFileSync('build/browser-tests.json', 'utf8'));
    totals.passed += counts.passed;
    totals.failed += counts.failed + counts.brokenFiles;
    totals.skipped += counts.skipped;
  } else {
    totals.failed += 1; // the runner died before reporting
  }
}
// One plain closing line for people and CI: every runner's tests together.
if (failed && totals.failed === 0) totals.failed = 1;
console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
