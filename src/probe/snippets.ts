/**
 * Ready-to-paste connect code for the four clients the seed's developers use, written for what the
 * probe found: the server's origin, Socket.IO path, namespace, protocol version (v2-era servers need
 * the v2-era client lines), transports, and the auth payload. Plus the `parley gateway` command that
 * would let a plain WebSocket client in.
 */
import type { ConnectSnippet, Verdict } from './types.js';
import { authQuery } from './wire.js';

type Auth = Readonly<Record<string, unknown>> | undefined;

/** A JSON value as a Python literal (True/False/None; strings via JSON, which Python reads too). */
function python(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (Array.isArray(value)) return `[${value.map(python).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${python(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

/** A JSON value as a Swift literal (`[:]` for an empty dictionary, `NSNull()` for null). */
function swift(value: unknown): string {
  if (value === null || value === undefined) return 'NSNull()';
  if (Array.isArray(value)) return `[${value.map(swift).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value);
    return entries.length === 0
      ? '[:]'
      : `[${entries.map(([k, v]) => `${JSON.stringify(k)}: ${swift(v)}`).join(', ')}]`;
  }
  return JSON.stringify(value);
}

/** The Java client's auth is a `Map<String, String>`: non-string values travel as their JSON. */
function kotlinMap(auth: Readonly<Record<string, unknown>>): string {
  const pairs = Object.entries(auth).map(
    ([k, v]) => `${JSON.stringify(k)} to ${JSON.stringify(typeof v === 'string' ? v : JSON.stringify(v))}`,
  );
  return `mapOf(${pairs.join(', ')})`;
}

/** v2-era servers read credentials from the query string: the auth object's fields become parameters. */
function queryOf(auth: Readonly<Record<string, unknown>>): string {
  return new URLSearchParams(authQuery(auth)).toString();
}

interface Setup {
  readonly origin: string;
  readonly path: string;
  readonly namespace: string;
  readonly v3: boolean;
  readonly only?: 'polling' | 'websocket';
  readonly auth: Auth;
}

function javascript(s: Setup): ConnectSnippet {
  const url = s.namespace === '/' ? s.origin : `${s.origin}${s.namespace}`;
  const opts = [`path: '${s.path}'`];
  if (s.only) opts.push(`transports: ['${s.only}']`);
  if (s.auth)
    opts.push(
      s.v3
        ? `query: ${JSON.stringify(Object.fromEntries(new URLSearchParams(queryOf(s.auth))))}`
        : `auth: ${JSON.stringify(s.auth)}`,
    );
  const code = [
    s.v3
      ? '// npm install socket.io-client@2   (2.x speaks Engine.IO v3)'
      : '// npm install socket.io-client@4',
    s.v3 ? "import io from 'socket.io-client';" : "import { io } from 'socket.io-client';",
    '',
    `const socket = io('${url}', { ${opts.join(', ')} });`,
    "socket.on('connect', () => console.log('connected', socket.id));",
    s.v3
      ? "socket.on('error', (err) => console.error('refused:', err));"
      : "socket.on('connect_error', (err) => console.error('connect_error:', err.message, err.data));",
    "socket.on('message', (data) => console.log('message', data));",
    "socket.emit('message', { type: 'text', content: 'Hello' });",
  ].join('\n');
  return { language: 'javascript', library: s.v3 ? 'socket.io-client 2.x' : 'socket.io-client 4.x', code };
}

function kotlin(s: Setup): ConnectSnippet {
  const url = s.namespace === '/' ? s.origin : `${s.origin}${s.namespace}`;
  const transport = s.only === 'polling' ? 'Polling.NAME' : 'WebSocket.NAME';
  const lines = [
    s.v3
      ? '// build.gradle.kts: implementation("io.socket:socket.io-client:1.0.2")   (1.x speaks Engine.IO v3)'
      : '// build.gradle.kts: implementation("io.socket:socket.io-client:2.1.1")',
    '// An http:// URL on Android also needs android:usesCleartextTraffic="true" (or a network security config).',
    'import io.socket.client.IO',
    'import io.socket.client.Socket',
  ];
  if (s.only)
    lines.push(
      `import io.socket.engineio.client.transports.${s.only === 'polling' ? 'Polling' : 'WebSocket'}`,
    );
  if (!s.v3) lines.push('import java.net.URI');
  lines.push('');
  if (s.v3) {
    lines.push('val options = IO.Options().apply {', `    path = "${s.path}"`);
    if (s.only) lines.push(`    transports = arrayOf(${transport})`);
    if (s.auth) lines.push(`    query = "${queryOf(s.auth)}"`);
    lines.push('}', `val socket: Socket = IO.socket("${url}", options)`);
  } else {
    lines.push('val options = IO.Options.builder()', `    .setPath("${s.path}")`);
    if (s.only) lines.push(`    .setTransports(arrayOf(${transport}))`);
    if (s.auth) lines.push(`    .setAuth(${kotlinMap(s.auth)})`);
    lines.push('    .build()', `val socket: Socket = IO.socket(URI.create("${url}"), options)`);
  }
  lines.push(
    'socket.on(Socket.EVENT_CONNECT) { println("connected " + socket.id()) }',
    s.v3
      ? 'socket.on(Socket.EVENT_ERROR) { args -> println("refused: " + args.firstOrNull()) }'
      : 'socket.on(Socket.EVENT_CONNECT_ERROR) { args -> println("connect_error: " + args.firstOrNull()) }',
    'socket.on("message") { args -> println("message " + args.firstOrNull()) }',
    'socket.connect()',
  );
  return {
    language: 'kotlin',
    library: s.v3 ? 'io.socket:socket.io-client 1.x' : 'io.socket:socket.io-client 2.x',
    code: lines.join('\n'),
  };
}

function swiftSnippet(s: Setup): ConnectSnippet {
  const config = [`.path("${s.path}")`];
  if (s.v3) config.push('.version(.two)');
  if (s.only === 'polling') config.push('.forcePolling(true)');
  if (s.only === 'websocket') config.push('.forceWebsockets(true)');
  if (s.v3 && s.auth) config.push(`.connectParams(${swift(s.auth)})`);
  const socket =
    s.namespace === '/' ? 'manager.defaultSocket' : `manager.socket(forNamespace: "${s.namespace}")`;
  const code = [
    '// Package.swift: .package(url: "https://github.com/socketio/socket.io-client-swift", from: "16.1.1")',
    ...(s.v3 ? ['// .version(.two): the server speaks Engine.IO v3 (Socket.IO 2.x)'] : []),
    'import SocketIO',
    '',
    `let manager = SocketManager(socketURL: URL(string: "${s.origin}")!, config: [${config.join(', ')}])`,
    `let socket = ${socket}`,
    'socket.on(clientEvent: .connect) { _, _ in print("connected") }',
    'socket.on(clientEvent: .error) { data, _ in print("error:", data) }',
    'socket.on("message") { data, _ in print("message", data) }',
    !s.v3 && s.auth ? `socket.connect(withPayload: ${swift(s.auth)})` : 'socket.connect()',
  ].join('\n');
  return {
    language: 'swift',
    library: s.v3 ? 'Socket.IO-Client-Swift 16 with .version(.two)' : 'Socket.IO-Client-Swift 16',
    code,
  };
}

function pythonSnippet(s: Setup): ConnectSnippet {
  const args = [
    `'${s.v3 && s.auth ? `${s.origin}?${queryOf(s.auth)}` : s.origin}'`,
    `socketio_path='${s.path}'`,
    `namespaces=['${s.namespace}']`,
  ];
  if (s.only) args.push(`transports=['${s.only}']`);
  if (!s.v3 && s.auth) args.push(`auth=${python(s.auth)}`);
  const code = [
    s.v3
      ? '# pip install "python-socketio[client]>=4,<5"   (4.x speaks Engine.IO v3)'
      : '# pip install "python-socketio[client]>=5"',
    'import socketio',
    '',
    'sio = socketio.Client()',
    '',
    `@sio.event${s.namespace === '/' ? '' : `(namespace='${s.namespace}')`}`,
    'def connect():',
    "    print('connected', sio.sid)",
    '',
    `@sio.event${s.namespace === '/' ? '' : `(namespace='${s.namespace}')`}`,
    'def connect_error(data):',
    "    print('connect_error:', data)",
    '',
    `sio.connect(${args.join(', ')})`,
    `sio.emit('message', {'type': 'text', 'content': 'Hello'}${s.namespace === '/' ? '' : `, namespace='${s.namespace}'`})`,
    'sio.wait()',
  ].join('\n');
  return { language: 'python', library: s.v3 ? 'python-socketio 4.x' : 'python-socketio 5.x', code };
}

/** Connect code for the four clients; none unless the endpoint speaks Socket.IO. */
export function snippetsFor(
  origin: string,
  verdict: Verdict,
  namespace: string,
  auth: Auth,
): ConnectSnippet[] {
  if (verdict.kind !== 'socketio') return [];
  const only = verdict.transports.length === 1 ? verdict.transports[0] : undefined;
  const setup: Setup = {
    origin,
    path: verdict.path,
    namespace,
    v3: verdict.engineIO === 3,
    ...(only ? { only } : {}),
    auth,
  };
  return [javascript(setup), kotlin(setup), swiftSnippet(setup), pythonSnippet(setup)];
}

/** Where the gateway's command listens in the printed suggestion. */
export const GATEWAY_LISTEN = '127.0.0.1:8080';

/**
 * The `parley gateway` command that would let a plain WebSocket client talk to a Socket.IO server
 * that does not accept one itself; undefined when there is nothing to bridge (or no Socket.IO).
 */
export function gatewayCommand(origin: string, verdict: Verdict): string | undefined {
  if (verdict.kind !== 'socketio' || verdict.plainWebSocket.kind === 'parley') return undefined;
  return `parley gateway --upstream ${origin} --path ${verdict.path} --listen ${GATEWAY_LISTEN}`;
}
