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
const minify = terser({ ecma: 2020, module: true, format: { comments: false } });

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
    plugins: [shimsFromSource, ...plugins],
    treeshake,
  },
  {
    input: 'dist/index.js',
    output: {
      file: 'dist/rtc-elements.iife.js',
      format: 'iife',
      name: 'RtcElements',
      sourcemap: true,
      plugins: [terser({ ecma: 2020, format: { comments: false } })],
    },
    plugins: [shimsFromSource, ...plugins],
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
