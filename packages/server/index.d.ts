// The server's code ships in rtc-elements (dist/server/, next to the demo and
// the bundles it serves); this package brings its dependencies.
export * from 'rtc-elements/server';
