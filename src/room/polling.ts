// engine.io's HTTP long-polling transport, for networks whose proxies drop WebSockets. signaling.ts imports this
// module on the first failure to connect; the CDN bundle keeps it in a chunk of its own (rollup.config.mjs).
export { XHR } from 'engine.io-client';
