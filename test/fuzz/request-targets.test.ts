/**
 * Seeded fuzzing of request targets: odd and hostile targets (`//`, `//[`, bad percent-encoding,
 * absolute-form, `*`, NUL, a 20 KB query, repeated engine parameters...) as GET, POST and WebSocket
 * upgrade, against parley servers on '/' and '/ws/chat/', with plain WebSocket clients accepted or
 * not, through the engine's own HTTP path and through node:http. The servers run in a child process:
 * a request that throws out of a handler kills it, and the test sees the exit. Every connection
 * must be answered or closed within a few seconds, and afterwards a normal Engine.IO handshake and a
 * plain WebSocket client still work.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { io as ioClient } from 'socket.io-client';
import WebSocket from 'ws';
import { type StartedProcess, startProcess } from '../support/processes.js';
import { seededRandom } from '../support/random.js';

interface Target {
  path: string;
  plainWebSocket: boolean;
  ownHttp: boolean;
  port: number;
}

const ANSWER_GUARD_MS = 5000;

/** Pieces a target is built from. */
const PIECES = [
  '/',
  '//',
  '//[',
  '[',
  ']',
  '%',
  '%zz',
  '%00',
  '%ff',
  '%2F',
  '?',
  '?%',
  '&',
  '=',
  '#',
  '+',
  ';',
  '@',
  ':',
  'EIO=4',
  'EIO=3',
  'EIO=',
  'EIO=4&EIO=3',
  'transport=polling',
  'transport=websocket',
  'transport=%',
  'sid=',
  'sid=x',
  'sid=%zz',
  'sid=a&sid=b',
  'nsp=/',
  'nsp=%zz',
  'nsp=//[',
  'nsp=/a&nsp=/b',
  'name=%',
  'name=%E0%A4%A',
  '__proto__=1',
  'constructor=x',
  'ws',
  'chat',
  'socket.io',
  '..',
  '.',
  '~',
  '\u00e9',
];

/** Whole targets tried as they are on every server. */
const FIXED = [
  '//',
  '//[',
  '/%',
  '/%zz',
  '/?%',
  '*',
  'http://127.0.0.1/ws/chat/?EIO=4&transport=polling',
  'http://[/',
  '/ws/chat/?EIO=4&transport=polling&EIO=4&transport=websocket',
  '/ws/chat/?EIO=4&transport=websocket&sid=a&sid=b',
  '/ws/chat/?nsp=%zz&name=%',
  '/?nsp=//[&EIO=4',
  '/\u0000',
  '/ws/chat/\u0000?EIO=4',
  `/ws/chat/?EIO=4&transport=polling&x=${'a'.repeat(20_000)}`,
  `/?${'nsp=%zz&'.repeat(2000)}`,
  '/ws/chat',
  '/ws/chat/?',
  '/ws/chat//?EIO=4&transport=polling',
];

type Method = 'GET' | 'POST' | 'UPGRADE';

function requestBytes(method: Method, target: string, port: number): Buffer {
  const head =
    method === 'UPGRADE'
      ? `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
      : method === 'POST'
        ? `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\n4abc`
        : `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;
  // latin1: a NUL or any other character goes out as the one byte it is.
  return Buffer.from(head, 'latin1');
}

/** Sends one request on a fresh connection; resolves with the status line, or 'closed'. */
function send(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`neither answered nor closed within ${ANSWER_GUARD_MS} ms`));
    }, ANSWER_GUARD_MS);
    const done = (outcome: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      const line = data.indexOf('\r\n');
      if (line !== -1) done(data.slice(0, line));
    });
    socket.on('close', () => done('closed'));
    socket.on('error', () => done('closed'));
    socket.write(bytes);
  });
}

function randomTarget(next: () => number, base: string): string {
  let target = next() < 0.7 ? base : '/';
  const n = 1 + Math.floor(next() * 6);
  for (let i = 0; i < n; i++) {
    target += PIECES[Math.floor(next() * PIECES.length)];
    if (next() < 0.3) target += next() < 0.5 ? '&' : '?';
  }
  return target;
}

describe('request targets: no target kills or stalls the server', () => {
  let fuzzServers: StartedProcess<Target[]>;
  let servers: Target[] = [];
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let stderr = '';

  before(async () => {
    fuzzServers = await startProcess('test/fuzz/target-servers.ts', {
      stderr: 'pipe',
      onStderr: (text) => {
        stderr += text;
      },
      // Its one line: the ports, as JSON.
      ready: (line) => (line.startsWith('{') ? (JSON.parse(line) as { servers: Target[] }).servers : undefined),
    });
    servers = fuzzServers.ready;
    fuzzServers.child.once('exit', (code, signal) => {
      exited = { code, signal };
    });
  });

  after(async () => {
    await fuzzServers.stop('SIGKILL');
  });

  test('every target, as GET, POST and upgrade, is answered or closed, and the process lives', async () => {
    const random = seededRandom(0x7a5e7);
    for (const server of servers) {
      const targets = [...FIXED];
      for (let i = 0; i < 150; i++) targets.push(randomTarget(random, server.path));
      const jobs: (() => Promise<void>)[] = [];
      for (const target of targets) {
        for (const method of ['GET', 'POST', 'UPGRADE'] as const) {
          jobs.push(async () => {
            await send(server.port, requestBytes(method, target, server.port)).catch((err: Error) => {
              throw new Error(
                `${method} ${JSON.stringify(target.slice(0, 80))} on ${JSON.stringify(server)}: ${err.message}`,
              );
            });
          });
        }
      }
      // A few connections at a time: a stall shows as a timeout, not as a pile-up.
      for (let i = 0; i < jobs.length; i += 16) await Promise.all(jobs.slice(i, i + 16).map((job) => job()));
      assert.equal(exited, undefined, `the server process died: ${stderr}`);
    }
    assert.doesNotMatch(stderr, /TypeError|RangeError|Uncaught|ERR_/, 'nothing was thrown out of a handler');
  });

  test('afterwards a normal handshake and a plain WebSocket client still work on every server', async () => {
    assert.equal(exited, undefined, `the server process died: ${stderr}`);
    for (const server of servers) {
      const client = ioClient(`http://127.0.0.1:${server.port}`, {
        path: server.path,
        forceNew: true,
        reconnection: false,
      });
      try {
        await new Promise<void>((resolve, reject) => {
          client.once('connect', () => resolve());
          client.once('connect_error', reject);
        });
        assert.deepEqual(await client.timeout(2000).emitWithAck('echo', 'still here'), 'still here');
      } finally {
        client.disconnect();
      }
      if (!server.plainWebSocket) continue;
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}${server.path}?name=after`);
      try {
        const frame = await new Promise<unknown>((resolve, reject) => {
          ws.once('message', (data) => resolve(JSON.parse(data.toString())));
          ws.once('error', reject);
        });
        assert.equal((frame as { event: string }).event, 'connect');
      } finally {
        ws.terminate();
      }
    }
  });
});
