// The package as npm ships it: packed, installed into an empty folder, then used the ways users use it
// (Node/SSR import, the server, the CDN files in Chromium, the types, `npx rtc-elements --help`, the manifest).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, ROOT } from './browser.js';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd: string, timeoutMs = 120_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')}: no exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function must(cmd: string, args: string[], cwd: string, timeoutMs?: number): Promise<string> {
  const r = await run(cmd, args, cwd, timeoutMs);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')} exited with ${r.code}\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

interface LockEntry {
  version: string;
  name?: string;
  dev?: boolean;
  devOptional?: boolean;
  [key: string]: unknown;
}

/**
 * The app's package-lock.json: the tarball, and its dependencies at exactly
 * the versions our own lockfile pins (the entries npm marks neither dev nor
 * devOptional), with their registry URLs spelled out. npm test runs in a
 * network namespace with no registry, so `npm install <tarball>` cannot
 * resolve anything; `npm ci --offline` from this lock takes every tarball from
 * the cache that `npm ci` filled, by its integrity.
 */
function appLock(tarball: string, integrity: string): object {
  const ours = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const packages: Record<string, unknown> = {
    '': { name: 'app', dependencies: { 'rtc-elements': `file:${tarball}` } },
    'node_modules/rtc-elements': {
      version: pkg.version,
      resolved: `file:${tarball}`,
      integrity,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries(ours.packages)) {
    if (!path || entry.dev || entry.devOptional) continue;
    const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    packages[path] = { ...entry, resolved: `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${entry.version}.tgz` };
  }
  return { name: 'app', lockfileVersion: 3, requires: true, packages };
}

/** `npx rtc-elements` from the app folder, until its start line says where it listens. */
function startInstalledServer(app: string): Promise<{ child: ChildProcess; url: string }> {
  // Its own process group: npx runs the command as a child, and stopping the group stops both.
  const child = spawn('npx', ['rtc-elements', '--port', '0'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no start line within 30 s; stderr: ${err}`));
    }, 30_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const port = /"port":(\d+)/.exec(out)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${port}` });
      }
    });
    child.on('exit', (code) => reject(new Error(`npx rtc-elements exited with ${code}: ${err}`)));
  });
}

describe('the npm package, packed and installed into an empty folder', { timeout: 240_000 }, () => {
  let dir: string;
  let app: string;
  let packed: string[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-elements-pack-'));
    app = join(dir, 'app');
    // A fresh clone has no dist/: `npm pack` must build it (prepack). npm test
    // has just run that very build (scripts/build.mjs), so the tarball is
    // packed from this tree without running it a second time; the first test
    // holds prepack to that command.
    const out = await must('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
    const [info] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
    packed = info!.files.map((f) => f.path);
    const tarball = join(dir, info!.filename);
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: { 'rtc-elements': `file:../${info!.filename}` } }));
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify(appLock(`../${info!.filename}`, integrity)));
    await must('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], app, 180_000);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('npm pack builds first, and ships the build, the manifest and the command, not the tests', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.prepack, 'node scripts/build.mjs');
    for (const file of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/webrtc-shims.js',
      'dist/server/index.js',
      'dist/server/cli.js',
      'dist/protocol.js',
      'dist/react.d.ts',
      'dist/rtc-elements.js',
      'dist/rtc-elements.iife.js',
      'custom-elements.json',
      'bin/rtc-elements.js',
      'README.md',
    ]) {
      assert.ok(packed.includes(file), `${file} is in the tarball`);
    }
    assert.deepEqual(packed.filter((f) => /^(test|build|bench|\.ci)\//.test(f)), []);
  });

  it('imports in Node without a DOM: defines nothing, touches no window (what SSR frameworks do)', async () => {
    // As the issue ran it: a bare dynamic import.
    await must(process.execPath, ['-e', "import('rtc-elements')"], app);
    const script = `
      const before = Object.keys(globalThis);
      const m = await import('rtc-elements');
      const server = await import('rtc-elements/server');
      const protocol = await import('rtc-elements/protocol');
      console.log(JSON.stringify({
        window: typeof window,
        document: typeof document,
        defined: ['media-capture', 'rtc-room', 'remote-stream'].filter((t) => globalThis.customElements?.get(t)),
        adapter: m.applyAdapter(),
        classes: [m.RtcRoom, m.MediaCapture, m.RemoteStream, m.RoomClient, m.PeerLeaveEvent].map((c) => typeof c),
        createSignalingServer: typeof server.createSignalingServer,
        version: protocol.PROTOCOL_VERSION,
        newGlobals: Object.keys(globalThis).filter((k) => !before.includes(k)),
      }));`;
    const result = JSON.parse(await must(process.execPath, ['--input-type=module', '-e', script], app)) as Record<string, unknown>;
    assert.equal(result.window, 'undefined');
    assert.equal(result.document, 'undefined');
    assert.deepEqual(result.defined, []);
    assert.equal(result.adapter, null);
    assert.deepEqual(result.classes, ['function', 'function', 'function', 'function', 'function']);
    assert.equal(result.createSignalingServer, 'function');
    assert.equal(typeof result.version, 'number');
    // lit's Node build adds its own bookkeeping globals (and a customElements stand-in); nothing named window or document.
    assert.deepEqual((result.newGlobals as string[]).filter((k) => /window|document|navigator|HTMLElement/i.test(k)), []);
  });

  it('npx rtc-elements --help works from the install', async () => {
    const help = await must('npx', ['rtc-elements', '--help'], app);
    assert.match(help, /^Usage: rtc-elements \[options\]/);
    assert.match(help, /--turn-secret/);
  });

  it('the types work from the install: tags, events with their unions, the server', async () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022', 'DOM', 'DOM.Iterable'], strict: true, noEmit: true, skipLibCheck: true, types: [] },
        files: ['check.ts'],
      }),
    );
    writeFileSync(
      join(app, 'check.ts'),
      `import { RtcRoom, type PeerLeaveDetail, type PeerStateDetail, type RoomErrorDetail } from 'rtc-elements';
import { createSignalingServer, type SignalingServerOptions } from 'rtc-elements/server';
import type { ErrorCode } from 'rtc-elements/protocol';

const room: RtcRoom = document.createElement('rtc-room');
const size: number | null = room.maxParticipants;
room.addEventListener('peer-leave', (e) => {
  const reason: 'leave' | 'disconnect' | 'replaced' | 'connection-lost' = e.detail.reason;
  void reason;
});
const ok: PeerLeaveDetail['reason'] = 'connection-lost';
// @ts-expect-error not one of the documented reasons
const bad: PeerLeaveDetail['reason'] = 'vanished';
const state: PeerStateDetail['state'] = 'rebuilding';
// @ts-expect-error not a peer state
const badState: PeerStateDetail['state'] = 'sleeping';
const code: RoomErrorDetail['code'] = 'invalid-attribute';
const serverCode: ErrorCode = 'room-full';
// @ts-expect-error not an error code
const badCode: RoomErrorDetail['code'] = 'oops';
// @ts-expect-error maxParticipants is a number
room.maxParticipants = '4';
const options: SignalingServerOptions = { port: 0, relayOnly: false };
const start: (o: SignalingServerOptions) => Promise<unknown> = createSignalingServer;
export { size, ok, bad, state, badState, code, serverCode, badCode, options, start };
`,
    );
    const r = await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it('custom-elements.json: every event with its type and detail, no internal state as attributes', () => {
    interface Decl {
      tagName?: string;
      name: string;
      attributes?: { name: string; type?: { text: string } }[];
      events?: { name: string; type?: { text: string }; description?: string }[];
      members?: { name: string; type?: { text: string } }[];
    }
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules/rtc-elements/custom-elements.json'), 'utf8')) as { modules: { path: string; declarations?: Decl[] }[] };
    const decls = manifest.modules.flatMap((m) => m.declarations ?? []);
    const element = (tag: string) => decls.find((d) => d.tagName === tag)!;
    const eventsModule = manifest.modules.find((m) => m.path === 'src/events.ts')!;
    const events = (tag: string) => (element(tag).events ?? []).map((e) => e.name).sort();
    // Every event the README documents for each element, and no other.
    assert.deepEqual(events('media-capture'), ['capture-error', 'devices-change', 'mute-change', 'stream', 'stream-end', 'track-change']);
    assert.deepEqual(events('remote-stream'), ['autoplay-blocked']);
    assert.deepEqual(events('rtc-room'), [
      'peer-join', 'peer-leave', 'peer-state', 'peer-update', 'room-error', 'room-joined', 'room-left', 'room-message',
      'room-state', 'stream', 'stream-end', 'stream-mute', 'token-expired', 'token-expiring',
    ]);
    for (const tag of ['media-capture', 'rtc-room', 'remote-stream']) {
      for (const event of element(tag).events!) {
        const cls = eventsModule.declarations!.find((d) => d.name === event.type?.text);
        assert.ok(cls, `<${tag}> ${event.name}: its type (${event.type?.text}) is a class of src/events.ts`);
        const detail = cls.members!.find((m) => m.name === 'detail')!.type!.text;
        assert.doesNotMatch(detail, /<T>/, `${cls.name}.detail is typed`);
        assert.ok(event.description?.startsWith(`detail: \``), `<${tag}> ${event.name} names its detail`);
      }
    }
    const peerLeave = element('rtc-room').events!.find((e) => e.name === 'peer-leave')!;
    assert.equal(peerLeave.type!.text, 'PeerLeaveEvent');
    assert.match(peerLeave.description!, /^detail: `PeerLeaveDetail`/);
    const attributes = decls.filter((d) => d.tagName).flatMap((d) => (d.attributes ?? []).map((a) => a.name));
    assert.ok(!attributes.includes('errorMessage') && !attributes.includes('statusMessage'), attributes.join(' '));
    assert.equal(element('rtc-room').attributes!.find((a) => a.name === 'max-participants')!.type!.text, 'number | null');
  });

  describe('in Chromium, served by the installed server', () => {
    let server: { child: ChildProcess; url: string } | undefined;
    let browser: Browser | undefined;
    before(async () => {
      server = await startInstalledServer(app);
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
      if (server?.child.pid) process.kill(-server.child.pid, 'SIGTERM');
    });

    async function page(): Promise<Page> {
      const context = await browser!.newContext();
      const p = await context.newPage();
      const errors: string[] = [];
      p.on('pageerror', (e) => errors.push(e.message));
      (p as Page & { errors?: string[] }).errors = errors;
      // An empty page of the same origin, so `/dist/...` resolves.
      await p.goto(`${server!.url}/healthz`);
      return p;
    }

    const upgraded = (p: Page) =>
      p.evaluate(async () => {
        await customElements.whenDefined('media-capture');
        const capture = document.createElement('media-capture') as HTMLElement & { updateComplete: Promise<unknown> };
        document.body.append(capture);
        await capture.updateComplete;
        return {
          tags: ['media-capture', 'rtc-room', 'remote-stream'].filter((t) => customElements.get(t)),
          startButton: !!capture.shadowRoot?.querySelector('[part="start-button"]'),
        };
      });

    it('the CDN files: the ES module and the classic script each register the three tags', async () => {
      for (const file of ['rtc-elements.js', 'rtc-elements.iife.js']) {
        const served = await fetch(`${server!.url}/dist/${file}`);
        assert.equal(served.status, 200);
        assert.equal(await served.text(), readFileSync(join(app, 'node_modules/rtc-elements/dist', file), 'utf8'), `/dist/${file} is the installed file`);
      }
      const esm = await page();
      await esm.addScriptTag({ url: '/dist/rtc-elements.js', type: 'module' });
      assert.deepEqual(await upgraded(esm), { tags: ['media-capture', 'rtc-room', 'remote-stream'], startButton: true });
      const classic = await page();
      await classic.addScriptTag({ url: '/dist/rtc-elements.iife.js' });
      assert.deepEqual(await upgraded(classic), { tags: ['media-capture', 'rtc-room', 'remote-stream'], startButton: true });
      assert.equal(await classic.evaluate(() => (window as unknown as { RtcElements: { RtcRoom: unknown } }).RtcElements.RtcRoom === customElements.get('rtc-room')), true);
      assert.deepEqual([...(esm as Page & { errors: string[] }).errors, ...(classic as Page & { errors: string[] }).errors], []);
    });

    it('server-side rendering: HTML rendered in Node with the package imported, registered on the client only (docs/FRAMEWORKS.md)', async () => {
      // What an SSR framework does on the server: the component module imports rtc-elements, and renders markup.
      writeFileSync(
        join(app, 'render.mjs'),
        `import { RtcRoom } from 'rtc-elements';
const room = 'ssr-' + (typeof RtcRoom);
process.stdout.write(\`<script type="importmap">{"imports":{"rtc-elements":"/dist/rtc-elements.js"}}</script>
<rtc-room room-id="\${room}"><media-capture video></media-capture></rtc-room>
<script type="module">
  // The client-only registration: in SvelteKit onMount(), in Astro a <script>, in Next.js useEffect().
  if (!customElements.get('rtc-room')) await import('rtc-elements');
</script>\`);
`,
      );
      const html = await must(process.execPath, ['render.mjs'], app);
      assert.match(html, /<rtc-room room-id="ssr-function">/);
      const p = await page();
      // The rendered page, delivered as a response of the server's origin (the framework's server in real life).
      await p.route(`${server!.url}/ssr`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: `<!doctype html>${html}` }));
      await p.goto(`${server!.url}/ssr`);
      const state = await p.evaluate(async () => {
        await customElements.whenDefined('rtc-room');
        const capture = document.querySelector('media-capture') as HTMLElement & { updateComplete: Promise<unknown> };
        await capture.updateComplete;
        return {
          room: document.querySelector('rtc-room')!.constructor === customElements.get('rtc-room'),
          startButton: !!capture.shadowRoot?.querySelector('[part="start-button"]'),
        };
      });
      assert.deepEqual(state, { room: true, startButton: true });
      assert.deepEqual((p as Page & { errors: string[] }).errors, []);
    });
  });
});
