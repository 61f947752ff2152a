#!/usr/bin/env node
// The `rtc-elements` command: the signaling server and demo (see --help).
// Its dependencies come with the package @rtc-elements/server; without them
// the command says what to install (dist/server-entry.js) and exits 1.
try {
  await import('../dist/server-entry.js');
} catch (err) {
  if (err?.code !== 'RTC_SERVER_NOT_INSTALLED') throw err;
  console.error(err.message);
  process.exit(1);
}
await import('../dist/server/cli.js');
