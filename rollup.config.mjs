// Bundles the tsc output (dist/index.js) with lit, socket.io-client and
// webrtc-adapter inside, for <script type="module"> and classic <script> use;
// and dist/rtc-multiconnection.js, the RTCMultiConnection compat classic script
// (dist/compat/global.js: no lit, its own copy of the room code).
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import commonjs from '@rollup/plugin-commonjs';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// webrtc-adapter depends on `sdp`, a CommonJS module.
const plugins = [nodeResolve({ browser: true, exportConditions: ['browser', 'production', 'default'] }), commonjs()];
// src/adapter.ts takes only some of webrtc-adapter's shims: its modules (and
// `sdp`) do nothing on import, so what no shim uses is left out.
const treeshake = { moduleSideEffects: (id) => !/[\\/]node_modules[\\/](webrtc-adapter|sdp)[\\/]/.test(id) };
// dist/adapter.js imports ./webrtc-shims.js, a build of src/webrtc-shims.js
// (the first entry below). The bundles take the adapter's sources directly
// instead, so the size bench's source map still attributes those bytes.
const SHIMS_SOURCE = fileURLToPath(new URL('./src/webrtc-shims.js', import.meta.url));
const shimsFromSource = {
  name: 'webrtc-shims-from-source',
  resolveId(source, importer) {
    if (source === './webrtc-shims.js' && importer && /[\\/]dist[\\/]adapter\.js$/.test(importer)) return SHIMS_SOURCE;
    return null;
  },
};
/**
 * The `private` members of our browser classes (src/, the server aside), which
 * the bundle renames short: TypeScript keeps every use of one inside its own
 * class, so no other module reaches it by name. Left as they are: a name
 * that is also public somewhere (in a declaration file, `private` lines
 * aside), one our sources also write in quotes (a lit `changed.has('x')`),
 * and, by terser's default, the DOM's own property names.
 */
function privateMembers() {
  const files = (dir, ext) =>
    readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && e.name.endsWith(ext))
      .map((e) => readFileSync(join(e.parentPath ?? e.path, e.name), 'utf8'));
  const sources = files('src', '.ts').join('\n');
  // (The server's own are among the names taken below.)
  const declared = new Set([...sources.matchAll(/\bprivate\s+(?:static\s+)?(?:readonly\s+)?(?:async\s+)?(?:get\s+|set\s+)?([A-Za-z_$][\w$]*)/g)].map((m) => m[1]));
  // Names something outside our classes may use: public declarations, the server's (message keys), the tests', the DOM's, and
  // the bundled packages' (their own members would be renamed with ours, and some meet objects from outside).
  const pkg = (name) => join('node_modules', name);
  const taken = [
    files('dist', '.d.ts').join('\n').replace(/^\s*private\s.*$/gm, ''),
    files('src/server', '.ts').join('\n'),
    // (The end-to-end tests run the bundle, and look into it in places.)
    files('test/e2e', '.ts').join('\n'),
    readFileSync(join(pkg('typescript'), 'lib/lib.dom.d.ts'), 'utf8'),
    ...['socket.io-client', 'engine.io-client', 'engine.io-parser', 'socket.io-parser', '@socket.io/component-emitter', 'lit-html', 'lit-element', '@lit/reactive-element', 'webrtc-adapter'].flatMap((name) =>
      files(pkg(name), '.js'),
    ),
  ].join('\n');
  const words = new Set(taken.match(/[A-Za-z_$][\w$]*/g));
  return [...declared].filter((name) => name.length > 3 && !words.has(name) && !new RegExp(`['"\`]${name}['"\`]`).test(sources));
}
const PRIVATE_MEMBERS = privateMembers();
const minify = terser({
  ecma: 2020,
  module: true,
  compress: { passes: 3 },
  // One cache for every chunk: a member has one short name in all of them.
  nameCache: {},
  mangle: { properties: { regex: new RegExp(`^(?:${PRIVATE_MEMBERS.join('|')})$`) } },
  format: { comments: false },
});

/**
 * Minifies the CSS in our own lit `css` templates (terser leaves template
 * text alone): comments out, whitespace collapsed, no spaces around
 * { } ; , > or after a colon. Templates with interpolations are left as they
 * are. Only spaces that CSS never needs go: `a :hover` (a space before a
 * colon) and `calc(1px - 2px)` keep theirs.
 */
export function minifyCssText(text) {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\s+/g, ' ')
    .replace(/ ?([{};,>]) ?/g, '$1')
    .replace(/: /g, ':')
    .replace(/;}/g, '}')
    .trim();
}
const cssTemplates = {
  name: 'minify-css-templates',
  transform(code, id) {
    if (!/[\\/]dist[\\/]/.test(id) || !/\bcss\s*`/.test(code)) return null;
    return { code: code.replace(/\bcss\s*`((?:[^`\\$]|\\[^$])*)`/g, (_, text) => `css\`${minifyCssText(text)}\``), map: null };
  },
};
/**
 * Drops the indentation after each line break in the text of our own lit
 * `html` and `svg` templates (terser leaves template text alone). The line
 * breaks stay, so the source map keeps its lines; HTML reads a line break as
 * any other whitespace, and no template holds a <pre> or a <textarea>.
 */
const htmlTemplates = {
  name: 'trim-html-templates',
  transform(code, id) {
    if (!/[\\/]dist[\\/]/.test(id) || !/\b(html|svg)\s*`/.test(code)) return null;
    const quasis = [];
    const walk = (node) => {
      if (node.type === 'TaggedTemplateExpression' && node.tag.type === 'Identifier' && (node.tag.name === 'html' || node.tag.name === 'svg')) {
        quasis.push(...node.quasi.quasis);
      }
      for (const value of Object.values(node)) {
        for (const child of Array.isArray(value) ? value : [value]) if (typeof child?.type === 'string') walk(child);
      }
    };
    walk(this.parse(code));
    // Last first, so that the earlier positions still hold (a nested template sits between two of its parent's texts).
    let out = code;
    for (const q of quasis.sort((a, b) => b.start - a.start)) {
      out = out.slice(0, q.start) + out.slice(q.start, q.end).replace(/\n[ \t]+/g, '\n') + out.slice(q.end);
    }
    return { code: out, map: null };
  },
};
// The bundles take engine.io-client's transports without WebTransport: the
// client asks for ['websocket', 'polling'] (src/room/signaling.ts) and our
// server offers no WebTransport upgrade, so it would never run.
const WEBTRANSPORT = '\0no-webtransport';
// Polling, likewise, stays out of engine.io's default tables: the client names its transports itself, the
// WebSocket first, and imports polling (dist/room/polling.js) on the first failure to connect
// (src/room/signaling.ts). That import is pointed at the transport's own file, which then lands in a chunk of its own.
const EIO = /engine\.io-client[\\/]build[\\/]esm[\\/](transports[\\/])?index\.js$/;
const NO_POLLING = '\0no-polling';
const POLLING = '\0polling';
const noWebTransport = {
  name: 'lazy-transports',
  async resolveId(source, importer) {
    if (!importer) return null;
    if (source === 'engine.io-client' && /[\\/]dist[\\/]room[\\/]polling\.js$/.test(importer)) return POLLING;
    if (!EIO.test(importer)) return null;
    if (source === './webtransport.js') return WEBTRANSPORT;
    if (/^\.\/(transports\/)?polling-xhr(\.node)?\.js$/.test(source)) return NO_POLLING;
    return null;
  },
  async load(id) {
    if (id === NO_POLLING) return 'export const XHR = undefined;';
    if (id === POLLING) {
      const eio = await this.resolve('engine.io-client', SHIMS_SOURCE);
      return `export { XHR } from ${JSON.stringify(eio.id.replace(/index\.js$/, 'transports/polling-xhr.js'))};`;
    }
    return id === WEBTRANSPORT ? 'export const WT = undefined;' : null;
  },
};

// Chunks of earlier builds (their names carry the content's hash) are removed once the new ones are written.
const dropStaleChunks = {
  name: 'drop-stale-chunks',
  writeBundle(options, bundle) {
    for (const file of readdirSync(options.dir)) {
      if (/^rtc-elements-.+\.js(\.map)?$/.test(file) && !bundle[file]) rmSync(join(options.dir, file), { force: true });
    }
  },
};

export default [
  {
    // Self-contained (no import of webrtc-adapter's sources, which Node cannot
    // resolve) and unminified: it is part of dist/, which Node and bundlers import.
    input: 'src/webrtc-shims.js',
    output: { file: 'dist/webrtc-shims.js', format: 'es' },
    plugins,
    treeshake,
  },
  {
    input: 'dist/index.js',
    // The entry holds everything but the lazy chunk (no facade module in between).
    preserveEntrySignatures: 'allow-extension',
    // The call UI (src/room/room-ui.ts, imported on first need) is a chunk next to the bundle: pages without
    // `controls` / `layout` / `prejoin` never fetch it. Its name carries a hash, so CDNs can cache it for good.
    output: { dir: 'dist', entryFileNames: 'rtc-elements.js', chunkFileNames: 'rtc-elements-[name]-[hash].js', format: 'es', sourcemap: true, plugins: [minify] },
    plugins: [shimsFromSource, cssTemplates, htmlTemplates, noWebTransport, ...plugins, dropStaleChunks],
    treeshake,
  },
  {
    input: 'dist/index.js',
    output: {
      file: 'dist/rtc-elements.iife.js',
      format: 'iife',
      // A classic script cannot load a chunk: everything is inside.
      inlineDynamicImports: true,
      name: 'RtcElements',
      sourcemap: true,
      plugins: [terser({ ecma: 2020, compress: { passes: 2 }, format: { comments: false } })],
    },
    plugins: [shimsFromSource, cssTemplates, htmlTemplates, noWebTransport, ...plugins],
    treeshake,
  },
  {
    input: 'dist/compat/global.js',
    output: {
      file: 'dist/rtc-multiconnection.js',
      format: 'iife',
      inlineDynamicImports: true,
      sourcemap: true,
      plugins: [terser({ ecma: 2020, format: { comments: false } })],
    },
    plugins,
    treeshake,
  },
];
