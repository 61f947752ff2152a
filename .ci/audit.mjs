// CI: `npm audit`, failing on high or critical findings in what users
// install: `rtc-elements` and `@rtc-elements/server` (packages/server), whose
// dependencies the root lists as dev and optional peer dependencies, so
// `--omit=dev` would skip them. Findings in build and test tools only are
// listed, not failed. npm audit exits non-zero both for findings and when it cannot
// ask the registry (offline, a mirror without the audit endpoint: HTTP 405),
// so the exit code alone cannot tell them apart; the JSON report can.
//   node .ci/audit.mjs                 ask the registry
//   node .ci/audit.mjs report.json     judge a saved `npm audit --json` report (tests)
// AUDIT_STRICT=1 also fails when the audit could not run.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const FAIL_AT = new Set(['high', 'critical']);
const strict = process.env.AUDIT_STRICT === '1';

let text;
let how;
if (process.argv[2]) {
  text = readFileSync(process.argv[2], 'utf8');
  how = process.argv[2];
} else {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['audit', '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
  text = result.stdout ?? '';
  how = `npm audit (exit ${result.status ?? result.signal ?? result.error?.message})`;
}

let report;
try {
  report = JSON.parse(text);
} catch {
  report = null;
}

const counts = report?.metadata?.vulnerabilities;
if (!counts || typeof counts !== 'object') {
  const reason = report?.error?.summary || report?.message || report?.error?.code || (text.trim() ? text.trim().split('\n')[0].slice(0, 200) : 'no output');
  console.warn(`! npm audit could not run (${reason}); ${strict ? 'failing (AUDIT_STRICT=1)' : 'skipped: not a finding'}`);
  process.exit(strict ? 1 : 0);
}

/** The packages the two published packages install: their dependencies' closure, from package-lock.json. */
function shipped() {
  const root = new URL('../', import.meta.url);
  const read = (path) => JSON.parse(readFileSync(new URL(path, root), 'utf8'));
  const lock = read('package-lock.json').packages ?? {};
  const names = new Set();
  const visit = (name) => {
    if (names.has(name)) return;
    names.add(name);
    const entry = lock[`node_modules/${name}`];
    for (const dep of Object.keys({ ...entry?.dependencies, ...entry?.optionalDependencies })) visit(dep);
  };
  for (const pkg of [read('package.json'), read('packages/server/package.json')]) for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep);
  return names;
}

const all = Object.values(report.vulnerabilities ?? {}).filter((v) => FAIL_AT.has(v.severity));
const ours = shipped();
const findings = all.filter((v) => ours.has(v.name));
const toolsOnly = all.filter((v) => !ours.has(v.name));
for (const v of toolsOnly) console.warn(`! ${v.severity} in a build/test tool only (not installed by users): ${v.name} ${v.range ?? ''}`);
// A report that only counts (no per-package entries) cannot be told apart: serious counts fail.
const serious = all.length ? findings.length : (counts.high ?? 0) + (counts.critical ?? 0);
if (serious === 0) {
  console.log(`✓ npm audit: no high or critical vulnerabilities in what users install (${counts.total ?? 0} in all; ${how})`);
  process.exit(0);
}
console.error(`✗ npm audit: ${findings.length || serious} high or critical in what users install`);
for (const v of findings) {
  const via = (v.via ?? []).map((x) => (typeof x === 'string' ? x : `${x.title ?? ''} ${x.url ?? ''}`.trim())).join('; ');
  console.error(`  ${v.severity.padEnd(8)} ${v.name} ${v.range ?? ''}  ${via}${v.fixAvailable ? '  (fix available: npm audit fix)' : ''}`);
}
process.exit(1);
