// The few webrtc-adapter functions src/adapter.ts applies, taken from the adapter's ES sources.
// The build bundles this file into dist/webrtc-shims.js (scripts/build.mjs, rollup.config.mjs): the adapter's
// sources import each other without file extensions, which Node cannot resolve, so dist/ must never import them.
export { detectBrowser } from 'webrtc-adapter/src/js/utils.js';
export {
  removeExtmapAllowMixed,
  shimAddIceCandidateNullOrEmpty,
  shimConnectionState,
  shimParameterlessSetLocalDescription,
  shimSendThrowTypeError,
} from 'webrtc-adapter/src/js/common_shim.js';
