// CI: `npm audit --omit=dev --audit-level=high`, failing only on real
// findings. npm audit exits non-zero both for findings and when it cannot
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
  const result = spawnSync(npm, ['audit', '--omit=dev', '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
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

const findings = Object.values(report.vulnerabilities ?? {}).filter((v) => FAIL_AT.has(v.severity));
const serious = (counts.high ?? 0) + (counts.critical ?? 0);
if (serious === 0 && findings.length === 0) {
  console.log(`✓ npm audit --omit=dev: no high or critical vulnerabilities (${counts.total ?? 0} in all; ${how})`);
  process.exit(0);
}
console.error(`✗ npm audit --omit=dev: ${counts.critical ?? 0} critical, ${counts.high ?? 0} high`);
for (const v of findings) {
  const via = (v.via ?? []).map((x) => (typeof x === 'string' ? x : `${x.title ?? ''} ${x.url ?? ''}`.trim())).join('; ');
  console.error(`  ${v.severity.padEnd(8)} ${v.name} ${v.range ?? ''}  ${via}${v.fixAvailable ? '  (fix available: npm audit fix)' : ''}`);
}
process.exit(1);
