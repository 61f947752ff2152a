// Types for the parts of webrtc-adapter's ES sources that src/adapter.ts
// imports (the package types only its default export).
interface AdapterBrowserDetails {
  browser: string | null;
  version: number | null;
  _safariVersion?: number;
}

declare module 'webrtc-adapter/src/js/utils.js' {
  export function detectBrowser(window: Window): AdapterBrowserDetails;
}

declare module 'webrtc-adapter/src/js/common_shim.js' {
  export function removeExtmapAllowMixed(window: Window, details: AdapterBrowserDetails): void;
  export function shimAddIceCandidateNullOrEmpty(window: Window, details: AdapterBrowserDetails): void;
  export function shimConnectionState(window: Window): void;
  export function shimParameterlessSetLocalDescription(window: Window, details: AdapterBrowserDetails): void;
  export function shimSendThrowTypeError(window: Window, details: AdapterBrowserDetails): void;
}
