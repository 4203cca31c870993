/**
 * The client's two transports behind one interface: HTTP long-polling over `fetch`, and WebSocket
 * over an injectable constructor. They frame and unframe Engine.IO packets with the engine's
 * codec (v4, or v3 once the session says so) and know nothing of the session's states.
 */
import {
  decodePacketWs,
  decodePacketWsV3,
  decodePayload,
  decodePayloadV3,
  type EnginePacket,
  encodePacketWs,
  encodePacketWsV3,
  encodePayload,
  encodePayloadV3,
  isPayloadV3,
} from '../engine/codec.js';
import type { EngineOptions, TransportName, WebSocketLike } from './options.js';
import { defaultWebSocket } from './websocket-node.js';

/** Why a transport ended. */
export type TransportFailure =
  /** A request failed, a WebSocket errored, or the server answered with an HTTP error. */
  | 'transport error'
  /** The server closed the WebSocket or sent a close packet. */
  | 'transport close'
  /** The server sent something the codec could not decode. */
  | 'parse error';

/** What a transport tells its session. */
export interface TransportEvents {
  /** The WebSocket is open (polling has no such moment: its first answer is the handshake). */
  onOpen(): void;
  onPackets(packets: EnginePacket[]): void;
  /** The transport is dead; called once. */
  onFailure(reason: TransportFailure, description: string): void;
}

/** What transports share with their session: its id and protocol revision, once known. */
export interface SessionInfo {
  origin: string;
  sid: string | undefined;
  protocol: 3 | 4 | undefined;
}

/** One transport of an Engine.IO session. */
export interface ClientTransport {
  readonly name: TransportName;
  open(): void;
  send(packets: readonly EnginePacket[]): void;
  /** Polling: stop polling once the requests in flight are done, then call `onPaused`. */
  pause(onPaused: () => void): void;
  /** Ends the transport; `sendClose` first tells the server (polling) the session is over. */
  close(sendClose: boolean): void;
}

function queryString(info: SessionInfo, transport: TransportName, opts: EngineOptions): string {
  const params = new URLSearchParams(opts.query);
  params.set('EIO', String(info.protocol ?? 4));
  params.set('transport', transport);
  if (info.sid !== undefined) params.set('sid', info.sid);
  // An Engine.IO v3 server sends binary in polling payloads as base64 only when asked to; a v4
  // server ignores the parameter.
  if (info.protocol !== 4 && transport === 'polling') params.set('b64', '1');
  if (opts.timestampRequests && transport === 'polling') params.set('t', Date.now().toString(36));
  return params.toString();
}

/** HTTP long-polling: one GET in flight to receive, one POST at a time to send. */
export class PollingTransport implements ClientTransport {
  readonly name = 'polling';
  #closed = false;
  #polling = false;
  #writing = false;
  #paused = false;
  #onPaused: (() => void) | undefined;
  readonly #queue: EnginePacket[] = [];
  readonly #abort = new AbortController();

  constructor(
    private readonly info: SessionInfo,
    private readonly opts: EngineOptions,
    private readonly events: TransportEvents,
  ) {}

  #url(): string {
    return `${this.info.origin}${this.opts.path}?${queryString(this.info, 'polling', this.opts)}`;
  }

  open(): void {
    this.#poll();
  }

  #poll(): void {
    if (this.#closed || this.#paused) return;
    this.#polling = true;
    this.#request('GET', undefined).then((text) => {
      this.#polling = false;
      if (text === undefined || this.#closed) return;
      // Only the handshake's answer can tell the revisions apart: a v4 payload may also start
      // with digits and a colon (`4123:...`).
      if (this.info.protocol === undefined) this.info.protocol = isPayloadV3(text) ? 3 : 4;
      const decoded = this.info.protocol === 3 ? decodePayloadV3(text) : decodePayload(text);
      if (!decoded.ok) {
        this.#fail('parse error', `undecodable polling payload: ${decoded.error}`);
        return;
      }
      this.events.onPackets(decoded.value);
      if (this.#paused) this.#checkPaused();
      else this.#poll();
    });
  }

  send(packets: readonly EnginePacket[]): void {
    if (this.#closed) return;
    this.#queue.push(...packets);
    this.#flush();
  }

  #flush(): void {
    if (this.#writing || this.#queue.length === 0 || this.#closed) return;
    this.#post();
  }

  #post(): void {
    const packets = this.#queue.splice(0);
    const body = this.info.protocol === 3 ? encodePayloadV3(packets) : encodePayload(packets);
    this.#writing = true;
    this.#request('POST', body).then((text) => {
      this.#writing = false;
      if (text === undefined) return;
      // After close, only the final packets (ending with the close packet) are still to go.
      if (this.#queue.length > 0 && (!this.#closed || this.#queue.at(-1)?.type === 'close')) this.#post();
      else if (this.#paused) this.#checkPaused();
    });
  }

  pause(onPaused: () => void): void {
    this.#paused = true;
    this.#onPaused = onPaused;
    this.#checkPaused();
  }

  #checkPaused(): void {
    if (this.#polling || this.#writing || this.#queue.length > 0) return;
    const done = this.#onPaused;
    this.#onPaused = undefined;
    done?.();
  }

  close(sendClose: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    // Only the GET is cut short: a POST in flight finishes, and the close packet (with whatever is
    // still queued) follows it, so that the server hears the last packets and the close.
    this.#abort.abort();
    if (sendClose && this.info.sid !== undefined) {
      this.#queue.push({ type: 'close' });
      if (!this.#writing) this.#post();
    }
  }

  #headers(post: boolean): Record<string, string> {
    const headers: Record<string, string> = { ...this.opts.extraHeaders };
    if (post) headers['content-type'] = 'text/plain;charset=UTF-8';
    return headers;
  }

  /** Resolves with the body of a 200 answer, or undefined once the transport failed or closed. */
  async #request(method: 'GET' | 'POST', body: string | undefined): Promise<string | undefined> {
    let res: Response;
    try {
      res = await fetch(this.#url(), {
        method,
        headers: this.#headers(method === 'POST'),
        ...(method === 'GET' ? { signal: this.#abort.signal } : {}),
        ...(body === undefined ? {} : { body }),
      });
    } catch (err) {
      this.#fail('transport error', `${method} failed: ${(err as Error).message}`);
      return undefined;
    }
    if (this.#closed && method === 'GET') {
      await res.body?.cancel().catch(() => undefined);
      return undefined;
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      this.#fail('transport error', `${method} body failed: ${(err as Error).message}`);
      return undefined;
    }
    if (res.status !== 200) {
      this.#fail('transport error', `${method} answered ${res.status}: ${text.slice(0, 200)}`);
      return undefined;
    }
    return text;
  }

  #fail(reason: TransportFailure, description: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    this.events.onFailure(reason, description);
  }
}

function toBuffer(data: unknown): Buffer | undefined {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  // `ws` with binaryType 'fragments' would hand over an array; we never ask for it.
  return undefined;
}

/** WebSocket: one Engine.IO packet per frame. */
export class WebSocketTransport implements ClientTransport {
  readonly name = 'websocket';
  #ws: WebSocketLike | undefined;
  #closed = false;

  constructor(
    private readonly info: SessionInfo,
    private readonly opts: EngineOptions,
    private readonly events: TransportEvents,
  ) {}

  open(): void {
    const origin = this.info.origin.replace(/^http/, 'ws');
    const url = `${origin}${this.opts.path}?${queryString(this.info, 'websocket', this.opts)}`;
    const ctor = this.opts.WebSocket ? Promise.resolve(this.opts.WebSocket) : defaultWebSocket();
    ctor.then(
      (WebSocket) => {
        if (this.#closed) return;
        const headers = this.opts.extraHeaders;
        let ws: WebSocketLike;
        try {
          ws = Object.keys(headers).length > 0 ? new WebSocket(url, [], { headers }) : new WebSocket(url);
        } catch (err) {
          this.#fail('transport error', `WebSocket: ${(err as Error).message}`);
          return;
        }
        this.#ws = ws;
        ws.binaryType = 'arraybuffer';
        ws.onopen = () => {
          if (!this.#closed) this.events.onOpen();
        };
        ws.onmessage = (event) => this.#onFrame(event.data);
        ws.onerror = (event) => {
          const message = (event as { message?: unknown }).message;
          this.#fail(
            'transport error',
            `WebSocket error${typeof message === 'string' ? `: ${message}` : ''}`,
          );
        };
        ws.onclose = (event) => {
          this.#fail('transport close', `WebSocket closed (${event.code ?? 'no code'})`);
        };
      },
      (err: unknown) => this.#fail('transport error', `no WebSocket implementation: ${String(err)}`),
    );
  }

  #onFrame(data: unknown): void {
    if (this.#closed) return;
    const frame = typeof data === 'string' ? data : toBuffer(data);
    if (frame === undefined) {
      this.#fail('parse error', 'a WebSocket frame of an unknown kind');
      return;
    }
    const decoded = this.info.protocol === 3 ? decodePacketWsV3(frame) : decodePacketWs(frame);
    if (!decoded.ok) {
      this.#fail('parse error', `undecodable WebSocket frame: ${decoded.error}`);
      return;
    }
    this.events.onPackets([decoded.value]);
  }

  send(packets: readonly EnginePacket[]): void {
    const ws = this.#ws;
    if (this.#closed || ws === undefined) return;
    for (const packet of packets) {
      ws.send(this.info.protocol === 3 ? encodePacketWsV3(packet) : encodePacketWs(packet));
    }
  }

  pause(onPaused: () => void): void {
    onPaused();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ws?.close();
  }

  #fail(reason: TransportFailure, description: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ws?.close();
    this.events.onFailure(reason, description);
  }
}
