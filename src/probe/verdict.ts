/**
 * From findings to words: the verdict in plain sentences (the seed's explanation, but about this
 * endpoint, from what it answered), what a client can use, and the exit code.
 */
import type {
  CheckResult,
  Expectation,
  OriginFinding,
  ProbeExitCode,
  ProbeReport,
  Verdict,
} from './types.js';

/** What a client can use on the endpoint. */
export function speaksOf(verdict: Verdict): ProbeReport['speaks'] {
  switch (verdict.kind) {
    case 'socketio':
      return {
        socketio: true,
        websocket: verdict.plainWebSocket.kind === 'parley' || verdict.plainWebSocket.kind === 'accepted',
      };
    case 'websocket':
      return { socketio: false, websocket: true };
    default:
      return { socketio: false, websocket: false };
  }
}

/**
 * 2 when there is no server to ask; otherwise 0 when the endpoint speaks what `--expect` names
 * (anything at all without it: Socket.IO or WebSocket), 1 when it does not.
 */
export function exitCodeOf(
  verdict: Verdict,
  speaks: ProbeReport['speaks'],
  expect: Expectation | undefined,
): ProbeExitCode {
  if (verdict.kind === 'unreachable') return 2;
  if (expect === 'socketio') return speaks.socketio ? 0 : 1;
  if (expect === 'websocket') return speaks.websocket ? 0 : 1;
  return speaks.socketio || speaks.websocket ? 0 : 1;
}

const UNREACHABLE_WORDS: Readonly<Record<string, string>> = {
  refused:
    'the connection was refused: nothing listens on that port (is the server running, on this port and interface?)',
  dns: 'the host name does not resolve',
  'connect-timeout':
    'no TCP connection could be made in time: the address is wrong, not routable from here, or a firewall drops the packets',
  timeout:
    'the TCP connection was made, but no HTTP answer came in time (not an HTTP server, or one that hangs)',
  'no-route': 'there is no route to that host or network',
  tls: 'the TLS handshake failed (certificate or protocol)',
  'invalid-url': 'the URL cannot be used',
};

function wsUrlOf(origin: string, path: string): string {
  return `${origin.replace(/^http/, 'ws')}${path}`;
}

/** The verdict in plain words, a few sentences a person can act on. */
export function describeVerdict(
  target: { origin: string; path: string },
  verdict: Verdict,
  evidence: readonly CheckResult[],
  origin: OriginFinding | undefined,
): string {
  const answerOf = (id: CheckResult['id']) => evidence.find((c) => c.id === id);
  const sentences: string[] = [];
  switch (verdict.kind) {
    case 'unreachable': {
      const where = target.origin ? target.origin.replace(/^https?:\/\//, '') : 'the endpoint';
      sentences.push(
        `Cannot reach ${where}: ${UNREACHABLE_WORDS[verdict.error.code] ?? verdict.error.message} (${verdict.error.message}).`,
      );
      break;
    }
    case 'http-only': {
      const plain = answerOf('websocket-plain');
      const eio = answerOf('eio4-polling');
      sentences.push(
        `${target.origin} answers HTTP, but speaks neither Socket.IO nor plain WebSocket at ${verdict.path}: ` +
          `the Engine.IO handshake was answered ${eio?.answer ?? 'nothing'}` +
          (plain ? `, and a WebSocket upgrade ${plain.answer}.` : '.'),
      );
      sentences.push(
        'Check the path: a Socket.IO server is usually at /socket.io/ (or the path its `path` option sets), a WebSocket server at the path its code listens on.',
      );
      break;
    }
    case 'websocket': {
      const eio = answerOf('eio4-polling');
      sentences.push(
        `This is a plain WebSocket server at path ${verdict.path}: the upgrade was answered 101 and it has no Engine.IO handshake (${eio?.answer ?? 'none'}).`,
      );
      sentences.push(
        `Connect with new WebSocket('${wsUrlOf(target.origin, verdict.path)}'); a Socket.IO client cannot connect to it.`,
      );
      break;
    }
    case 'socketio': {
      sentences.push(`This is a Socket.IO server (Engine.IO v${verdict.engineIO}) at path ${verdict.path}.`);
      if (verdict.givenPath !== undefined) {
        const slashOnly = verdict.givenPath.replace(/\/$/, '') === verdict.path.replace(/\/$/, '');
        sentences.push(
          slashOnly
            ? `It answers at ${verdict.path}, not at ${verdict.givenPath}: give clients the path exactly so.`
            : `Nothing answers the Socket.IO handshake at ${verdict.givenPath}; the server is at the default path ${verdict.path}.`,
        );
      }
      const plain = verdict.plainWebSocket;
      const wsUrl = wsUrlOf(target.origin, verdict.path);
      if (plain.kind === 'parley') {
        sentences.push(
          `It also accepts plain WebSocket clients (parley's plain-WebSocket support): new WebSocket('${wsUrlOf(target.origin, target.path)}') is answered 101 and a ${shortFrame(plain.connectFrame)} frame.`,
        );
      } else if (plain.kind === 'accepted') {
        sentences.push(
          `A plain WebSocket upgrade on ${target.path} is answered 101, yet the path also answers Engine.IO: a plain client there must speak Engine.IO packets.`,
        );
      } else {
        const answered =
          plain.kind === 'refused'
            ? `answered ${plain.status}${plain.body ? ` ${plain.body}` : ''}`
            : `not answered (${plain.error.message})`;
        sentences.push(
          `A plain WebSocket cannot connect because the server speaks the Socket.IO protocol: new WebSocket('${wsUrl}') sends an upgrade without ?EIO=${verdict.engineIO}&transport=websocket, which is ${answered}; ` +
            `and a WebSocket that does get in must speak Engine.IO and Socket.IO packets (0{…} open, 40 CONNECT, 42["event",…]), not raw JSON.`,
        );
        sentences.push(
          'Use a Socket.IO client (code below), or put `parley gateway` in front of the server for plain WebSocket clients.',
        );
      }
      if (verdict.engineIO === 3) {
        sentences.push(
          'It speaks Engine.IO v3 (a Socket.IO v2-era server): current clients (socket.io-client 3 and 4, Java client 2.x, python-socketio 5) cannot connect to it; ' +
            'use the v2-era client versions below, or upgrade the server (socket.io 4 with allowEIO3: true serves both).',
        );
      }
      if (verdict.engineIO === 4 && evidence.some((c) => c.id === 'eio3-polling' && c.status === 'pass')) {
        sentences.push(
          'It also accepts Engine.IO v3 clients (socket.io-client 2.x and its era), e.g. socket.io with allowEIO3: true.',
        );
      }
      if (!verdict.transports.includes('websocket')) {
        sentences.push(
          'It serves HTTP long-polling only, no WebSocket transport (e.g. Flask-SocketIO without eventlet or gevent): clients work, but over polling; do not force transports: ["websocket"].',
        );
      } else if (!verdict.transports.includes('polling')) {
        sentences.push(
          'It serves the WebSocket transport only (no polling): clients must use transports: ["websocket"].',
        );
      } else if (!verdict.upgrade) {
        sentences.push(
          'A polling session did not upgrade to WebSocket (a proxy may drop the Upgrade header); clients stay on polling.',
        );
      }
      const connect = verdict.connect;
      if (connect.kind === 'connected') {
        sentences.push(
          `A Socket.IO CONNECT to namespace ${connect.namespace} succeeded (over ${connect.over}).`,
        );
      } else if (connect.kind === 'refused') {
        const data = connect.data !== undefined ? ` (data ${JSON.stringify(connect.data)})` : '';
        const hint = /invalid namespace/i.test(connect.message)
          ? `the server has no namespace ${connect.namespace} (check --namespace and the client's URL)`
          : connect.authSent
            ? 'even with the given --auth: check its fields and values'
            : /auth|token|unauthori[sz]ed|forbidden|login/i.test(
                  `${connect.message} ${JSON.stringify(connect.data ?? '')}`,
                )
              ? `it wants an auth payload: send one with the client's \`auth\` option (and probe with --auth '{"token":"…"}')`
              : `its middleware refused the connection`;
        sentences.push(
          `The CONNECT to namespace ${connect.namespace} was refused with connect_error "${connect.message}"${data}: ${hint}.`,
        );
      } else if (connect.kind === 'no-answer') {
        sentences.push(`The CONNECT to namespace ${connect.namespace} got no answer: ${connect.detail}.`);
      }
      break;
    }
  }
  if (origin) sentences.push(describeOrigin(origin));
  return sentences.join(' ');
}

function shortFrame(frame: string): string {
  return frame.startsWith('{"event":"connect"') ? '{"event":"connect",…}' : frame;
}

function describeOrigin(origin: OriginFinding): string {
  const refused = origin.polling === 'refused' || origin.websocket === 'refused';
  if (refused) {
    return `A page from ${origin.origin} is refused${origin.refusal ? `: ${origin.refusal}` : ''}; the server must list that origin (Flask-SocketIO cors_allowed_origins, socket.io cors.origin, parley --cors-origin).`;
  }
  if (origin.polling === 'no-cors-header') {
    return `A page from ${origin.origin} gets the handshake, but without Access-Control-Allow-Origin: a browser on that origin can use the WebSocket transport only (transports: ["websocket"]), or the server must allow the origin for CORS.`;
  }
  return `A page from ${origin.origin} may connect (Access-Control-Allow-Origin: ${origin.allowOrigin ?? 'n/a'}; WebSocket ${origin.websocket}).`;
}
