/**
 * webrtc-adapter, applied once per page: the shims of its own that reach the
 * APIs the elements call (negotiation, ICE candidates, connection state, data
 * channels), chosen per browser exactly as the adapter's factory chooses them.
 *
 * Left out, on purpose: the per-browser shims for legacy APIs the elements
 * never use (callback-style methods, addStream/getLocalStreams, prefixed
 * getUserMedia, legacy constraints, DTMF, AudioContext, simulcast encodings)
 * and for browser versions far below what the elements need (custom
 * elements, parameterless setLocalDescription, restartIce); and shimMaxMessageSize,
 * a no-op wherever RTCPeerConnection.sctp is native (Chrome 103+, Firefox 113+,
 * Safari 15.4+) whose SDP parser would be a tenth of the bundle. A page that
 * uses those legacy APIs itself imports the whole `webrtc-adapter`; its
 * shims and these check before they wrap, so both can be loaded.
 *
 * In Node (server-side rendering imports the package to render pages) there
 * is no window: nothing is applied and no global is touched.
 */
import {
  detectBrowser,
  removeExtmapAllowMixed,
  shimAddIceCandidateNullOrEmpty,
  shimConnectionState,
  shimParameterlessSetLocalDescription,
  shimSendThrowTypeError,
} from './webrtc-shims.js';

const APPLIED = Symbol.for('rtc-elements.webrtc-adapter');

/** What was detected, or null outside a browser. Exposed for diagnostics and tests. */
export interface AdapterInfo {
  browser: string | null;
  version: number | null;
}

export function applyAdapter(win: (Window & typeof globalThis) | undefined = typeof window === 'undefined' ? undefined : window): AdapterInfo | null {
  // Node 21+ has a global `navigator` but no `window`: that is no browser either.
  if (win === undefined || typeof win.navigator === 'undefined') return null;
  const holder = win as unknown as Record<symbol, AdapterInfo | undefined>;
  const done = holder[APPLIED];
  if (done) return done;
  const details = detectBrowser(win);
  const info: AdapterInfo = { browser: details.browser, version: details.version };
  holder[APPLIED] = info;
  const { browser } = details;
  if (browser !== 'chrome' && browser !== 'firefox' && browser !== 'safari') return info;
  if (browser === 'chrome' && details.version === null) return info;
  shimAddIceCandidateNullOrEmpty(win, details);
  shimParameterlessSetLocalDescription(win, details);
  if (browser !== 'safari') shimConnectionState(win);
  shimSendThrowTypeError(win, details);
  if (browser !== 'firefox') removeExtmapAllowMixed(win, details);
  return info;
}

applyAdapter();
