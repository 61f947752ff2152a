#!/usr/bin/env node
// `npx @rtc-elements/server` / `rtc-elements-server`: the same command as `rtc-elements` (see --help).
import 'rtc-elements/cli';
