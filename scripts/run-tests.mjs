#!/usr/bin/env node
// Runs the type-level checks, then every test/**/*.test.ts under node's test runner.
// Arguments narrow the run to files whose path contains one of them.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

// The slowest files (each spawns CLIs, a browser or npm) start first: two lanes run files in the
// order given, so a long file started last would leave one lane idle while it finishes.
const SLOW_FIRST = [
  'test/package/pack.test.ts',
  'test/e2e/chat-page.test.ts',
  'test/cli/workers.test.ts',
  'test/cli/program.test.ts',
  'test/probe/probe-cli.test.ts',
  'test/engine/owned-http.test.ts',
  'test/cli/cors-origin.test.ts',
  'test/cli/chat-cli.test.ts',
  'test/e2e/admin-ui.test.ts',
  'test/chat/cluster-kill.test.ts',
];
const rank = (file) => {
  const i = SLOW_FIRST.indexOf(file);
  return i === -1 ? SLOW_FIRST.length : i;
};

const filters = process.argv.slice(2);
const files = findTests('test')
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));

if (filters.length === 0) {
  const tsc = spawnSync('npx', ['tsc', '-p', 'tsconfig.check.json'], { stdio: 'inherit' });
  if (tsc.status !== 0) {
    console.error('typecheck failed');
    process.exit(tsc.status ?? 1);
  }
}

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', '--test-timeout=60000', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
