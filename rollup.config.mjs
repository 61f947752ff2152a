// Bundles the tsc output (dist/index.js) with lit, socket.io-client and
// webrtc-adapter inside, for <script type="module"> and classic <script> use;
// and dist/rtc-multiconnection.js, the RTCMultiConnection compat classic script
// (dist/compat/global.js: no lit, its own copy of the room code).
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import commonjs from '@rollup/plugin-commonjs';
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
const minify = terser({ ecma: 2020, module: true, compress: { passes: 2 }, format: { comments: false } });

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
// The bundles take engine.io-client's transports without WebTransport: the
// client asks for ['websocket', 'polling'] (src/room/signaling.ts) and our
// server offers no WebTransport upgrade, so it would never run.
const WEBTRANSPORT = '\0no-webtransport';
const noWebTransport = {
  name: 'no-webtransport',
  resolveId(source, importer) {
    if (source === './webtransport.js' && importer && /engine\.io-client[\\/]build[\\/]esm[\\/]transports[\\/]index\.js$/.test(importer)) return WEBTRANSPORT;
    return null;
  },
  load(id) {
    return id === WEBTRANSPORT ? 'export const WT = undefined;' : null;
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
    output: { file: 'dist/rtc-elements.js', format: 'es', sourcemap: true, plugins: [minify] },
    plugins: [shimsFromSource, cssTemplates, noWebTransport, ...plugins],
    treeshake,
  },
  {
    input: 'dist/index.js',
    output: {
      file: 'dist/rtc-elements.iife.js',
      format: 'iife',
      name: 'RtcElements',
      sourcemap: true,
      plugins: [terser({ ecma: 2020, compress: { passes: 2 }, format: { comments: false } })],
    },
    plugins: [shimsFromSource, cssTemplates, noWebTransport, ...plugins],
    treeshake,
  },
  {
    input: 'dist/compat/global.js',
    output: {
      file: 'dist/rtc-multiconnection.js',
      format: 'iife',
      sourcemap: true,
      plugins: [terser({ ecma: 2020, format: { comments: false } })],
    },
    plugins,
    treeshake,
  },
];
