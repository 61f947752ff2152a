// Dependencies: the CI audit step fails on real findings only, and the
// socket.io stack in node_modules is past its known advisories (checked
// offline, so it holds even when the registry's audit endpoint is not reachable).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const script = join(root, '.ci/audit.mjs');
const dir = mkdtempSync(join(tmpdir(), 'rtc-audit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function audit(report: unknown): { code: number | null; out: string } {
  const file = join(dir, `r${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof report === 'string' ? report : JSON.stringify(report));
  const r = spawnSync(process.execPath, [script, file], { encoding: 'utf8', env: { ...process.env, AUDIT_STRICT: '' } });
  return { code: r.status, out: r.stdout + r.stderr };
}

const counts = (high: number, critical = 0, moderate = 0) => ({ info: 0, low: 0, moderate, high, critical, total: high + critical + moderate });

describe('.ci/audit.mjs', () => {
  it('fails on a high or critical finding, naming it', () => {
    const r = audit({
      auditReportVersion: 2,
      vulnerabilities: {
        'socket.io-parser': {
          name: 'socket.io-parser',
          severity: 'high',
          via: [{ title: 'Insufficient validation when decoding a Socket.IO packet', url: 'https://github.com/advisories/GHSA-cqmj-92xf-r6r9' }],
          range: '4.0.4 - 4.2.2',
          fixAvailable: true,
        },
      },
      metadata: { vulnerabilities: counts(1) },
    });
    assert.equal(r.code, 1);
    assert.match(r.out, /socket\.io-parser.*GHSA-cqmj-92xf-r6r9/);
    assert.equal(audit({ auditReportVersion: 2, vulnerabilities: {}, metadata: { vulnerabilities: counts(0, 1) } }).code, 1);
  });

  it('a high finding in a build or test tool only (not installed by users) is listed, not failed', () => {
    const r = audit({
      auditReportVersion: 2,
      vulnerabilities: { rollup: { name: 'rollup', severity: 'high', via: ['x'], range: '<0' } },
      metadata: { vulnerabilities: counts(1) },
    });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /build\/test tool only.*rollup/);
    // The server's libraries are dev dependencies of the root, yet users install them: they fail.
    const redis = audit({
      auditReportVersion: 2,
      vulnerabilities: { redis: { name: 'redis', severity: 'critical', via: ['x'] } },
      metadata: { vulnerabilities: counts(0, 1) },
    });
    assert.equal(redis.code, 1, redis.out);
  });

  it('passes a clean report and one with moderate findings only', () => {
    assert.equal(audit({ auditReportVersion: 2, vulnerabilities: {}, metadata: { vulnerabilities: counts(0) } }).code, 0);
    const moderate = audit({
      auditReportVersion: 2,
      vulnerabilities: { x: { name: 'x', severity: 'moderate', via: ['y'] } },
      metadata: { vulnerabilities: counts(0, 0, 1) },
    });
    assert.equal(moderate.code, 0);
  });

  it('an audit that could not run (no registry, HTTP 405, garbage) is reported, not failed; AUDIT_STRICT=1 fails it', () => {
    const unreachable = { message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk', statusCode: 405 };
    for (const report of [unreachable, { error: { code: 'ENOTFOUND', summary: 'getaddrinfo ENOTFOUND registry.npmjs.org' } }, 'not json', '']) {
      const r = audit(report);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /could not run/);
    }
    const file = join(dir, 'strict.json');
    writeFileSync(file, JSON.stringify(unreachable));
    assert.equal(spawnSync(process.execPath, [script, file], { env: { ...process.env, AUDIT_STRICT: '1' } }).status, 1);
  });
});

describe('the socket.io stack', () => {
  // The first release past each advisory.
  const minimum: Record<string, string> = {
    'socket.io': '4.6.2', // CVE-2024-38355: unhandled 'error' event
    'socket.io-parser': '4.2.3', // CVE-2022-2421, CVE-2023-32695: packet validation
    'engine.io': '6.4.2', // CVE-2022-41940, CVE-2023-31125: crafted packets crash the server
    ws: '8.17.1', // CVE-2024-37890: too many headers crash the server
    jose: '4.15.5', // CVE-2024-28176: JWE decompression bomb
  };
  /** The version `name` resolves to from `from` (exports maps may hide package.json from require.resolve). */
  const versionFrom = (name: string, from: string): { version: string; dir: string } => {
    for (const base of createRequire(from).resolve.paths(name) ?? []) {
      const file = join(base, name, 'package.json');
      if (existsSync(file)) return { version: (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version, dir: join(base, name) };
    }
    throw new Error(`${name} is not installed`);
  };
  // As the server resolves them: socket.io -> engine.io -> ws, socket.io -> socket.io-parser.
  const version = (name: string): string => {
    const app = join(root, 'package.json');
    if (name === 'socket.io' || name === 'jose') return versionFrom(name, app).version;
    const io = join(versionFrom('socket.io', app).dir, 'package.json');
    if (name !== 'ws') return versionFrom(name, io).version;
    return versionFrom('ws', join(versionFrom('engine.io', io).dir, 'package.json')).version;
  };
  const atLeast = (v: string, min: string) => {
    const a = v.split(/[.-]/).slice(0, 3).map(Number);
    const b = min.split('.').map(Number);
    for (let i = 0; i < 3; i++) if (a[i]! !== b[i]!) return a[i]! > b[i]!;
    return true;
  };

  for (const [name, min] of Object.entries(minimum)) {
    it(`${name} ≥ ${min}`, () => {
      const v = version(name);
      assert.ok(atLeast(v, min), `${name} ${v} is older than ${min}`);
    });
  }
});
