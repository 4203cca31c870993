/**
 * The chat loads the Redis client and pg only when it uses them: `npm start` (SQLite, one process)
 * and `parley probe` start without them. Run in a child process, whose module cache is its own.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

// Prints the packages under node_modules that the process loaded through require (redis, pg and
// @socket.io/redis-adapter are CommonJS), after a chat on SQLite has started and stopped.
const SCRIPT = `
import { createRequire } from 'node:module';
import { startChatServer } from './src/chat/index.ts';
const chat = await startChatServer({ port: 0, host: '127.0.0.1', db: ':memory:' });
await chat.close();
const loaded = Object.keys(createRequire(import.meta.url).cache)
  .map((path) => /node_modules\\/((@[^/]+\\/)?[^/]+)\\//.exec(path)?.[1])
  .filter((name) => name !== undefined);
console.log(JSON.stringify([...new Set(loaded)]));
`;

test('a chat on SQLite without --redis loads neither the Redis client and adapter nor pg', () => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  const loaded = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as string[];
  assert.ok(loaded.includes('better-sqlite3'), `the check sees CommonJS packages: ${loaded.join(' ')}`);
  for (const name of ['redis', '@redis/client', '@socket.io/redis-adapter', 'pg']) {
    assert.ok(!loaded.includes(name), `${name} loaded: ${loaded.join(' ')}`);
  }
});
