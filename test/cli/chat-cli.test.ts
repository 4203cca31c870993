/** `npm start` (src/cli/main.ts): flags, environment, the startup banner, the page, clean shutdown. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { startProcess } from '../support/processes.js';
import { WsClient } from '../support/raw-clients.js';
import { withTimeout } from '../support/waiting.js';

/** Starts the CLI; resolves once its banner (up to the limits line) is printed, with its lines. */
function startCli(args: string[], env: Record<string, string> = {}) {
  return startProcess('src/cli/main.ts', {
    args,
    env,
    stderr: 'pipe',
    ready: (line, lines) => (line.includes('limits:') ? [...lines] : undefined),
  });
}

describe('parley chat CLI', () => {
  test('prints the URL and both ways to connect, serves the page, and stops on SIGTERM', async () => {
    const { child, ready: lines } = await startCli([
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--db',
      ':memory:',
      '--path',
      '/talk',
    ]);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(lines[0] ?? '')?.[1];
    assert.ok(url, `no URL in ${lines[0]}`);
    assert.ok(lines.some((l) => l.includes(`io("${url}", { path: "/talk/" })`)));
    assert.ok(lines.some((l) => l.includes(`new WebSocket("${url.replace('http', 'ws')}/talk/")`)));

    const page = await fetch(`${url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /\/talk\//, 'the page is told the Socket.IO path');
    const client = await fetch(`${url}/talk/socket.io.min.js`);
    assert.equal(client.status, 200);
    assert.match(await client.text(), /Socket\.IO/);
    assert.equal((await fetch(`${url}/../../etc/passwd`)).status, 404);
    assert.equal((await fetch(`${url}/talk/?EIO=4&transport=polling`)).status, 200);

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  });

  test('reads PORT and CHAT_PATH from the environment when no flag is given', async () => {
    const { child, ready: lines } = await startCli(['--host', '127.0.0.1', '--db', ':memory:'], {
      PORT: '0',
      CHAT_PATH: '/env-path/',
    });
    assert.ok(lines.some((l) => l.includes('path: "/env-path/"')), lines.join('\n'));
    child.kill('SIGTERM');
    await once(child, 'exit');
  });

  test('the limit flags and their environment variables reach the server', async () => {
    const { child, ready: lines } = await startCli(
      ['--port', '0', '--host', '127.0.0.1', '--db', ':memory:', '--budget', '3'],
      { CHAT_MAX_CONNECTIONS: '2' },
    );
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(lines[0] ?? '')?.[1] ?? '';
    assert.ok(
      lines.some((l) => /limits: +3 units per connection .* 2 connections per address$/.test(l)),
      lines.join('\n'),
    );
    const plain = new WsClient(`${url.replace('http', 'ws')}/ws/chat/`);
    await withTimeout(plain.opened, 'the plain client to open');
    plain.sendJson({ event: 'join', data: { room: 'a' }, id: 1 });
    plain.sendJson({ event: 'join', data: { room: 'b' }, id: 2 });
    const second = await plain.take((f) => typeof f === 'string' && f.includes('"ack":2'), 'the second ack');
    assert.match(second as string, /"code":"rate_limited"/, 'a budget of 3 pays for one join of 2');
    const handshake = `${url}/ws/chat/?EIO=4&transport=polling`;
    assert.equal((await fetch(handshake)).status, 200);
    const refused = await fetch(handshake);
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /at most 2 \(close one, or raise --max-connections\)/);
    await plain.close();
    child.kill('SIGTERM');
    await once(child, 'exit');
  });

  test('a bad flag value is refused with a clear message and a non-zero exit', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--port', 'eighty'], {
      encoding: 'utf8',
    });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /port must be an integer from 0 to 65535/);
  });

  test('an unusable db path is reported, not thrown', () => {
    // A folder that cannot exist: its parent is a regular file.
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', '--port', '0', '--db', 'package.json/chat.db'],
      { encoding: 'utf8' },
    );
    assert.equal(result.status, 1);
    assert.match(result.stderr, /cannot start the chat server/);
  });
});
