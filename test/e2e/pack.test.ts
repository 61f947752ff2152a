// The npm packages as npm ships them: rtc-elements (the front-end) and
// @rtc-elements/server (packages/server: the server's dependencies), packed,
// installed into empty folders, then used the ways users use them (Node/SSR
// import, the server, the CDN files in Chromium, the types, `npx`, the
// manifest). The installs run offline: scripts/pack-install.mjs.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, ROOT } from './browser.js';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}
interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
  bin?: Record<string, string>;
}
type Tarballs = Record<string, { filename: string; files: string[]; manifest: Manifest }>;
interface PackInstall {
  capture(cmd: string, args: string[], cwd: string, timeoutMs?: number): Promise<Ran>;
  packBoth(dest: string): Promise<Tarballs>;
  installApp(dir: string, name: string, deps: Record<string, string>, tarballs: Tarballs): Promise<string>;
  fileDeps(tarballs: Tarballs, ...names: string[]): Record<string, string>;
  measureInstall(app: string): { packages: number; names: string[]; bytes: number };
}
const packInstall = (await import(pathToFileURL(join(ROOT, 'scripts/pack-install.mjs')).href)) as PackInstall;
const run = packInstall.capture;

async function must(cmd: string, args: string[], cwd: string, timeoutMs?: number): Promise<string> {
  const r = await run(cmd, args, cwd, timeoutMs);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')} exited with ${r.code}\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

/** What a browser-only project must not get: the server and what only it uses. */
const SERVER_ONLY = ['socket.io', 'engine.io', 'redis', '@redis/client', 'pino', 'prom-client', 'jose', 'valibot'];

/** `npx @rtc-elements/server` from the server app, until its start line says where it listens. */
function startInstalledServer(app: string): Promise<{ child: ChildProcess; url: string }> {
  // Its own process group: npx runs the command as a child, and stopping the group stops both.
  const child = spawn('npx', ['@rtc-elements/server', '--port', '0'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
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
    child.on('exit', (code) => reject(new Error(`npx @rtc-elements/server exited with ${code}: ${err}`)));
  });
}

describe('the npm packages, packed and installed into empty folders', { timeout: 300_000 }, () => {
  let dir: string;
  /** A project that installed rtc-elements alone (a front-end). */
  let app: string;
  /** A project that installed @rtc-elements/server (which brings rtc-elements). */
  let serverApp: string;
  let tarballs: Tarballs;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-elements-pack-'));
    // A fresh clone has no dist/: `npm pack` must build it (prepack). npm test
    // has just run that very build (scripts/build.mjs), so the tarballs are
    // packed from this tree without running it a second time; the first test
    // holds prepack to that command.
    tarballs = await packInstall.packBoth(dir);
    app = await packInstall.installApp(dir, 'app', packInstall.fileDeps(tarballs, 'rtc-elements'), tarballs);
    serverApp = await packInstall.installApp(dir, 'server-app', packInstall.fileDeps(tarballs, '@rtc-elements/server'), tarballs);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('npm pack builds first, and ships the build, the manifest and the command, not the tests', () => {
    const pkg = readJson<Manifest>(join(ROOT, 'package.json'));
    assert.equal(pkg.scripts!.prepack, 'node scripts/build.mjs');
    const packed = tarballs['rtc-elements']!.files;
    for (const file of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/webrtc-shims.js',
      'dist/server-entry.js',
      'dist/server/index.js',
      'dist/server/index.d.ts',
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
    assert.deepEqual(packed.filter((f) => /^(test|build|bench|packages|\.ci)\//.test(f)), []);
    assert.deepEqual(tarballs['@rtc-elements/server']!.files.sort(), ['README.md', 'bin.js', 'index.d.ts', 'index.js', 'package.json']);
  });

  it('the two packages agree: one version, and @rtc-elements/server brings exactly the server\'s dependencies', () => {
    const front = tarballs['rtc-elements']!.manifest;
    const server = tarballs['@rtc-elements/server']!.manifest;
    assert.equal(server.version, front.version);
    const { 'rtc-elements': frontSpec, ...serverDeps } = server.dependencies!;
    assert.equal(frontSpec, front.version, '@rtc-elements/server depends on the rtc-elements of its own version');
    // rtc-elements names them as optional peers, so that npm places them where
    // its dist/server/ finds them and refuses a version it does not accept.
    assert.deepEqual(serverDeps, front.peerDependencies);
    for (const name of Object.keys(serverDeps)) {
      assert.equal(front.peerDependenciesMeta?.[name]?.optional, true, `${name} is an optional peer of rtc-elements`);
      assert.equal(front.devDependencies?.[name], serverDeps[name], `${name}: the repo's own install (devDependencies) has the same range`);
    }
    // engine.io-client comes with socket.io-client anyway; it is named because signaling.ts picks its transports.
    assert.deepEqual(Object.keys(front.dependencies!).sort(), ['engine.io-client', 'lit', 'socket.io-client']);
  });

  it('a front-end install is small: no socket.io server, redis, pino or prom-client', () => {
    const front = packInstall.measureInstall(app);
    const full = packInstall.measureInstall(serverApp);
    assert.deepEqual(SERVER_ONLY.filter((name) => front.names.includes(name)), [], `front-end install: ${front.names.join(' ')}`);
    // The same names do come with the server: the list above is not misspelled.
    assert.deepEqual(SERVER_ONLY.filter((name) => !full.names.includes(name)), []);
    assert.ok(front.packages <= 20, `${front.packages} packages: ${front.names.join(' ')}`);
    assert.ok(front.bytes < full.bytes / 2, `front-end ${front.bytes} bytes, with the server ${full.bytes}`);
  });

  it('imports in Node without a DOM: defines nothing, touches no window (what SSR frameworks do)', async () => {
    // As the issue ran it: a bare dynamic import.
    await must(process.execPath, ['-e', "import('rtc-elements')"], app);
    const script = `
      const before = Object.keys(globalThis);
      const m = await import('rtc-elements');
      const protocol = await import('rtc-elements/protocol');
      console.log(JSON.stringify({
        window: typeof window,
        document: typeof document,
        defined: ['media-capture', 'rtc-room', 'remote-stream'].filter((t) => globalThis.customElements?.get(t)),
        adapter: m.applyAdapter(),
        classes: [m.RtcRoom, m.MediaCapture, m.RemoteStream, m.RoomClient, m.PeerLeaveEvent].map((c) => typeof c),
        version: protocol.PROTOCOL_VERSION,
        newGlobals: Object.keys(globalThis).filter((k) => !before.includes(k)),
      }));`;
    const result = JSON.parse(await must(process.execPath, ['--input-type=module', '-e', script], app)) as Record<string, unknown>;
    assert.equal(result.window, 'undefined');
    assert.equal(result.document, 'undefined');
    assert.deepEqual(result.defined, []);
    assert.equal(result.adapter, null);
    assert.deepEqual(result.classes, ['function', 'function', 'function', 'function', 'function']);
    assert.equal(typeof result.version, 'number');
    // lit's Node build adds its own bookkeeping globals (and a customElements stand-in); nothing named window or document.
    assert.deepEqual((result.newGlobals as string[]).filter((k) => /window|document|navigator|HTMLElement/i.test(k)), []);
  });

  it('the front-end install: rtc-elements/server and npx rtc-elements name the package to install', async () => {
    const imported = await run(process.execPath, ['--input-type=module', '-e', "await import('rtc-elements/server')"], app);
    assert.notEqual(imported.code, 0);
    assert.match(imported.stderr, /the signaling server is not installed \(Node cannot find the package '[^']+'\)/);
    assert.match(imported.stderr, /npm install @rtc-elements\/server/);
    const command = await run('npx', ['rtc-elements', '--help'], app);
    assert.equal(command.code, 1);
    assert.equal(command.stdout, '');
    assert.match(command.stderr, /^rtc-elements: the signaling server is not installed/);
    assert.match(command.stderr, /npx @rtc-elements\/server \[options\]/);
    assert.doesNotMatch(command.stderr, /\n\s+at /, 'a message, not a stack trace');
  });

  it('the server install: @rtc-elements/server and rtc-elements/server export the whole server', async () => {
    const script = `
      const names = (m) => Object.keys(m).sort();
      const scoped = await import('@rtc-elements/server');
      const documented = await import('rtc-elements/server');
      const source = await import('./node_modules/rtc-elements/dist/server/index.js');
      console.log(JSON.stringify({
        scoped: names(scoped), documented: names(documented), source: names(source),
        same: scoped.createSignalingServer === documented.createSignalingServer && documented.RedisRoomStore === source.RedisRoomStore,
      }));`;
    const r = JSON.parse(await must(process.execPath, ['--input-type=module', '-e', script], serverApp)) as Record<string, unknown>;
    assert.ok((r.source as string[]).includes('createSignalingServer'));
    assert.deepEqual(r.documented, r.source, 'src/server-entry.ts re-exports every value of src/server/index.ts');
    assert.deepEqual(r.scoped, r.source);
    assert.equal(r.same, true);
  });

  it('the server install: npx @rtc-elements/server, rtc-elements-server and rtc-elements --help', async () => {
    for (const command of [['@rtc-elements/server'], ['rtc-elements-server'], ['rtc-elements']]) {
      const help = await must('npx', [...command, '--help'], serverApp);
      assert.match(help, /^Usage: rtc-elements \[options\]/, command[0]);
      assert.match(help, /--turn-secret/);
    }
  });

  /** Type-checks `source` as a strict TypeScript project of `cwd`, with the tsc of this repo. */
  async function typecheck(cwd: string, source: string): Promise<void> {
    writeFileSync(
      join(cwd, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022', 'DOM', 'DOM.Iterable'], strict: true, noEmit: true, skipLibCheck: true, types: [] },
        files: ['check.ts'],
      }),
    );
    writeFileSync(join(cwd, 'check.ts'), source);
    const r = await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], cwd);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  }

  it('the types work from the front-end install: tags, events with their unions, the protocol', async () => {
    await typecheck(
      app,
      `import { RtcRoom, type PeerLeaveDetail, type PeerStateDetail, type RoomErrorDetail } from 'rtc-elements';
import type { ErrorCode } from 'rtc-elements/protocol';

const room: RtcRoom = document.createElement('rtc-room');
const size: number | null = room.maxParticipants;
room.addEventListener('peer-leave', (e) => {
  const reason: 'leave' | 'disconnect' | 'replaced' | 'removed' | 'connection-lost' = e.detail.reason;
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
export { size, ok, bad, state, badState, code, serverCode, badCode };
`,
    );
  });

  it('the types work from the server install: @rtc-elements/server and rtc-elements/server', async () => {
    await typecheck(
      serverApp,
      `import { createSignalingServer, MemoryRoomStore, type SignalingServerOptions, type RoomStore } from '@rtc-elements/server';
import * as documented from 'rtc-elements/server';

const options: SignalingServerOptions = { port: 0, relayOnly: false };
// @ts-expect-error port is a number
const badOptions: SignalingServerOptions = { port: '0' };
const start: (o: SignalingServerOptions) => Promise<unknown> = createSignalingServer;
const same: typeof documented.createSignalingServer = createSignalingServer;
const store: RoomStore = new MemoryRoomStore();
const documentedStore: documented.RoomStore = new documented.MemoryRoomStore();
export { options, badOptions, start, same, store, documentedStore };
`,
    );
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
      'active-speaker', 'host-mute', 'knock', 'lobby-resolved', 'peer-join', 'peer-leave', 'peer-state', 'peer-update',
      'role-change', 'room-error', 'room-joined', 'room-left', 'room-locked', 'room-message', 'room-state', 'room-waiting',
      'speaking-change', 'stream', 'stream-end', 'stream-mute', 'token-expired', 'token-expiring', 'topology-change',
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
      server = await startInstalledServer(serverApp);
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
        assert.equal(await served.text(), readFileSync(join(serverApp, 'node_modules/rtc-elements/dist', file), 'utf8'), `/dist/${file} is the installed file`);
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
