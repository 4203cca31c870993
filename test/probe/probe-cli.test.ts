/** `parley probe` as a user runs it: text and --json output, --expect, and the exit codes 0, 1, 2. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import type { ProbeReport } from '../../src/probe/index.js';
import {
  chatEndpoint,
  closedPort,
  type Endpoint,
  notFoundEndpoint,
  plainWsEndpoint,
  socketIoEndpoint,
} from './endpoints.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI without blocking this process: the servers it probes live here. */
function parley(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('parley probe (CLI)', () => {
  let chat: Endpoint;
  let socketIo: Endpoint;
  let plain: Endpoint;
  let notFound: Endpoint;
  before(async () => {
    [chat, socketIo, plain, notFound] = await Promise.all([
      chatEndpoint(),
      socketIoEndpoint('/rt/'),
      plainWsEndpoint('/feed'),
      notFoundEndpoint(),
    ]);
  });
  after(async () => {
    for (const endpoint of [chat, socketIo, plain, notFound]) await endpoint.close();
  });

  test('prints the verdict, the evidence, connect code and the gateway command; exit 0', async () => {
    const run = await parley(['probe', `${socketIo.origin}/rt/`]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /This is a Socket\.IO server \(Engine\.IO v4\) at path \/rt\/\./);
    assert.match(run.stdout, /Evidence:\n {2}info {2}GET \/rt\//);
    assert.match(run.stdout, /ok {4}GET \/rt\/\?EIO=4&transport=polling/);
    for (const heading of [
      'JavaScript, socket.io-client 4.x',
      'Kotlin (Android)',
      'Swift (iOS, macOS)',
      'Python, python-socketio 5.x',
    ]) {
      assert.ok(run.stdout.includes(heading), heading);
    }
    assert.ok(
      run.stdout.includes(`parley gateway --upstream ${socketIo.origin} --path /rt/ --listen 127.0.0.1:8080`),
    );
  });

  test('--json prints the typed report', async () => {
    const run = await parley([
      'probe',
      `${chat.origin}/ws/chat/`,
      '--json',
      '--namespace',
      '/',
      '--auth',
      '{"name":"probe"}',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as ProbeReport;
    assert.equal(report.verdict.kind, 'socketio');
    assert.equal(report.verdict.kind === 'socketio' && report.verdict.plainWebSocket.kind, 'parley');
    assert.deepEqual(report.speaks, { socketio: true, websocket: true });
    assert.equal(report.exitCode, 0);
    assert.ok(report.evidence.length >= 8);
  });

  test('--expect: 0 when the endpoint speaks it, 1 when it does not', async () => {
    const results = await Promise.all([
      parley(['probe', `${socketIo.origin}/rt/`, '--expect', 'socketio']),
      parley(['probe', `${socketIo.origin}/rt/`, '--expect', 'websocket']),
      parley(['probe', `${chat.origin}/ws/chat/`, '--expect', 'websocket']),
      parley(['probe', `${plain.origin}/feed`, '--expect', 'websocket', '--timeout', '1000']),
      parley(['probe', `${plain.origin}/feed`, '--expect', 'socketio', '--timeout', '1000']),
    ]);
    assert.deepEqual(
      results.map((r) => r.code),
      [0, 1, 0, 0, 1],
    );
    assert.match(results[1]?.stdout ?? '', /Expected websocket: no \(exit 1\)\./);
  });

  test('an HTTP server that speaks neither exits 1; a closed port exits 2', async () => {
    const [neither, closed] = await Promise.all([
      parley(['probe', `${notFound.origin}/ws/chat/`, '--timeout', '1000']),
      closedPort().then((origin) => parley(['probe', `${origin}/ws/chat/`])),
    ]);
    assert.equal(neither.code, 1);
    assert.match(neither.stdout, /speaks neither Socket\.IO nor plain WebSocket/);
    assert.equal(closed.code, 2);
    assert.match(closed.stdout, /Cannot reach 127\.0\.0\.1:\d+: the connection was refused/);
  });

  test('bad option values are refused with a message; --help shows examples and exit codes', async () => {
    const [badAuth, badExpect, help] = await Promise.all([
      parley(['probe', 'http://127.0.0.1:1/', '--auth', '[1]']),
      parley(['probe', 'http://127.0.0.1:1/', '--expect', 'mqtt']),
      parley(['probe', '--help']),
    ]);
    assert.notEqual(badAuth.code, 0);
    assert.match(badAuth.stderr, /auth must be a JSON object/);
    assert.notEqual(badExpect.code, 0);
    assert.match(badExpect.stderr, /Allowed choices are socketio, websocket/);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: parley probe \[options\] <url>/);
    assert.match(help.stdout, /\$ parley probe http:\/\/10\.88\.216\.33:8000\/ws\/chat\//);
    assert.match(help.stdout, /Exit codes: 0/);
  });
});
