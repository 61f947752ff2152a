// Bundles the tsc output (dist/index.js) with lit, socket.io-client and
// webrtc-adapter inside, for <script type="module"> and classic <script> use;
// and dist/rtc-multiconnection.js, the RTCMultiConnection compat classic script
// (dist/compat/global.js: no lit, its own copy of the room code).
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import commonjs from '@rollup/plugin-commonjs';

// webrtc-adapter depends on `sdp`, a CommonJS module.
const plugins = [nodeResolve({ browser: true, exportConditions: ['browser', 'production', 'default'] }), commonjs()];
// src/adapter.ts takes only some of webrtc-adapter's shims: its modules (and
// `sdp`) do nothing on import, so what no shim uses is left out.
const treeshake = { moduleSideEffects: (id) => !/[\\/]node_modules[\\/](webrtc-adapter|sdp)[\\/]/.test(id) };
const minify = terser({ ecma: 2020, module: true, format: { comments: false } });

export default [
  {
    input: 'dist/index.js',
    output: { file: 'dist/rtc-elements.js', format: 'es', sourcemap: true, plugins: [minify] },
    plugins,
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
    plugins,
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
