// Part: install size (issue #18 item 3). What `npm install` puts on disk,
// before and after the server moved its dependencies to @rtc-elements/server:
//   before     rtc-elements as one package with the dependencies it had
//              until then (the front-end's, the server's and webrtc-adapter):
//              the tarball packed now, its package.json given that list back
//   front-end  rtc-elements alone, as published now
//   server     @rtc-elements/server (which brings rtc-elements)
// Each tarball is installed into an empty folder with `npm ci --offline`
// (the dependencies at our lockfile's versions, from npm's cache:
// scripts/pack-install.mjs); counted: the packages npm installed, their
// files and bytes (file sizes, and blocks on disk as `du` counts).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './lib/servers.mjs';
import { fmt, ratio } from './lib/util.mjs';

const MB = 1e6;

export async function runInstall({ log }) {
  const { capture, packBoth, installApp, fileDeps, measureInstall } = await import(pathToFileURL(join(ROOT, 'scripts/pack-install.mjs')).href);
  const dir = mkdtempSync(join(tmpdir(), 'rtc-elements-install-'));
  try {
    const tarballs = await packBoth(dir);
    const front = tarballs['rtc-elements'];

    // The package as it was: today's tarball, unpacked, its old dependency list back, packed again.
    const m = front.manifest;
    const oldDeps = { ...m.dependencies, ...m.peerDependencies, 'webrtc-adapter': m.devDependencies['webrtc-adapter'] };
    const unpacked = join(dir, 'before-src');
    mkdirSync(unpacked);
    const untar = await capture('tar', ['-xzf', join(dir, front.filename), '-C', unpacked, '--strip-components=1'], dir);
    if (untar.code !== 0) throw new Error(`tar: ${untar.stderr}`);
    const pkgPath = join(unpacked, 'package.json');
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
    delete pkg.peerDependencies;
    delete pkg.peerDependenciesMeta;
    pkg.dependencies = oldDeps;
    writeFileSync(pkgPath, JSON.stringify(pkg, null, 2));
    const beforeDir = join(dir, 'before');
    mkdirSync(beforeDir);
    const packed = await capture('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', beforeDir], unpacked);
    if (packed.code !== 0) throw new Error(`npm pack (before): ${packed.stderr}`);
    const [info] = JSON.parse(packed.stdout);
    const beforeTarball = { ...front, filename: info.filename, integrity: info.integrity, manifest: { ...m, dependencies: oldDeps, peerDependencies: undefined, peerDependenciesMeta: undefined } };
    // npm pack reports the sha512 integrity; appLock wants the tarball beside the app folder.
    const before = { 'rtc-elements': beforeTarball };

    const setups = {};
    const measure = async (name, label, where, deps, tbs, tarballFiles) => {
      const t0 = Date.now();
      const app = await installApp(where, name, deps, tbs);
      const x = measureInstall(app);
      setups[name] = {
        label,
        packages: x.packages,
        names: x.names,
        perPackage: x.perPackage,
        files: x.files,
        bytes: x.bytes,
        diskBytes: x.diskBytes,
        tarballBytes: tarballFiles.reduce((sum, f) => sum + statSync(join(where, f)).size, 0),
        installMs: Date.now() - t0,
      };
      log(`  ${label}: ${x.packages} packages, ${fmt(x.bytes / MB, 1)} MB in ${x.files} files (${fmt(x.diskBytes / MB, 1)} MB on disk)`);
    };
    await measure('before', 'before: rtc-elements with every dependency', beforeDir, fileDeps(before, 'rtc-elements'), before, [info.filename]);
    await measure('frontend', 'after: rtc-elements (front-end)', dir, fileDeps(tarballs, 'rtc-elements'), tarballs, [front.filename]);
    await measure('server', 'after: @rtc-elements/server (+ rtc-elements)', dir, fileDeps(tarballs, '@rtc-elements/server'), tarballs, [front.filename, tarballs['@rtc-elements/server'].filename]);
    const b = setups.before;
    const f = setups.frontend;
    return {
      setups,
      leftOut: b.names.filter((n) => !f.names.includes(n)),
      ratios: { packages: ratio(f.packages, b.packages), bytes: ratio(f.bytes, b.bytes), diskBytes: ratio(f.diskBytes, b.diskBytes) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function installRows(d) {
  const b = d.setups.before;
  const f = d.setups.frontend;
  const s = d.setups.server;
  const row = (metric, ours, baseline, r) => ({ part: 'install', metric, ours, baseline, ratio: r, target: '—', verdict: 'info' });
  return [
    row('npm install rtc-elements (front-end): packages', String(f.packages), `${b.packages} (before the split)`, fmt(d.ratios.packages, 2)),
    row('npm install rtc-elements (front-end): MB of files', fmt(f.bytes / MB, 1), `${fmt(b.bytes / MB, 1)} (before the split)`, fmt(d.ratios.bytes, 2)),
    row('npm install @rtc-elements/server: packages', String(s.packages), `${b.packages} (before the split)`, fmt(ratio(s.packages, b.packages), 2)),
    row('npm install @rtc-elements/server: MB of files', fmt(s.bytes / MB, 1), `${fmt(b.bytes / MB, 1)} (before the split)`, fmt(ratio(s.bytes, b.bytes), 2)),
  ];
}

export function installDetails(part, mdTable, heading) {
  const d = part.data;
  const out = [heading('install', part), ''];
  out.push(
    'Each tarball (`npm pack`) installed into an empty folder with `npm ci --offline`, every dependency at our package-lock.json\'s version (bench/install.mjs). ' +
      '"before" is the tarball of today\'s code with the dependency list rtc-elements had until the server moved out: the same files, the dependencies it used to pull.',
  );
  out.push('');
  out.push(
    mdTable(
      ['Install', 'packages', 'files', 'MB of files', 'MB on disk', 'tarballs (KB)', 'install (s)'],
      Object.values(d.setups).map((x) => [x.label, x.packages, x.files, fmt(x.bytes / MB, 2), fmt(x.diskBytes / MB, 2), fmt(x.tarballBytes / 1000, 0), fmt(x.installMs / 1000, 1)]),
    ),
  );
  out.push('');
  out.push(`A front-end install no longer gets: ${d.leftOut.join(', ')}.`);
  out.push('');
  const kb = (x) => `${x.name} ${fmt(x.bytes / 1000, 0)}`;
  out.push(`A front-end install, KB of files per package: ${d.setups.frontend.perPackage.map(kb).join(', ')}.`);
  out.push('');
  return out.join('\n');
}
