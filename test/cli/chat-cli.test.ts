/** `npm start` (src/cli/main.ts): flags, environment, the startup banner, the page, clean shutdown. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';

function startCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const banner = new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner; got ${lines.join('\n')}`)), 20_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      if (line.includes('plain WebSocket:')) {
        clearTimeout(timer);
        resolve(lines);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
  });
  return { child, banner };
}

describe('parley chat CLI', () => {
  test('prints the URL and both ways to connect, serves the page, and stops on SIGTERM', async () => {
    const { child, banner } = startCli(['--port', '0', '--host', '127.0.0.1', '--db', ':memory:', '--path', '/talk']);
    const lines = await banner;
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(lines[0] ?? '')?.[1];
    assert.ok(url, `no URL in ${lines[0]}`);
    assert.ok(lines.some((l) => l.includes(`io("${url}", { path: "/talk/" })`)));
    assert.ok(lines.some((l) => l.includes(`new WebSocket("${url.replace('http', 'ws')}/talk/")`)));

    const page = await fetch(`${url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /\/talk\//, 'the page is told the Socket.IO path');
    const client = await fetch(`${url}/vendor/socket.io.min.js`);
    assert.equal(client.status, 200);
    assert.match(await client.text(), /Socket\.IO/);
    assert.equal((await fetch(`${url}/../../etc/passwd`)).status, 404);
    assert.equal((await fetch(`${url}/talk/?EIO=4&transport=polling`)).status, 200);

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  });

  test('reads PORT and CHAT_PATH from the environment when no flag is given', async () => {
    const { child, banner } = startCli(['--host', '127.0.0.1', '--db', ':memory:'], { PORT: '0', CHAT_PATH: '/env-path/' });
    const lines = await banner;
    assert.ok(lines.some((l) => l.includes('path: "/env-path/"')), lines.join('\n'));
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
