// Chromium flags for tests and benchmarks: fake devices, loopback ICE, and no
// traffic to Google's services. `--autoplay-policy=no-user-gesture-required`
// is deliberately absent: it would hide autoplay bugs.
export function chromeArgs(extra = []) {
  return [
    '--no-sandbox',
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    '--allow-loopback-in-peer-connection',
    '--auto-select-desktop-capture-source=Entire screen',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--no-first-run',
    '--disable-default-apps',
    '--disable-features=Translate,OptimizationHints,MediaRouter',
    '--disable-gpu',
    '--mute-audio',
    ...extra,
  ];
}
