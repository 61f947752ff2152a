// @custom-elements-manifest/analyzer configuration (run by `npm run build`).
export default {
  globs: ['src/**/*.ts'],
  exclude: ['src/server/**'],
  outdir: '.',
  litelement: true,
  plugins: [
    {
      // The @fires JSDoc tags name every event; the analyzer also lists each
      // `dispatchEvent(new SomeEvent(...))` call, which has no name: drop those.
      name: 'drop-unnamed-events',
      packageLinkPhase({ customElementsManifest }) {
        for (const mod of customElementsManifest.modules) {
          for (const decl of mod.declarations ?? []) {
            if (decl.events) decl.events = decl.events.filter((e) => e.name && e.name !== 'detail');
          }
        }
      },
    },
  ],
};
