/**
 * `parley gateway`: plain WebSocket clients (and Socket.IO clients) in front, an upstream Socket.IO
 * server behind, one upstream session per client (src/gateway).
 */
import { Command, InvalidArgumentError } from 'commander';
import {
  GATEWAY_DEFAULTS,
  type GatewayOptions,
  normalizePath,
  startGateway,
  type UpstreamTransport,
} from '../gateway/index.js';

/** `host:port`, `[v6]:port` or `:port` (all interfaces of 127.0.0.1 by default). */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError('--listen must be host:port, e.g. 127.0.0.1:8080 (port 0 picks a free one)');
  return { host: match[1] ?? (match[2] || GATEWAY_DEFAULTS.host), port };
}

function upstreamUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('--upstream must be a URL such as http://127.0.0.1:8000');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError('--upstream must be an http:// or https:// URL');
  return url.origin;
}

function path(value: string): string {
  if (!value.startsWith('/')) throw new InvalidArgumentError('a path must start with "/"');
  return normalizePath(value);
}

function names(value: string): string[] {
  return value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

function count(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return n;
  };
}

function transports(value: string): UpstreamTransport[] {
  const list = names(value);
  if (list.length === 0 || list.some((t) => t !== 'polling' && t !== 'websocket'))
    throw new InvalidArgumentError('--upstream-transports is a list of polling and websocket');
  return list as UpstreamTransport[];
}

/** The flags of `gateway`, as commander parses them. */
interface GatewayFlags {
  upstream: string;
  path?: string;
  listen?: { host: string; port: number };
  listenPath?: string;
  authFromQuery?: string[];
  forwardHeaders?: string[];
  forwardQuery: boolean;
  maxBuffered?: number;
  ackTimeout?: number;
  reconnectAttempts?: number;
  upstreamTransports?: UpstreamTransport[];
}

const EXAMPLES = `
Examples:
  # Plain WebSocket clients of ws://127.0.0.1:8080/ws/chat/ reach a Flask-SocketIO server:
  parley gateway --upstream http://127.0.0.1:8000 --path /ws/chat/ --listen 127.0.0.1:8080

  # ...and its connect handler reads auth.name and auth.token (from ?name=...&token=...):
  parley gateway --upstream http://chat.internal:8000 --path /ws/chat/ --auth-from-query name,token

  # Clients connect on /ws/ while the upstream serves the default /socket.io/:
  parley gateway --upstream http://127.0.0.1:3000 --listen 0.0.0.0:8080 --listen-path /ws/

A plain client then sends  ws.send(JSON.stringify({type:'text', content:'Hello'}))
and speaks the JSON protocol of docs/native-websocket.md; Socket.IO clients may use the same URL.
While the upstream reconnects, each client's messages wait (up to --max-buffered); past it the
client gets {"event":"error","data":{"code":"upstream_buffer_full",...}}. An upstream that cannot
be reached at connect gives an upstream_unreachable error frame, then close code 1011.`;

/** The `gateway` command. */
export function gatewayCommand(): Command {
  return new Command('gateway')
    .description('bridge plain WebSocket (and Socket.IO) clients to an upstream Socket.IO server, one upstream session per client')
    .requiredOption('--upstream <url>', 'the upstream Socket.IO server, http://host:port', upstreamUrl)
    .option('--path <path>', `the upstream Socket.IO path (default ${GATEWAY_DEFAULTS.path})`, path)
    .option(
      '--listen <host:port>',
      `where clients connect (default ${GATEWAY_DEFAULTS.host}:${GATEWAY_DEFAULTS.port})`,
      parseListen,
    )
    .option('--listen-path <path>', 'the path clients connect to (default: the same as --path)', path)
    .option('--auth-from-query <names>', 'query parameters copied into the upstream auth, comma-separated (e.g. name,token)', names)
    .option(
      '--forward-headers <names>',
      `request headers sent upstream, comma-separated (default ${GATEWAY_DEFAULTS.forwardHeaders.join(',')})`,
      names,
    )
    .option('--no-forward-query', 'do not send the client query parameters upstream')
    .option(
      '--max-buffered <n>',
      `messages per client held while the upstream reconnects (default ${GATEWAY_DEFAULTS.maxBufferedMessages})`,
      count('--max-buffered', 0),
    )
    .option('--ack-timeout <ms>', `how long an acknowledgement is awaited (default ${GATEWAY_DEFAULTS.ackTimeoutMs})`, count('--ack-timeout', 1))
    .option('--reconnect-attempts <n>', 'upstream reconnection attempts before a client is closed (default: no limit)', count('--reconnect-attempts', 1))
    .option(
      '--upstream-transports <list>',
      `upstream transports, comma-separated (default ${GATEWAY_DEFAULTS.upstreamTransports.join(',')})`,
      transports,
    )
    .addHelpText('after', EXAMPLES)
    .action(async (flags: GatewayFlags) => {
      const options: Partial<GatewayOptions> & Pick<GatewayOptions, 'upstream'> = {
        upstream: flags.upstream,
        path: flags.path,
        host: flags.listen?.host,
        port: flags.listen?.port,
        listenPath: flags.listenPath,
        authFromQuery: flags.authFromQuery,
        forwardHeaders: flags.forwardHeaders,
        forwardQuery: flags.forwardQuery,
        maxBufferedMessages: flags.maxBuffered,
        ackTimeoutMs: flags.ackTimeout,
        reconnectionAttempts: flags.reconnectAttempts,
        upstreamTransports: flags.upstreamTransports,
      };
      try {
        const gateway = await startGateway(options);
        const o = gateway.options;
        const ws = gateway.url.replace(/^http/, 'ws');
        console.log(
          [
            `parley gateway listening on ${gateway.url}${o.listenPath}`,
            `  upstream:         ${o.upstream}${o.path} (${o.upstreamTransports.join(', ')})`,
            `  plain WebSocket:  new WebSocket("${ws}${o.listenPath}")`,
            `  Socket.IO client: io("${gateway.url}", { path: "${o.listenPath}" })`,
            `  forwarded:        ${o.forwardQuery ? 'query, ' : ''}headers ${o.forwardHeaders.join(', ') || '(none)'}${o.authFromQuery.length ? `; auth from query: ${o.authFromQuery.join(', ')}` : ''}`,
            `  buffer:           ${o.maxBufferedMessages} messages per client while the upstream reconnects`,
          ].join('\n'),
        );
        const stop = () => {
          void gateway.close().then(() => process.exit(0));
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      } catch (err) {
        console.error(`parley gateway: cannot start: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      }
    });
}
