/**
 * A real Flask-SocketIO server (Debian's python3-flask-socketio, python3-eventlet) running the
 * seed's chat from test/fixtures/flask_chat.py on 127.0.0.1 and a free port, Socket.IO path
 * /ws/chat/: `message` broadcast to the room with an ack, `join`. In eventlet mode it serves
 * polling and websocket; in threading mode (werkzeug, no WebSocket server) polling only.
 */
import { pythonHas } from './requirements.js';
import { type StartedProcess, startCommand } from './processes.js';

export type FlaskMode = 'eventlet' | 'threading';

export interface FlaskServer {
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** The Socket.IO path, '/ws/chat/'. */
  readonly path: string;
  /** Every line the server wrote to stderr (its log). */
  readonly log: string[];
  stop(): Promise<void>;
}

/** Whether the Debian packages the fixture needs are installed. */
export const flaskAvailable = pythonHas('flask_socketio', 'eventlet');

/** The apt-get line that installs them, for `requirePeer`. */
export const FLASK_INSTALL = 'apt-get install python3-flask-socketio python3-eventlet';

export interface FlaskOptions {
  mode?: FlaskMode;
  /** Refuse a connect without `auth.token` with a connect_error {message, data}. */
  requireAuth?: boolean;
}

/** Starts the fixture; resolves once it listens. */
export async function startFlask(options: FlaskOptions = {}): Promise<FlaskServer> {
  const args = ['test/fixtures/flask_chat.py', '--mode', options.mode ?? 'eventlet'];
  if (options.requireAuth) args.push('--require-auth');
  const log: string[] = [];
  const started: StartedProcess<number> = await startCommand(
    '/usr/bin/python3',
    args,
    {
      stderr: 'pipe',
      onStderr: (text) => log.push(text),
      env: { PYTHONUNBUFFERED: '1' },
      ready: (line) => {
        const match = /^LISTENING (\d+)$/.exec(line);
        return match ? Number(match[1]) : undefined;
      },
    },
    'flask_chat.py',
  );
  const port = started.ready;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    path: '/ws/chat/',
    log,
    async stop() {
      await started.stop('SIGKILL');
    },
  };
}
