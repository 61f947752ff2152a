#!/usr/bin/env node
// The `rtc-elements` command: the signaling server and demo (see --help).
import '../dist/server/cli.js';
