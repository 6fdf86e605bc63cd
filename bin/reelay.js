#!/usr/bin/env node
// `reelay`, the command-line client: runs the compiled CLI (dist/ is built by `npm install`, see README "CLI").
import '../dist/src/cli/main.js';
