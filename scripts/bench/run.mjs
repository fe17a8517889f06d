#!/usr/bin/env node
// npm run bench [-- name...] [-- --quick]: runs each benchmark script in this folder in its own
// Node process (so one bench's heap and fds cannot skew the next) and prints their tables.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flags = args.filter((arg) => arg.startsWith('--'));
const wanted = args.filter((arg) => !arg.startsWith('--'));
const helpers = new Set(['run.mjs', 'lib.mjs']);
const available = readdirSync(here)
  .filter((name) => name.endsWith('.mjs') && !helpers.has(name))
  .map((name) => name.replace(/\.mjs$/, ''));
const selected = wanted.length === 0 ? available : wanted;
const unknown = selected.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`unknown bench: ${unknown.join(', ')} (available: ${available.join(', ')})`);
  process.exit(2);
}

let failed = false;
for (const name of selected) {
  console.log(`\n## ${name}\n`);
  const result = spawnSync(process.execPath, [path.join(here, `${name}.mjs`), ...flags], { stdio: 'inherit' });
  failed ||= result.status !== 0;
}
process.exit(failed ? 1 : 0);
