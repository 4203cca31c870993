/** `parley gateway` (src/cli/gateway-command.ts): flags, the banner, bridging, help, bad flags, SIGTERM. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, test } from 'node:test';
import { parseListen } from '../../src/cli/gateway-command.js';
import type { Socket } from '../../src/index.js';
import { startProcess } from '../support/processes.js';
import { WsClient } from '../support/raw-clients.js';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { deferred, waitFor, withTimeout } from '../support/waiting.js';

afterEach(cleanup);

function runCli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
}

describe('parley gateway CLI', () => {
  test('bridges a plain client to the upstream named by --upstream and --path, and stops on SIGTERM', async () => {
    const upstream = await startServer({ path: '/ws/chat/' }, PARLEY);
    const arrived = deferred<Socket>();
    upstream.io.on('connection', (socket) => arrived.resolve(socket));
    const { child, ready: lines } = await startProcess('src/cli/main.ts', {
      args: ['gateway', '--upstream', upstream.url, '--path', '/ws/chat/', '--listen', '127.0.0.1:0', '--auth-from-query', 'name'],
      ready: (line, all) => (line.includes('buffer:') ? [...all] : undefined),
    });
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)\/ws\/chat\/$/.exec(lines[0] ?? '')?.[1];
    assert.ok(url, `no URL in ${lines[0]}`);
    assert.ok(lines.some((l) => l.includes(`upstream:         ${upstream.url}/ws/chat/`)), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes(`new WebSocket("${url.replace('http', 'ws')}/ws/chat/")`)));

    const ws = new WsClient(`${url.replace('http', 'ws')}/ws/chat/?name=alice`);
    await ws.opened;
    ws.ws.send(JSON.stringify({ type: 'text', content: 'Hello' }));
    const socket = await withTimeout(arrived.promise, 'the upstream socket');
    assert.equal(socket.handshake.auth.name, 'alice');
    assert.deepEqual(await waitFor(socket, 'message'), { type: 'text', content: 'Hello' });

    const gone = waitFor(socket, 'disconnect');
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    await gone;
    await ws.closed;
  });

  test('--help lists the options and examples', () => {
    const help = runCli(['gateway', '--help']);
    assert.equal(help.status, 0);
    for (const flag of ['--upstream', '--path', '--listen', '--listen-path', '--auth-from-query', '--max-buffered'])
      assert.ok(help.stdout.includes(flag), flag);
    assert.match(help.stdout, /Examples:/);
    assert.match(help.stdout, /parley gateway --upstream http:\/\/127\.0\.0\.1:8000 --path \/ws\/chat\/ --listen 127\.0\.0\.1:8080/);
  });

  test('a missing --upstream or a bad --listen is an error with exit code 1', () => {
    const missing = runCli(['gateway']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /--upstream/);
    const bad = runCli(['gateway', '--upstream', 'http://127.0.0.1:1', '--listen', 'nowhere']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--listen must be host:port/);
  });

  test('--listen accepts host:port, [v6]:port and :port', () => {
    assert.deepEqual(parseListen('0.0.0.0:8080'), { host: '0.0.0.0', port: 8080 });
    assert.deepEqual(parseListen('[::1]:9000'), { host: '::1', port: 9000 });
    assert.deepEqual(parseListen(':0'), { host: '127.0.0.1', port: 0 });
    assert.throws(() => parseListen('127.0.0.1:70000'));
  });
});
