// npm run build (and npm pack, through prepack): type-check and emit dist/
// (unbundled ESM + .d.ts), then with rollup dist/webrtc-shims.js (the
// webrtc-adapter functions dist/adapter.js imports, self-contained so Node can
// import dist/) and the single-file bundles dist/rtc-elements.js (ESM) and
// dist/rtc-elements.iife.js, then custom-elements.json (the manifest editors
// and Storybook read).
// dist/ is overwritten in place, not wiped first: builds running side by side
// (tests, benchmarks) then never see it half-empty.
import { must } from './util.mjs';

await must('npx', ['tsc', '-p', 'tsconfig.json']);
await must('npx', ['rollup', '-c', 'rollup.config.mjs', '--silent']);
await must('npx', ['cem', 'analyze', '--quiet', '--config', 'custom-elements-manifest.config.mjs']);
