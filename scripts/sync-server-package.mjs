// packages/server/package.json from the root package.json: the same version,
// rtc-elements at exactly that version, and the server's dependencies at the
// ranges rtc-elements names as its optional peers. Runs as the `version`
// script, so `npm version <bump>` bumps both packages in one commit;
// test/e2e/pack.test.ts fails when the two disagree.
import { readFileSync, writeFileSync } from 'node:fs';

const root = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const path = new URL('../packages/server/package.json', import.meta.url);
const server = JSON.parse(readFileSync(path, 'utf8'));
server.version = root.version;
server.dependencies = { 'rtc-elements': root.version, ...root.peerDependencies };
writeFileSync(path, `${JSON.stringify(server, null, 2)}\n`);
