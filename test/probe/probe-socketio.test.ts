/** `probe()` against Socket.IO servers: parley's chat, the official socket.io 4 on a custom path, socket.io 2. */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { formatReport, type ProbeReport, probe } from '../../src/probe/index.js';
import { chatEndpoint, type Endpoint, socketIoEndpoint, socketIoV2Endpoint } from './endpoints.js';

const open: Endpoint[] = [];
afterEach(async () => {
  for (const endpoint of open.splice(0)) await endpoint.close();
});
async function started(endpoint: Promise<Endpoint>): Promise<Endpoint> {
  const e = await endpoint;
  open.push(e);
  return e;
}

function check(report: ProbeReport, id: string) {
  const found = report.evidence.find((c) => c.id === id);
  assert.ok(found, `no ${id} check in ${JSON.stringify(report.evidence)}`);
  return found;
}

function socketio(report: ProbeReport) {
  assert.equal(report.verdict.kind, 'socketio', report.summary);
  if (report.verdict.kind !== 'socketio') throw new Error('unreachable');
  return report.verdict;
}

describe('probe: parley chat server', () => {
  test('recognises Socket.IO (Engine.IO v4) at /ws/chat/ and its own plain-WebSocket support', async () => {
    const chat = await started(chatEndpoint());
    const report = await probe(`${chat.origin}/ws/chat/`);
    const verdict = socketio(report);
    assert.equal(verdict.engineIO, 4);
    assert.equal(verdict.path, '/ws/chat/');
    assert.deepEqual(verdict.transports, ['polling', 'websocket']);
    assert.equal(verdict.upgrade, true);
    assert.equal(verdict.plainWebSocket.kind, 'parley');
    assert.deepEqual(verdict.connect, { kind: 'connected', namespace: '/', over: 'polling' });
    assert.deepEqual(report.speaks, { socketio: true, websocket: true });
    assert.equal(report.exitCode, 0);
    assert.equal(report.gateway, undefined, 'no gateway is needed where plain clients are accepted');
    assert.equal(check(report, 'eio3-polling').status, 'fail', 'parley speaks Engine.IO v4 only');
    assert.equal(check(report, 'default-path').status, 'fail');
    assert.match(report.summary, /^This is a Socket\.IO server \(Engine\.IO v4\) at path \/ws\/chat\/\./);
    assert.match(report.summary, /also accepts plain WebSocket clients \(parley's plain-WebSocket support\)/);
    const text = formatReport(report);
    assert.match(text, /path: '\/ws\/chat\/'/);
    assert.match(text, /setPath\("\/ws\/chat\/"\)/);
  });

  test("an origin the chat does not list is reported refused, with the server's own advice", async () => {
    const chat = await started(chatEndpoint());
    const report = await probe(`${chat.origin}/ws/chat/`, { origin: 'https://evil.example' });
    assert.equal(report.originCheck?.polling, 'refused');
    assert.equal(report.originCheck?.websocket, 'refused');
    assert.match(report.originCheck?.refusal ?? '', /^403 .*--cors-origin https:\/\/evil\.example/);
    assert.match(report.summary, /A page from https:\/\/evil\.example is refused/);
    assert.equal(report.exitCode, 0, 'the endpoint still speaks Socket.IO');
  });

  test('a namespace the server does not have is a refused CONNECT, named as such', async () => {
    const chat = await started(chatEndpoint());
    const report = await probe(`${chat.origin}/ws/chat/`, { namespace: '/nope' });
    const verdict = socketio(report);
    assert.equal(verdict.connect.kind, 'refused');
    assert.match(report.summary, /connect_error "Invalid namespace": the server has no namespace \/nope/);
  });
});

describe('probe: official socket.io 4 on a custom path', () => {
  test('a plain WebSocket is refused: the verdict says why, with client code and the gateway command', async () => {
    const server = await started(socketIoEndpoint('/rt/'));
    const report = await probe(`${server.origin}/rt/`);
    const verdict = socketio(report);
    assert.equal(verdict.path, '/rt/');
    assert.equal(verdict.plainWebSocket.kind, 'refused');
    assert.equal(verdict.plainWebSocket.kind === 'refused' && verdict.plainWebSocket.status, 400);
    assert.deepEqual(report.speaks, { socketio: true, websocket: false });
    assert.match(
      report.summary,
      /A plain WebSocket cannot connect because the server speaks the Socket\.IO protocol/,
    );
    assert.match(report.summary, /answered 400 Transport unknown/);
    assert.equal(
      report.gateway,
      `parley gateway --upstream ${server.origin} --path /rt/ --listen 127.0.0.1:8080`,
    );
    assert.deepEqual(
      report.snippets.map((s) => s.language),
      ['javascript', 'kotlin', 'swift', 'python'],
    );
    for (const snippet of report.snippets)
      assert.match(snippet.code, /\/rt\//, `${snippet.language} has the path`);
    assert.equal(
      check(report, 'eio4-polling-slash').status,
      'fail',
      'socket.io does not match /rt without its slash',
    );
  });

  test('the path given without its trailing slash is found with it, and the verdict says so', async () => {
    const server = await started(socketIoEndpoint('/rt/'));
    const report = await probe(`${server.origin}/rt`, { timeoutMs: 1000 });
    const verdict = socketio(report);
    assert.equal(verdict.path, '/rt/');
    assert.equal(verdict.givenPath, '/rt');
    assert.match(report.summary, /It answers at \/rt\/, not at \/rt/);
  });

  test('a server at the default path is found when another path is given', async () => {
    const server = await started(socketIoEndpoint('/socket.io/'));
    const report = await probe(`${server.origin}/ws/chat/`, { timeoutMs: 1000 });
    const verdict = socketio(report);
    assert.equal(verdict.path, '/socket.io/');
    assert.equal(check(report, 'default-path').status, 'pass');
    assert.match(
      report.summary,
      /Nothing answers the Socket\.IO handshake at \/ws\/chat\/; the server is at the default path \/socket\.io\//,
    );
  });

  test('a connect_error payload is reported, and --auth gets through', async () => {
    const server = await started(socketIoEndpoint('/rt/', { requireToken: true }));
    const refused = socketio(await probe(`${server.origin}/rt/`));
    assert.deepEqual(refused.connect, {
      kind: 'refused',
      namespace: '/',
      message: 'not authorized',
      data: { need: 'token' },
      authSent: false,
    });
    const report = await probe(`${server.origin}/rt/`, { auth: { token: 'x' } });
    assert.equal(socketio(report).connect.kind, 'connected');
    assert.match(report.snippets[0]?.code ?? '', /auth: \{"token":"x"\}/);
    assert.match(report.snippets[3]?.code ?? '', /auth=\{"token": "x"\}/);
  });

  test('CORS: an allowed origin gets Access-Control-Allow-Origin', async () => {
    const server = await started(socketIoEndpoint('/rt/', { cors: 'https://app.example' }));
    const report = await probe(`${server.origin}/rt/`, { origin: 'https://app.example' });
    assert.equal(report.originCheck?.polling, 'allowed');
    assert.equal(report.originCheck?.allowOrigin, 'https://app.example');
    assert.equal(report.originCheck?.websocket, 'accepted');
    assert.match(report.summary, /A page from https:\/\/app\.example may connect/);
  });
  test('allowEIO3: still Engine.IO v4 for current clients, and the v3 acceptance is said', async () => {
    const server = await started(socketIoEndpoint('/rt/', { allowEIO3: true }));
    const report = await probe(`${server.origin}/rt/`);
    assert.equal(socketio(report).engineIO, 4);
    assert.equal(check(report, 'eio3-polling').status, 'pass');
    assert.match(report.summary, /It also accepts Engine\.IO v3 clients/);
    assert.equal(report.snippets[0]?.library, 'socket.io-client 4.x');
  });
  test('a WebSocket-only server: CONNECT over the WebSocket transport, and clients told to use it', async () => {
    const server = await started(socketIoEndpoint('/rt/', { websocketOnly: true, requireToken: true }));
    const report = await probe(`${server.origin}/rt/`, { auth: { token: 'x' } });
    const verdict = socketio(report);
    assert.deepEqual(verdict.transports, ['websocket']);
    assert.deepEqual(verdict.connect, { kind: 'connected', namespace: '/', over: 'websocket' });
    assert.equal(check(report, 'upgrade').status, 'skipped');
    assert.match(report.summary, /It serves the WebSocket transport only \(no polling\)/);
    assert.match(report.snippets[0]?.code ?? '', /transports: \['websocket'\]/);
    assert.match(report.snippets[2]?.code ?? '', /\.forceWebsockets\(true\)/);
  });
});

describe('probe: socket.io 2 (Engine.IO v3)', () => {
  test('is recognised as Engine.IO v3, with the v2-era client versions', async () => {
    const server = await started(socketIoV2Endpoint());
    const report = await probe(`${server.origin}/socket.io/`);
    const verdict = socketio(report);
    assert.equal(verdict.engineIO, 3);
    assert.deepEqual(verdict.transports, ['polling', 'websocket']);
    assert.equal(verdict.upgrade, true);
    assert.equal(verdict.connect.kind, 'connected');
    assert.equal(check(report, 'eio3-polling').status, 'pass');
    assert.match(report.summary, /Socket\.IO server \(Engine\.IO v3\)/);
    assert.match(report.summary, /current clients \(socket\.io-client 3 and 4/);
    const libraries = report.snippets.map((s) => s.library);
    assert.deepEqual(libraries, [
      'socket.io-client 2.x',
      'io.socket:socket.io-client 1.x',
      'Socket.IO-Client-Swift 16 with .version(.two)',
      'python-socketio 4.x',
    ]);
    assert.match(report.snippets[2]?.code ?? '', /\.version\(\.two\)/);
  });

  test('a refusal by a v2 middleware is read from its bare-string connect_error', async () => {
    const server = await started(socketIoV2Endpoint({ requireToken: true }));
    const verdict = socketio(await probe(`${server.origin}/socket.io/`));
    assert.equal(verdict.connect.kind, 'refused');
    assert.equal(verdict.connect.kind === 'refused' && verdict.connect.message, 'not authorized');
    const admitted = await probe(`${server.origin}/socket.io/`, { auth: { token: 'x' } });
    assert.equal(socketio(admitted).connect.kind, 'connected', 'a v2 server reads the auth from the query');
    assert.match(admitted.snippets[0]?.code ?? '', /query: \{"token":"x"\}/);
  });
});
