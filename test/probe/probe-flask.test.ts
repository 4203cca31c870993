/** `probe()` against the seed's server: a real Flask-SocketIO, in eventlet (WebSocket) and threading (polling only) mode. */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { formatReport, probe } from '../../src/probe/index.js';
import { FLASK_INSTALL, type FlaskServer, flaskAvailable, startFlask } from '../support/flask.js';
import { requirePeer } from '../support/requirements.js';

const running: FlaskServer[] = [];
afterEach(async () => {
  for (const server of running.splice(0)) await server.stop();
});

describe('probe: Flask-SocketIO (the seed)', () => {
  test("eventlet: Socket.IO at /ws/chat/ over polling and websocket; the seed's plain WebSocket is explained", async (t) => {
    if (!requirePeer(t, 'Flask-SocketIO', flaskAvailable, FLASK_INSTALL)) return;
    const flask = await startFlask({ mode: 'eventlet' });
    running.push(flask);
    const report = await probe(`${flask.url}/ws/chat/`);
    assert.equal(report.verdict.kind, 'socketio', report.summary);
    if (report.verdict.kind !== 'socketio') return;
    assert.equal(report.verdict.engineIO, 4);
    assert.equal(report.verdict.path, '/ws/chat/');
    assert.deepEqual(report.verdict.transports, ['polling', 'websocket']);
    assert.equal(report.verdict.upgrade, true);
    assert.equal(report.verdict.plainWebSocket.kind, 'refused');
    assert.equal(report.verdict.connect.kind, 'connected');
    assert.match(
      report.summary,
      /^This is a Socket\.IO server \(Engine\.IO v4\) at path \/ws\/chat\/\. A plain WebSocket cannot connect because the server speaks the Socket\.IO protocol/,
    );
    assert.equal(report.exitCode, 0);
    const text = formatReport(report);
    assert.match(
      text,
      new RegExp(`parley gateway --upstream ${flask.url} --path /ws/chat/ --listen 127\\.0\\.0\\.1:8080`),
    );
    assert.match(text, /socketio_path='\/ws\/chat\/'/);
  });

  test('threading: polling only, said so, and the client code does not force websocket', async (t) => {
    if (!requirePeer(t, 'Flask-SocketIO', flaskAvailable, FLASK_INSTALL)) return;
    const flask = await startFlask({ mode: 'threading' });
    running.push(flask);
    const report = await probe(`${flask.url}/ws/chat/`);
    assert.equal(report.verdict.kind, 'socketio', report.summary);
    if (report.verdict.kind !== 'socketio') return;
    assert.deepEqual(report.verdict.transports, ['polling']);
    assert.equal(report.verdict.upgrade, false);
    assert.equal(report.evidence.find((c) => c.id === 'upgrade')?.status, 'skipped');
    assert.equal(report.verdict.connect.kind, 'connected');
    assert.match(report.summary, /It serves HTTP long-polling only, no WebSocket transport/);
    assert.match(report.snippets[0]?.code ?? '', /transports: \['polling'\]/);
  });

  test('requireAuth: the connect_error payload is shown, and --auth gets through', async (t) => {
    if (!requirePeer(t, 'Flask-SocketIO', flaskAvailable, FLASK_INSTALL)) return;
    const flask = await startFlask({ mode: 'eventlet', requireAuth: true });
    running.push(flask);
    const refused = await probe(`${flask.url}/ws/chat/`);
    assert.equal(refused.verdict.kind === 'socketio' && refused.verdict.connect.kind, 'refused');
    if (refused.verdict.kind !== 'socketio' || refused.verdict.connect.kind !== 'refused') return;
    assert.equal(refused.verdict.connect.message, 'authentication required');
    assert.deepEqual(refused.verdict.connect.data, { hint: 'send auth.token' });
    assert.match(
      refused.summary,
      /connect_error "authentication required" \(data \{"hint":"send auth\.token"\}\): it wants an auth payload/,
    );
    const admitted = await probe(`${flask.url}/ws/chat/`, { auth: { token: 'x' } });
    assert.equal(admitted.verdict.kind === 'socketio' && admitted.verdict.connect.kind, 'connected');
  });
});
