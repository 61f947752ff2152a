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
    // LocalNetworkAccessChecks: pages a test builds with page.route are not in the loopback address space, and their
    // WebSockets to our loopback server would be blocked (they would quietly run over long-polling).
    '--disable-features=Translate,OptimizationHints,MediaRouter,LocalNetworkAccessChecks',
    '--disable-gpu',
    '--mute-audio',
    ...extra,
  ];
}
