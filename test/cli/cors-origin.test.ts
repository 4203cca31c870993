/** `--cors-origin` / `CHAT_CORS_ORIGIN` of the chat CLI: the banner says who may connect, bad origins stop the start. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { startProcess } from '../support/processes.js';

const BASE_ARGS = ['--port', '0', '--host', '127.0.0.1', '--db', ':memory:'];

/** Starts the CLI; resolves once the banner's origins line is printed. */
async function startCli(args: string[], env: Record<string, string> = {}) {
  const started = await startProcess('src/cli/main.ts', {
    args: [...BASE_ARGS, ...args],
    env,
    stderr: 'pipe',
    ready: (line, lines) => (line.includes('origins:') ? [...lines] : undefined),
  });
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(started.ready[0] ?? '')?.[1];
  assert.ok(url, `no URL in ${started.ready.join('\n')}`);
  return { ...started, url, origins: started.ready.at(-1)!.replace(/^\s*origins:\s*/, '') };
}

function runCli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...BASE_ARGS, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

async function handshake(url: string, origin: string): Promise<{ status: number; body: unknown }> {
  const answer = await fetch(`${url}/ws/chat/?EIO=4&transport=polling`, { headers: { Origin: origin } });
  const text = await answer.text();
  return { status: answer.status, body: answer.status === 200 ? text : JSON.parse(text) };
}

describe('chat CLI origins', () => {
  test('by default the banner says same-origin only, and a foreign page is refused with the flag to set', async () => {
    const cli = await startCli([], { CHAT_CORS_ORIGIN: '' });
    try {
      assert.match(cli.origins, /^same-origin only \(add --cors-origin <origin> or CHAT_CORS_ORIGIN/);
      const refused = await handshake(cli.url, 'https://app.example');
      assert.equal(refused.status, 403);
      assert.deepEqual(refused.body, {
        code: 4,
        message:
          'origin https://app.example is not allowed: start the server with --cors-origin https://app.example (or CHAT_CORS_ORIGIN)',
      });
      assert.equal((await handshake(cli.url, cli.url)).status, 200);
    } finally {
      await cli.stop();
    }
  });

  test('--cors-origin is repeatable and wins over CHAT_CORS_ORIGIN; the banner lists the origins', async () => {
    const cli = await startCli(
      ['--cors-origin', 'https://App.example/', '--cors-origin', 'http://localhost:3000'],
      {
        CHAT_CORS_ORIGIN: 'https://env.example',
      },
    );
    try {
      assert.equal(cli.origins, 'same-origin and https://app.example, http://localhost:3000');
      assert.equal((await handshake(cli.url, 'https://app.example')).status, 200);
      assert.equal((await handshake(cli.url, 'http://localhost:3000')).status, 200);
      assert.equal((await handshake(cli.url, 'https://env.example')).status, 403);
    } finally {
      await cli.stop();
    }
  });

  test('CHAT_CORS_ORIGIN is comma-separated; * opens to any origin', async () => {
    const listed = await startCli([], { CHAT_CORS_ORIGIN: 'https://a.example, https://b.example' });
    try {
      assert.equal(listed.origins, 'same-origin and https://a.example, https://b.example');
      assert.equal((await handshake(listed.url, 'https://b.example')).status, 200);
    } finally {
      await listed.stop();
    }
    const any = await startCli(['--cors-origin', '*']);
    try {
      assert.equal(any.origins, 'any (*)');
      assert.equal((await handshake(any.url, 'https://whoever.example')).status, 200);
    } finally {
      await any.stop();
    }
  });

  test('a bad --cors-origin or CHAT_CORS_ORIGIN is a startup error saying what is wrong', () => {
    const flag = runCli(['--cors-origin', 'app.example']);
    assert.notEqual(flag.status, 0);
    assert.match(flag.stderr, /cors origin "app\.example" is not an origin: give scheme:\/\/host\[:port\]/);
    const wildcard = runCli(['--cors-origin', 'https://*.example.com']);
    assert.notEqual(wildcard.status, 0);
    assert.match(wildcard.stderr, /wildcard/);
    const env = runCli([], { CHAT_CORS_ORIGIN: 'https://ok.example,null' });
    assert.equal(env.status, 1);
    assert.match(env.stderr, /cannot start the chat server: CHAT_CORS_ORIGIN: the origin "null"/);
  });
});
