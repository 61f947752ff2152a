// Types for src/webrtc-shims.js: the parts of webrtc-adapter's ES sources it re-exports (the package types only its default export).
export interface AdapterBrowserDetails {
  browser: string | null;
  version: number | null;
  _safariVersion?: number;
}

export function detectBrowser(window: Window): AdapterBrowserDetails;
export function removeExtmapAllowMixed(window: Window, details: AdapterBrowserDetails): void;
export function shimAddIceCandidateNullOrEmpty(window: Window, details: AdapterBrowserDetails): void;
export function shimConnectionState(window: Window): void;
export function shimParameterlessSetLocalDescription(window: Window, details: AdapterBrowserDetails): void;
export function shimSendThrowTypeError(window: Window, details: AdapterBrowserDetails): void;
