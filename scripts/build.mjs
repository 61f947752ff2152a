// npm run build: type-check and emit dist/ (unbundled ESM + .d.ts), then the
// single-file bundles dist/rtc-elements.js (ESM) and dist/rtc-elements.iife.js.
import { rmSync } from 'node:fs';
import { must } from './util.mjs';

rmSync('dist', { recursive: true, force: true });
await must('npx', ['tsc', '-p', 'tsconfig.json']);
await must('npx', ['rollup', '-c', 'rollup.config.mjs', '--silent']);
