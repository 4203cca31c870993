/**
 * A minimal websocket client on a raw node:net socket, with its own RFC 6455 framing: masked client
 * frames, unmasked server frames, text frames, continuation frames, ping/pong and close. It speaks
 * one of two protocols on the same framing:
 * - Engine.IO v4 / Socket.IO v5 (default): it answers Engine.IO pings itself and hands every
 *   Socket.IO packet (the whole Engine.IO text, e.g. `42["echo",1]`) to `onPacket`;
 * - parley's plain WebSocket protocol (`plain: true`, docs/native-websocket.md): an upgrade without
 *   `EIO`, connected on the `{"event":"connect",...}` frame, every later text frame (a JSON
 *   envelope) handed to `onPacket` as is; heartbeats are ping control frames, answered with pongs.
 * Its cost does not depend on the server.
 */
import { randomFillSync } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';

const POOL_SIZE = 64 * 1024;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolAt = POOL_SIZE;

/** Four random mask bytes written at `at`. */
function writeMask(out: Buffer, at: number): void {
  if (poolAt + 4 > POOL_SIZE) {
    randomFillSync(pool);
    poolAt = 0;
  }
  out[at] = pool[poolAt]!;
  out[at + 1] = pool[poolAt + 1]!;
  out[at + 2] = pool[poolAt + 2]!;
  out[at + 3] = pool[poolAt + 3]!;
  poolAt += 4;
}

/** One masked client frame (FIN set) holding `payload`. */
export function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const hdr = len < 126 ? 6 : len < 65536 ? 8 : 14;
  const out = Buffer.allocUnsafe(hdr + len);
  out[0] = 0x80 | opcode;
  if (len < 126) {
    out[1] = 0x80 | len;
  } else if (len < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    out.writeUInt32BE(len >>> 0, 6);
  }
  writeMask(out, hdr - 4);
  const m0 = out[hdr - 4]!;
  const m1 = out[hdr - 3]!;
  const m2 = out[hdr - 2]!;
  const m3 = out[hdr - 1]!;
  for (let i = 0; i < len; i++) {
    const m = (i & 3) === 0 ? m0 : (i & 3) === 1 ? m1 : (i & 3) === 2 ? m2 : m3;
    out[hdr + i] = payload[i]! ^ m;
  }
  return out;
}

export interface WsClientOptions {
  port: number;
  host?: string;
  /** The local address to connect from (127.0.0.2, ...: another client address on loopback). */
  localAddress?: string;
  path?: string;
  /** Speak parley's plain WebSocket protocol instead of Engine.IO / Socket.IO. */
  plain?: boolean;
  /**
   * The auth payload: Socket.IO sends it as `40{...}`; a plain client puts it in the upgrade's query
   * (`?name=value`, values as strings), where parley reads a plain client's auth.
   */
  auth?: Record<string, unknown>;
  /**
   * Every packet after the connect: Socket.IO, the Engine.IO text (`42[...]`, `43<id>[...]`);
   * plain, the text frame (`{"event":...}`, `{"ack":...}`).
   */
  onPacket?: (text: string) => void;
  /** The connection ended (after connect or not). */
  onClose?: (reason: string) => void;
}

/** How a protocol answers the namespace connection: accepted (with the socket id) or refused. */
interface Greeting {
  readonly accepted: string;
  readonly refused: string;
  readonly id: RegExp;
}

const SOCKET_IO_GREETING: Greeting = { accepted: '40', refused: '44', id: /"sid":"([^"]+)"/ };
const PLAIN_GREETING: Greeting = {
  accepted: '{"event":"connect",',
  refused: '{"event":"connect_error"',
  id: /"id":"([^"]+)"/,
};

type State = 'upgrading' | 'opening' | 'connecting' | 'connected' | 'closed';

export class WsClient {
  private readonly socket: Socket;
  private state: State = 'upgrading';
  private head = '';
  private buf: Buffer | undefined;
  private fragments: Buffer[] | undefined;
  private resolveConnect: (() => void) | undefined;
  private rejectConnect: ((err: Error) => void) | undefined;
  private readonly connectPacket: string;
  private readonly plain: boolean;
  /** The socket id: Socket.IO, from the `40` packet; plain, from the connect frame's `data.id`. */
  sid = '';
  onPacket: ((text: string) => void) | undefined;
  onClose: ((reason: string) => void) | undefined;

  /** Resolves once connected: Engine.IO open and the main namespace joined, or the plain connect frame. */
  readonly connected: Promise<void>;

  constructor(opts: WsClientOptions) {
    this.onPacket = opts.onPacket;
    this.onClose = opts.onClose;
    this.plain = opts.plain === true;
    this.connectPacket = opts.auth === undefined ? '40' : `40${JSON.stringify(opts.auth)}`;
    this.connected = new Promise<void>((resolve, reject) => {
      this.resolveConnect = resolve;
      this.rejectConnect = reject;
    });
    // Avoid unhandled rejections when nobody awaits a failed connect.
    this.connected.catch(() => undefined);
    const host = opts.host ?? '127.0.0.1';
    const path = opts.path ?? '/socket.io/';
    this.socket = netConnect({
      port: opts.port,
      host,
      noDelay: true,
      ...(opts.localAddress === undefined ? {} : { localAddress: opts.localAddress }),
    });
    const key = Buffer.allocUnsafe(16);
    randomFillSync(key);
    // No EIO parameter is what marks a plain client.
    const query = this.plain
      ? opts.auth === undefined
        ? ''
        : `?${new URLSearchParams(Object.entries(opts.auth).map(([k, v]): [string, string] => [k, String(v)]))}`
      : '?EIO=4&transport=websocket';
    this.socket.write(
      `GET ${path}${query} HTTP/1.1\r\nHost: ${host}:${opts.port}\r\n` +
        'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${key.toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(err.message));
    this.socket.on('close', () => this.fail('socket closed'));
  }

  /** Sends `text` as one text frame, as is (Socket.IO: a whole Engine.IO packet, e.g. `42[...]`). */
  send(text: string): void {
    if (this.state === 'closed') return;
    this.socket.write(maskedFrame(1, Buffer.from(text)));
  }

  /** Sends a close frame and ends the socket. */
  close(): void {
    if (this.state === 'closed') return;
    const code = Buffer.from([0x03, 0xe8]);
    this.socket.end(maskedFrame(8, code));
    this.fail('client close');
  }

  /** Drops the TCP connection at once. */
  destroy(): void {
    this.socket.destroy();
    this.fail('client destroy');
  }

  get isConnected(): boolean {
    return this.state === 'connected';
  }

  private fail(reason: string): void {
    if (this.state === 'closed') return;
    const wasConnected = this.state === 'connected';
    this.state = 'closed';
    if (!wasConnected) this.rejectConnect?.(new Error(`connect failed: ${reason}`));
    this.resolveConnect = undefined;
    this.rejectConnect = undefined;
    if (!this.socket.destroyed && reason !== 'client close') this.socket.destroy();
    this.onClose?.(reason);
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'upgrading') {
      const text = chunk.toString('latin1');
      const all = this.head + text;
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) {
        this.head = all;
        if (this.head.length > 8192) this.fail('response head too large');
        return;
      }
      if (!all.startsWith('HTTP/1.1 101')) {
        this.fail(`upgrade refused: ${all.slice(0, all.indexOf('\r\n'))}`);
        return;
      }
      // A plain client waits for the connect frame; Engine.IO first sends its open packet.
      this.state = this.plain ? 'connecting' : 'opening';
      const restAt = end + 4 - this.head.length; // latin1: one char per byte
      this.head = '';
      if (restAt >= chunk.length) return;
      chunk = chunk.subarray(restAt);
    }
    let buf = this.buf === undefined ? chunk : Buffer.concat([this.buf, chunk]);
    this.buf = undefined;
    let at = 0;
    while (this.state !== 'closed') {
      const avail = buf.length - at;
      if (avail < 2) break;
      const b0 = buf[at]!;
      const b1 = buf[at + 1]!;
      let len = b1 & 0x7f;
      let hdr = 2;
      if (len === 126) {
        if (avail < 4) break;
        len = buf.readUInt16BE(at + 2);
        hdr = 4;
      } else if (len === 127) {
        if (avail < 10) break;
        len = buf.readUInt32BE(at + 2) * 2 ** 32 + buf.readUInt32BE(at + 6);
        hdr = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      if (masked) hdr += 4;
      if (avail < hdr + len) break;
      let payload = buf.subarray(at + hdr, at + hdr + len);
      if (masked) {
        const m = buf.subarray(at + hdr - 4, at + hdr);
        const copy = Buffer.allocUnsafe(len);
        for (let i = 0; i < len; i++) copy[i] = payload[i]! ^ m[i & 3]!;
        payload = copy;
      }
      at += hdr + len;
      this.onFrame((b0 & 0x80) !== 0, b0 & 0x0f, payload);
    }
    if (at < buf.length && this.state !== 'closed') {
      // Keep the partial frame; copy so the big chunk it came in can be freed.
      buf = buf.subarray(at);
      this.buf = Buffer.from(buf);
    }
  }

  private onFrame(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case 0x0:
        if (this.fragments === undefined) {
          this.fail('unexpected continuation frame');
          return;
        }
        this.fragments.push(Buffer.from(payload));
        if (fin) {
          const whole = Buffer.concat(this.fragments);
          this.fragments = undefined;
          this.onText(whole.toString());
        }
        return;
      case 0x1:
        if (fin) this.onText(payload.toString());
        else this.fragments = [Buffer.from(payload)];
        return;
      case 0x2:
        this.fail('unexpected binary frame');
        return;
      case 0x8:
        this.socket.end(maskedFrame(8, Buffer.from(payload.subarray(0, 2))));
        this.fail('server close');
        return;
      case 0x9:
        this.socket.write(maskedFrame(0xa, payload));
        return;
      default:
        return;
    }
  }

  private onText(text: string): void {
    if (this.plain) {
      this.onSocketText(text, PLAIN_GREETING);
      return;
    }
    const type = text.charCodeAt(0);
    if (type === 52 /* '4' */) {
      this.onSocketText(text, SOCKET_IO_GREETING);
    } else if (type === 50 /* '2' ping */) {
      this.send('3');
    } else if (type === 48 /* '0' open */ && this.state === 'opening') {
      this.state = 'connecting';
      this.send(this.connectPacket);
    } else if (type === 49 /* '1' close */) {
      this.fail('engine close');
    }
  }

  /** A Socket.IO packet or a plain frame: the connect answer while connecting, then packets. */
  private onSocketText(text: string, greeting: Greeting): void {
    if (this.state === 'connected') {
      this.onPacket?.(text);
    } else if (this.state === 'connecting') {
      if (text.startsWith(greeting.accepted)) {
        this.markConnected(greeting.id.exec(text)?.[1] ?? '');
      } else if (text.startsWith(greeting.refused)) {
        this.fail(`connect error ${text}`);
      }
    }
  }

  private markConnected(sid: string): void {
    this.sid = sid;
    this.state = 'connected';
    this.resolveConnect?.();
    this.resolveConnect = undefined;
    this.rejectConnect = undefined;
  }
}
