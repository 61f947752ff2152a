import { rollup } from 'rollup';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import terser from '@rollup/plugin-terser';
import virtual from './virtual.mjs';
import { gzipSync } from 'node:zlib';
const entries = {
  full: `import 'webrtc-adapter';`,
  common: `import {detectBrowser} from 'webrtc-adapter/src/js/utils.js';
import * as c from 'webrtc-adapter/src/js/common_shim.js';
const b = detectBrowser(window);
c.shimAddIceCandidateNullOrEmpty(window,b);c.shimParameterlessSetLocalDescription(window,b);c.shimConnectionState(window,b);c.shimMaxMessageSize(window,b);c.shimSendThrowTypeError(window,b);c.removeExtmapAllowMixed(window,b);`,
  commonCand: `import {detectBrowser} from 'webrtc-adapter/src/js/utils.js';
import * as c from 'webrtc-adapter/src/js/common_shim.js';
const b = detectBrowser(window);
c.shimAddIceCandidateNullOrEmpty(window,b);c.shimParameterlessSetLocalDescription(window,b);c.shimConnectionState(window,b);c.shimMaxMessageSize(window,b);c.shimSendThrowTypeError(window,b);c.removeExtmapAllowMixed(window,b);c.shimRTCIceCandidate(window,b);c.shimRTCIceCandidateRelayProtocol(window,b)`,
  commonNoSdp: `import {detectBrowser} from 'webrtc-adapter/src/js/utils.js';
import * as c from 'webrtc-adapter/src/js/common_shim.js';
const b = detectBrowser(window);
c.shimAddIceCandidateNullOrEmpty(window,b);c.shimParameterlessSetLocalDescription(window,b);c.shimConnectionState(window,b);c.shimSendThrowTypeError(window,b);c.removeExtmapAllowMixed(window,b);`,
  detect: `import {detectBrowser} from 'webrtc-adapter/src/js/utils.js'; window.x = detectBrowser(window)`,
  sio: `import {io} from 'socket.io-client'; window.x=io;`,
  lit: `import {LitElement,html,css} from 'lit'; window.x=[LitElement,html,css];`,
};
for (const [name, code] of Object.entries(entries)) {
  const b = await rollup({ input: 'entry', plugins: [virtual({ entry: code }), nodeResolve({ browser: true, exportConditions: ['browser','production','default'] }), commonjs()], logLevel: 'silent', treeshake: { moduleSideEffects: (id) => !/node_modules\/(sdp|webrtc-adapter)\//.test(id) } });
  const { output } = await b.generate({ format: 'es', plugins: [terser({ ecma: 2020, module: true, format: { comments: false } })] });
  const s = output[0].code;
  console.log(name.padEnd(12), s.length, gzipSync(s, { level: 9 }).length);
}
