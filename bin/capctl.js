#!/usr/bin/env node
// The capctl executable: the compiled CLI in dist/ (built by `npm ci` through the prepare script).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('capctl: dist/ is missing; run `npm ci` (or `npm run build`) first\n');
  process.exit(1);
}
await import(main.href);
