/**
 * The typed report of `parley probe`: what was asked, what came back, and what it means. Every
 * finding is a discriminated union, so a program reading `--json` can switch on `kind`.
 */

/** Why a request got no HTTP answer. */
export type ProbeErrorCode =
  /** Nothing listens on the port (ECONNREFUSED). */
  | 'refused'
  /** The host name does not resolve. */
  | 'dns'
  /** No TCP connection within the check's timeout: a firewall, a wrong or non-routable address. */
  | 'connect-timeout'
  /** Connected, but no answer within the check's timeout. */
  | 'timeout'
  /** The peer closed or reset the connection before answering. */
  | 'reset'
  /** No route to the host or its network. */
  | 'no-route'
  /** The TLS handshake failed (certificate, protocol). */
  | 'tls'
  /** The URL or the options cannot be used. */
  | 'invalid-url'
  | 'other';

export interface ProbeError {
  readonly code: ProbeErrorCode;
  readonly message: string;
}

/** The checks, in the order they run. */
export type CheckId =
  | 'http'
  | 'websocket-plain'
  | 'eio4-polling'
  | 'eio4-polling-slash'
  | 'eio3-polling'
  | 'default-path'
  | 'eio-websocket'
  | 'socketio-connect'
  | 'upgrade'
  | 'origin-polling'
  | 'origin-websocket';

/**
 * `pass`: what the check looks for is there; `fail`: it is not (the answer says why); `info`:
 * an answer worth showing that proves nothing by itself; `skipped`: not asked (`answer` says why).
 */
export type CheckStatus = 'pass' | 'fail' | 'info' | 'skipped';

/** One request of the probe and its answer, short. */
export interface CheckResult {
  readonly id: CheckId;
  /** What was sent, e.g. `GET /ws/chat/?EIO=4&transport=polling`. */
  readonly request: string;
  readonly status: CheckStatus;
  /** What came back, e.g. `200 0{"sid":"…","upgrades":["websocket"],…}`. */
  readonly answer: string;
  readonly elapsedMs: number;
  /** Set when no HTTP answer came at all. */
  readonly error?: ProbeError;
}

/** The parts of an Engine.IO open packet the verdict and the snippets use. */
export interface EngineHandshake {
  /** 3 when the answer came in the Engine.IO v3 payload format (`<length>:<packet>`). */
  readonly version: 3 | 4;
  readonly sid: string;
  readonly upgrades: readonly string[];
  readonly pingInterval?: number;
  readonly pingTimeout?: number;
  readonly maxPayload?: number;
}

/** What a plain WebSocket (no `?EIO`) gets on the path. */
export type PlainWebSocketFinding =
  /** parley's plain-WebSocket support: 101 and a `{"event":"connect",…}` frame. */
  | { readonly kind: 'parley'; readonly connectFrame: string }
  /** 101 from something else: a plain WebSocket server (its first frame, when it sent one). */
  | { readonly kind: 'accepted'; readonly firstFrame?: string }
  /** An HTTP answer instead of 101. */
  | { readonly kind: 'refused'; readonly status: number; readonly body: string }
  /** No answer (timeout, reset). */
  | { readonly kind: 'failed'; readonly error: ProbeError };

/** The outcome of a Socket.IO CONNECT to the namespace. */
export type ConnectFinding =
  | { readonly kind: 'connected'; readonly namespace: string; readonly over: 'polling' | 'websocket' }
  /** A CONNECT_ERROR: the namespace's middleware refused (often: authentication required). */
  | {
      readonly kind: 'refused';
      readonly namespace: string;
      readonly message: string;
      readonly data?: unknown;
      readonly authSent: boolean;
    }
  /** The session ended or nothing came back in time. */
  | { readonly kind: 'no-answer'; readonly namespace: string; readonly detail: string }
  | { readonly kind: 'not-tried'; readonly reason: string };

/** Whether a page from `--origin` may connect. */
export interface OriginFinding {
  readonly origin: string;
  /** The polling handshake with `Origin`: refused (an HTTP error), accepted with or without CORS headers. */
  readonly polling: 'allowed' | 'no-cors-header' | 'refused' | 'not-tried';
  /** `Access-Control-Allow-Origin` of that answer. */
  readonly allowOrigin?: string;
  /** The Engine.IO WebSocket upgrade with `Origin`. */
  readonly websocket: 'accepted' | 'refused' | 'not-tried';
  /** The server's words when it refused. */
  readonly refusal?: string;
}

export type TransportName = 'polling' | 'websocket';

/** What the endpoint is. */
export type Verdict =
  | {
      readonly kind: 'socketio';
      readonly engineIO: 3 | 4;
      /** The Socket.IO path where the handshake was answered. */
      readonly path: string;
      /** The path that was given, when the handshake was answered elsewhere (slash, /socket.io/). */
      readonly givenPath?: string;
      readonly transports: readonly TransportName[];
      /** Whether a polling session could upgrade to WebSocket. */
      readonly upgrade: boolean;
      readonly plainWebSocket: PlainWebSocketFinding;
      readonly connect: ConnectFinding;
    }
  /** A plain WebSocket server: 101 without Engine.IO, no Engine.IO handshake. */
  | { readonly kind: 'websocket'; readonly path: string; readonly firstFrame?: string }
  /** An HTTP server that speaks neither protocol on the path. */
  | { readonly kind: 'http-only'; readonly path: string; readonly status: number }
  | { readonly kind: 'unreachable'; readonly error: ProbeError };

/** `--expect`: what the caller needs the endpoint to speak. */
export type Expectation = 'socketio' | 'websocket';

/** One ready-to-paste client. */
export interface ConnectSnippet {
  readonly language: 'javascript' | 'kotlin' | 'swift' | 'python';
  /** The library and the version line that speaks the server's protocol. */
  readonly library: string;
  readonly code: string;
}

/** Exit codes of `parley probe`: 0 as expected, 1 a mismatch, 2 unreachable. */
export type ProbeExitCode = 0 | 1 | 2;

export interface ProbeReport {
  /** The URL as given. */
  readonly url: string;
  /** `http(s)://host:port` the checks went to. */
  readonly origin: string;
  /** The path that was probed. */
  readonly path: string;
  readonly namespace: string;
  readonly verdict: Verdict;
  /** The verdict in plain words. */
  readonly summary: string;
  /** What a client can use: a Socket.IO client, a plain WebSocket. */
  readonly speaks: { readonly socketio: boolean; readonly websocket: boolean };
  readonly evidence: readonly CheckResult[];
  readonly originCheck?: OriginFinding;
  /** Connect code for the server's protocol version; empty unless it speaks Socket.IO. */
  readonly snippets: readonly ConnectSnippet[];
  /** The `parley gateway` command that lets a plain WebSocket client in (Socket.IO servers only). */
  readonly gateway?: string;
  readonly expect?: Expectation;
  readonly exitCode: ProbeExitCode;
  readonly elapsedMs: number;
}

export interface ProbeOptions {
  /** Namespace of the Socket.IO CONNECT (default '/'). */
  readonly namespace?: string;
  /** The CONNECT's auth payload. */
  readonly auth?: Readonly<Record<string, unknown>>;
  /** Origin header for the CORS / Origin checks; without it those checks are skipped. */
  readonly origin?: string;
  readonly expect?: Expectation;
  /** Timeout of each check, ms (default 3000). */
  readonly timeoutMs?: number;
}
