/**
 * The connect code the probe prints is ready to paste: the JavaScript and Python snippets, run as
 * they are printed (only the endless tail cut), connect to the servers they were made for.
 */
import { afterEach, describe, test } from 'node:test';
import { probe } from '../../src/probe/index.js';
import { FLASK_INSTALL, type FlaskServer, flaskAvailable, startFlask } from '../support/flask.js';
import { type StartedProcess, startCommand } from '../support/processes.js';
import { pythonHas, requirePeer } from '../support/requirements.js';
import { chatEndpoint, type Endpoint, socketIoEndpoint } from './endpoints.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs a snippet until it prints its `connected` line; the start guard fails the test otherwise. */
async function runUntilConnected(command: string, args: string[]): Promise<void> {
  const started: StartedProcess<true> = await startCommand(command, args, {
    stderr: 'pipe',
    ready: (line) => (line.startsWith('connected') ? true : undefined),
  });
  await started.stop('SIGKILL');
}

async function snippetOf(url: string, language: 'javascript' | 'python', auth?: Record<string, unknown>) {
  const report = await probe(url, auth ? { auth } : {});
  const snippet = report.snippets.find((s) => s.language === language);
  if (!snippet) throw new Error(`no ${language} snippet: ${report.summary}`);
  return snippet.code;
}

describe('probe snippets run as printed', () => {
  test('JavaScript (socket.io-client 4) connects to socket.io on a custom path with the auth it needs', async () => {
    const server: Endpoint = await socketIoEndpoint('/rt/', { requireToken: true });
    cleanups.push(() => server.close());
    const code = await snippetOf(`${server.origin}/rt/`, 'javascript', { token: 'x' });
    // Resolved from the working directory: the project's own socket.io-client.
    await runUntilConnected(process.execPath, ['--input-type=module', '-e', code]);
  });

  test("JavaScript connects to parley's chat", async () => {
    const chat = await chatEndpoint();
    cleanups.push(() => chat.close());
    await runUntilConnected(process.execPath, [
      '--input-type=module',
      '-e',
      await snippetOf(`${chat.origin}/ws/chat/`, 'javascript'),
    ]);
  });

  test('Python (python-socketio 5) connects to Flask-SocketIO in threading mode (polling only)', async (t) => {
    if (!requirePeer(t, 'Flask-SocketIO', flaskAvailable, FLASK_INSTALL)) return;
    const clientAvailable = pythonHas('socketio', 'requests');
    if (
      !requirePeer(
        t,
        'python3-socketio',
        clientAvailable,
        'apt-get install python3-socketio python3-requests',
      )
    )
      return;
    const flask: FlaskServer = await startFlask({ mode: 'threading', requireAuth: true });
    cleanups.push(() => flask.stop());
    const code = await snippetOf(`${flask.url}/ws/chat/`, 'python', { token: 'x' });
    await runUntilConnected('/usr/bin/python3', ['-u', '-c', code]);
  });
});
