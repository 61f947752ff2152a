// Packs this repo's two npm packages (rtc-elements, the front-end, and
// packages/server, @rtc-elements/server) and installs tarballs into empty
// folders the way a user's project would: test/e2e/pack.test.ts checks those
// installs, bench/install.mjs measures them.
//
// Installs run offline (npm test and the bench run in a network namespace
// with no registry): each app gets a package-lock.json that pins the
// tarballs and every dependency at the version our own lockfile pins, so
// `npm ci --offline` takes each one from the cache that `npm ci` filled.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

/** Runs a command; resolves with its exit code and output, rejects after `timeoutMs`. */
export function capture(cmd, args, cwd, timeoutMs = 180_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')}: no exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function must(cmd, args, cwd, timeoutMs) {
  const r = await capture(cmd, args, cwd, timeoutMs);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited with ${r.code}\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/**
 * `npm pack` of the front-end package (the repo root) and of
 * packages/server into `dest`, without the prepack build (the caller has
 * just built dist/). Returns, per package name, the tarball's file name, its
 * sha512 integrity, the packed file list and the package.json it carries.
 */
export async function packBoth(dest) {
  const packed = {};
  for (const dir of [ROOT, join(ROOT, 'packages/server')]) {
    const [info] = JSON.parse(await must('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], dir));
    const tarball = join(dest, info.filename);
    packed[info.name] = {
      filename: info.filename,
      integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
      files: info.files.map((f) => f.path),
      manifest: readJson(join(dir, 'package.json')),
    };
  }
  return packed;
}

/** Where Node (and npm) finds package `name` required from the package at lock path `from`. */
function resolveIn(lock, from, name) {
  for (let base = from; ; base = base.includes('/node_modules/') ? base.slice(0, base.lastIndexOf('/node_modules/')) : '') {
    const path = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (lock[path]) return path;
    if (!base) return null;
  }
}

/**
 * The package-lock.json of an app that depends on `deps` ({ name: spec },
 * a spec being a version range or `file:<tarball>`), given `tarballs` (what
 * packBoth returned, for the packages that come as tarballs): the tarballs
 * at node_modules/<name>, and the closure of their dependencies taken from
 * our own lockfile (same paths, so the same hoisting; registry URLs spelled
 * out, since our lockfile omits them).
 */
export function appLock(deps, tarballs) {
  const ours = readJson(join(ROOT, 'package-lock.json')).packages;
  const source = { ...ours };
  for (const [name, t] of Object.entries(tarballs)) {
    const m = t.manifest;
    source[`node_modules/${name}`] = {
      version: m.version,
      resolved: `file:../${t.filename}`,
      integrity: t.integrity,
      license: m.license,
      ...(m.dependencies && { dependencies: m.dependencies }),
      ...(m.peerDependencies && { peerDependencies: m.peerDependencies, peerDependenciesMeta: m.peerDependenciesMeta }),
      ...(m.bin && { bin: m.bin }),
      ...(m.engines && { engines: m.engines }),
    };
  }
  const packages = { '': { name: 'app', dependencies: deps } };
  const visit = (path) => {
    if (packages[path]) return;
    const { dev, devOptional, peer, ...entry } = source[path];
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    packages[path] = entry.resolved ? entry : { ...entry, resolved: `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${entry.version}.tgz` };
    const optionalPeer = (n) => entry.peerDependenciesMeta?.[n]?.optional;
    const wanted = [
      ...Object.keys(entry.dependencies ?? {}).map((n) => [n, false]),
      ...Object.keys(entry.optionalDependencies ?? {}).map((n) => [n, true]),
      ...Object.keys(entry.peerDependencies ?? {}).filter((n) => !optionalPeer(n)).map((n) => [n, false]),
    ];
    for (const [n, optional] of wanted) {
      const at = resolveIn(source, path, n);
      if (at) visit(at);
      else if (!optional) throw new Error(`${path} needs ${n}, which our package-lock.json does not hold`);
    }
    // An optional peer that the tree holds anyway (another package depends on
    // it) must be the copy this package resolves: nothing to add.
  };
  for (const name of Object.keys(deps)) {
    const at = resolveIn(source, '', name);
    if (!at) throw new Error(`no ${name} in our package-lock.json or the tarballs`);
    visit(at);
  }
  return { name: 'app', lockfileVersion: 3, requires: true, packages };
}

/**
 * An empty app folder `dir/<name>` whose package.json depends on `deps`,
 * installed with `npm ci --offline` from appLock(). Returns its path.
 */
export async function installApp(dir, name, deps, tarballs) {
  const app = join(dir, name);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: deps }));
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify(appLock(deps, tarballs)));
  await must('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], app, 240_000);
  return app;
}

/** Dependencies that name `tarballs` as the files packBoth wrote beside the apps. */
export const fileDeps = (tarballs, ...names) => Object.fromEntries(names.map((n) => [n, `file:../${tarballs[n].filename}`]));

/**
 * What an install put on disk: the packages npm installed (from
 * node_modules/.package-lock.json), their files and bytes (file sizes, and
 * the blocks they take on disk as `du` counts), and the bytes of each
 * package's own files (without its nested node_modules), largest first.
 */
export function measureInstall(app) {
  const paths = Object.keys(readJson(join(app, 'node_modules/.package-lock.json')).packages).filter((p) => p.startsWith('node_modules/'));
  const nameOf = (p) => p.slice(p.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const total = { files: 0, bytes: 0, diskBytes: 0 };
  const walk = (dir, own) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (own && entry.name === 'node_modules') continue;
      const path = join(dir, entry.name);
      const st = lstatSync(path);
      total.diskBytes += own ? 0 : st.blocks * 512;
      if (entry.isDirectory()) walk(path, own);
      else {
        if (own) own.bytes += st.size;
        else {
          total.files++;
          total.bytes += st.size;
        }
      }
    }
  };
  walk(join(app, 'node_modules'), null);
  const perPackage = paths.map((p) => {
    const own = { name: nameOf(p), bytes: 0 };
    walk(join(app, p), own);
    return own;
  });
  return { packages: paths.length, names: paths.map(nameOf).sort(), ...total, perPackage: perPackage.sort((a, b) => b.bytes - a.bytes) };
}
