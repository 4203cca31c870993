import type { OutgoingHttpHeaders } from 'node:http';
import type { HttpExchange } from './http/exchange.js';
import { type Flushable, scheduleFlush } from './flush-pass.js';
import { toOutbound } from './message.js';
import { outboundSize, overflows, type SendBufferState } from './send-buffer.js';
import type { ResolvedEngineOptions } from './options.js';
import type { EnginePacket } from './packet.js';
import type { PollingTransport } from './transports/polling.js';
import type { QueuedItem, Transport, TransportFailure, TransportListener } from './transports/transport.js';
import { type Heartbeat, type HeartbeatSubject, HeartbeatState } from './heartbeat.js';
import type { WebSocketTransport } from './transports/websocket.js';
import type {
  CreatedPacket,
  HandshakeRequest,
  EngineCloseReason,
  EngineProtocol,
  EngineSession,
  Outbound,
  SendOptions,
  SendResult,
  SessionHandler,
  SessionObserver,
  SessionState,
  TransportName,
} from './types.js';

/** What a session needs of its server. */
export interface SessionHost {
  readonly options: ResolvedEngineOptions;
  /** Forgets a session that has closed. */
  remove(session: Session): void;
  /** The shared heartbeat of the server's sessions. */
  readonly heartbeat: Heartbeat;
}

const NOOP: QueuedItem = Object.freeze({ kind: 'packet', packet: Object.freeze({ type: 'noop' }) });
const CLOSE: QueuedItem = Object.freeze({ kind: 'packet', packet: Object.freeze({ type: 'close' }) });
const COMPRESS = Object.freeze({ compress: true });
const NO_COMPRESS = Object.freeze({ compress: false });
const PING_CREATED: CreatedPacket = Object.freeze({ type: 'ping', options: COMPRESS });
const PONG_CREATED: CreatedPacket = Object.freeze({ type: 'pong', options: COMPRESS });

function isList(messages: Outbound | readonly Outbound[]): messages is readonly Outbound[] {
  return Array.isArray(messages);
}

function packetSize(packet: EnginePacket): number {
  return packet.type === 'ping' || packet.type === 'pong' ? 1 + (packet.data?.length ?? 0) : 1;
}

/**
 * One Engine.IO session: its transport (and an upgrade probe), the heartbeat, and the bounded
 * send buffer. Methods of {@link EngineSession} never throw.
 */
export class Session implements EngineSession, TransportListener, HeartbeatSubject, SendBufferState, Flushable {
  readonly id: string;
  readonly request: HandshakeRequest;

  private current: Transport;
  private stateValue: SessionState = 'open';
  private handler: SessionHandler | undefined;
  /** What waits for the transport; undefined when nothing does (no empty array kept per session). */
  private buffer: QueuedItem[] | undefined;
  /** Send-buffer accounting (see SendBufferState). */
  bufferedBytes = 0;
  transportBacklog = -1;
  /** Owned by the flush pass (see Flushable). */
  flushScheduled = false;
  /** Heartbeat state, kept by the server's one Heartbeat. */
  heartbeatDue = -1;
  heartbeatState: HeartbeatState = HeartbeatState.Out;
  private probe: WebSocketTransport | undefined;
  /** The probe answered `3probe`: messages are held for the new transport. */
  private upgrading = false;
  private upgradeTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  /** Who watches the traffic (socket.conn's listeners); undefined, the usual case, costs a check. */
  private observer: SessionObserver | undefined;

  constructor(
    private readonly host: SessionHost,
    id: string,
    request: HandshakeRequest,
    transport: Transport,
    /** 3: the client pings and the server answers (v3's heartbeat, see onPacket and sendPing). */
    readonly protocol: EngineProtocol = 4,
  ) {
    this.id = id;
    this.request = request;
    this.current = transport;
    // The session is its transport's listener: no closures per session.
    transport.setListener(this);
  }

  /** The client's address, read from the handshake request. */
  get remoteAddress(): string {
    return this.request.socket.remoteAddress;
  }

  get transport(): TransportName {
    return this.current.name;
  }

  get state(): SessionState {
    return this.stateValue;
  }

  /** Whether a WebSocket may start probing this session now. */
  get upgradable(): boolean {
    return this.stateValue === 'open' && this.current.name === 'polling' && this.probe === undefined;
  }

  /**
   * Whether a message sent now would be written at once with nothing else on its way: a GET is held
   * or the WebSocket has no write in progress, nothing is queued, no upgrade is under way. What
   * engine.io calls a writable transport; a volatile message is dropped otherwise.
   */
  get writable(): boolean {
    return (
      this.stateValue === 'open' &&
      !this.upgrading &&
      this.buffer === undefined &&
      this.current.writable &&
      !this.current.busy
    );
  }

  /** Bytes buffered for this session: queued items plus what the transport has not sent yet. */
  get bufferedAmount(): number {
    return this.bufferedBytes + this.current.bufferedAmount;
  }

  /** Starts the session's life: events go to `handler`, the heartbeat begins. */
  start(handler: SessionHandler): void {
    this.handler = handler;
    if (this.stateValue === 'open') this.host.heartbeat.add(this);
  }

  send(messages: Outbound | readonly Outbound[], options?: SendOptions): SendResult {
    if (this.stateValue !== 'open') return 'closed';
    const list = isList(messages) ? messages : [messages];
    const size = outboundSize(list);
    const limit = this.host.options.maxBufferedBytes;
    const over = overflows(this, size, limit, this.current);
    if (options?.volatile === true) {
      // As socket.io over engine.io: dropped unless the transport can take it this very moment.
      if (over || !this.writable) return 'dropped';
    } else if (over) {
      this.finish('send buffer full', new Error(`send buffer over ${limit} bytes`), false);
      return 'closed';
    }
    const compress = options?.compress === true;
    const observer = this.observer;
    for (const raw of list) {
      const message = toOutbound(raw);
      observer?.packetCreate({
        type: 'message',
        data: message.data,
        options: options?.compress === false ? NO_COMPRESS : COMPRESS,
      });
      if (compress) {
        this.enqueue({ kind: 'message', message, compress });
      } else {
        // Uncompressed entries are shared by every session a broadcast reaches: no allocation each.
        message.queueEntry ??= { kind: 'message', message, compress: false };
        this.enqueue(message.queueEntry);
      }
    }
    this.bufferedBytes += size;
    if (options?.coalesce === true) scheduleFlush(this);
    else this.flush();
    return 'sent';
  }

  close(): void {
    if (this.stateValue !== 'open') return;
    this.stateValue = 'closing';
    this.clearHeartbeat();
    // A probe that has not started the upgrade is dropped; one mid-upgrade is let finish.
    if (!this.upgrading) this.abortProbe();
    // A polling client without a pending GET gets pingTimeout to come and fetch the close packet.
    this.closeTimer = setTimeout(
      () => this.finish('forced close', undefined, false),
      this.host.options.pingTimeout,
    );
    this.closeTimer.unref();
    this.tryFinishClosing();
  }

  /** Closes at once, flushing what is buffered and sending a close packet where possible. */
  shutdown(): void {
    this.finish('server shutting down', undefined, true);
  }

  /** Hands a long-polling request of this session to its polling transport; false if it is not polling. */
  handlePolling(exchange: HttpExchange, method: string, headers: OutgoingHttpHeaders): boolean {
    if (this.current.name !== 'polling' || this.stateValue === 'closed') return false;
    (this.current as PollingTransport).handleRequest(exchange, method, headers);
    return true;
  }

  observe(observer: SessionObserver | undefined): void {
    this.observer = observer;
  }

  /** Takes a WebSocket that will probe, then upgrade, this polling session. */
  attachProbe(probe: WebSocketTransport): void {
    if (!this.upgradable) {
      probe.destroy();
      return;
    }
    this.probe = probe;
    this.upgradeTimer = setTimeout(() => this.abortProbe(), this.host.options.upgradeTimeout);
    this.upgradeTimer.unref();
    probe.setListener({
      onPacket: (packet) => {
        if (packet.type === 'ping' && packet.data === 'probe' && !this.upgrading) {
          probe.sendPacket({ type: 'pong', data: 'probe' });
          this.upgrading = true;
          this.observer?.upgrading(probe);
          // Release the pending GET so the client can pause polling.
          if (this.current.writable) this.current.write([NOOP]);
        } else if (packet.type === 'upgrade') {
          this.completeUpgrade(probe);
        } else {
          this.abortProbe();
        }
      },
      onError: () => this.abortProbe(),
      onClose: () => this.abortProbe(),
      onWritable: () => {},
    });
  }

  private completeUpgrade(probe: WebSocketTransport): void {
    clearTimeout(this.upgradeTimer);
    this.probe = undefined;
    this.upgrading = false;
    const polling = this.current;
    this.current = probe;
    this.transportBacklog = -1;
    probe.setListener(this);
    polling.close();
    this.handler?.onUpgrade?.(probe.name);
    if (this.stateValue === 'closing') this.tryFinishClosing();
    else this.flush();
  }

  private abortProbe(): void {
    const probe = this.probe;
    if (probe === undefined) return;
    clearTimeout(this.upgradeTimer);
    this.probe = undefined;
    this.upgrading = false;
    probe.destroy();
    if (this.stateValue === 'closing') this.tryFinishClosing();
    else scheduleFlush(this);
  }

  /**
   * Finishes a server-side close once nothing holds it back. Like engine.io: what is buffered goes
   * first, the close packet in a later response, so a client handles the last messages (e.g.
   * DISCONNECT packets) before it sees the close. A GET already held gets the close packet alone
   * (`1`); a GET that arrives while closing gets `6\x1e1`, a noop then the close, as engine.io
   * answers a poll that comes after its close was queued.
   */
  private tryFinishClosing(getArrived = false): void {
    if (this.stateValue !== 'closing' || this.upgrading) return;
    const items = this.buffer;
    if (this.current.name === 'polling') {
      if (!this.current.writable) return;
      if (items !== undefined) {
        this.buffer = undefined;
        this.bufferedBytes = 0;
        this.current.write(items);
        return;
      }
      if (getArrived) this.current.write([NOOP, CLOSE]);
    }
    this.finish('forced close', undefined, true);
  }

  onWritable(): void {
    if (this.upgrading) {
      this.current.write([NOOP]);
    } else if (this.stateValue === 'closing') {
      this.tryFinishClosing(true);
    } else {
      this.flush();
    }
  }

  onPacket(packet: EnginePacket): void {
    if (this.stateValue === 'closing') {
      if (packet.type === 'close') this.closedByPeer('forced close');
      return;
    }
    if (this.stateValue !== 'open') return;
    const observer = this.observer;
    observer?.packet(packet);
    if (this.protocol === 3) {
      if (this.heartbeatV3(packet)) return;
    } else if (packet.type === 'pong') {
      this.host.heartbeat.pong(this);
      observer?.heartbeat();
      return;
    } else {
      // Traffic while a pong is awaited extends its deadline once, as engine.io does.
      this.host.heartbeat.activity(this);
    }
    switch (packet.type) {
      case 'message':
        this.handler?.onMessage(packet.data);
        break;
      case 'close':
        this.closedByPeer('transport close');
        break;
      default:
        // open, ping, upgrade and noop mean nothing from a client on an established transport.
        break;
    }
  }

  private enqueue(item: QueuedItem): void {
    if (this.buffer === undefined) this.buffer = [item];
    else this.buffer.push(item);
  }

  private enqueuePacket(packet: EnginePacket): void {
    this.enqueue({ kind: 'packet', packet });
    this.bufferedBytes += packetSize(packet);
    scheduleFlush(this);
  }

  /** Called by the shared flush pass: writes what accumulated since it was scheduled. */
  runScheduledFlush(): void {
    this.flush();
  }

  private flush(): void {
    const items = this.buffer;
    if (this.stateValue !== 'open' || this.upgrading || items === undefined) return;
    if (!this.current.writable) return;
    this.buffer = undefined;
    this.bufferedBytes = 0;
    this.current.write(items);
    this.transportBacklog = this.current.bufferedAmount;
    this.observer?.drain();
  }

  // ---- HeartbeatSubject ------------------------------------------------------------------------

  sendPing(): void {
    // A v3 session sends no ping: the heartbeat only marks the start of its pingTimeout, so that it
    // closes pingInterval + pingTimeout after the client's last ping, as engine.io does.
    if (this.stateValue !== 'open' || this.protocol === 3) return;
    this.observer?.packetCreate(PING_CREATED);
    this.enqueuePacket({ type: 'ping' });
  }

  /**
   * The v3 heartbeat runs the other way: a ping from the client is answered with a pong and starts
   * its wait again; a pong from it is a protocol error. True when the packet was one of them.
   */
  private heartbeatV3(packet: EnginePacket): boolean {
    if (packet.type === 'ping') {
      this.host.heartbeat.add(this);
      this.observer?.heartbeat();
      this.observer?.packetCreate(PONG_CREATED);
      this.enqueuePacket({ type: 'pong' });
      return true;
    }
    if (packet.type === 'pong') {
      this.finish('transport error', new Error('invalid heartbeat direction'), false);
      return true;
    }
    return false;
  }

  pingTimedOut(): void {
    this.finish('ping timeout', undefined, false);
  }

  private clearHeartbeat(): void {
    this.host.heartbeat.remove(this);
  }

  /**
   * The client sent a close packet. Over polling a GET it still holds is released with a noop (the
   * client is the one closing: it needs no close packet back), as engine.io does.
   */
  private closedByPeer(reason: EngineCloseReason): void {
    if (this.current.name === 'polling' && this.current.writable) this.current.write([NOOP]);
    this.finish(reason, undefined, false);
  }

  // ---- TransportListener --------------------------------------------------------------------

  onError(reason: TransportFailure, cause?: Error): void {
    this.finish(reason, cause, false);
  }

  onClose(): void {
    this.finish('transport close', undefined, false);
  }

  /**
   * Ends the session once: optionally flushes the buffer, sends a close packet if the transport
   * can take it, closes the transports and tells the handler.
   */
  private finish(reason: EngineCloseReason, cause: Error | undefined, flush: boolean): void {
    if (this.stateValue === 'closed') return;
    // The application asked to close: whatever ends the session now, that is the reason.
    if (this.stateValue === 'closing') reason = 'forced close';
    this.stateValue = 'closed';
    this.clearHeartbeat();
    clearTimeout(this.closeTimer);
    clearTimeout(this.upgradeTimer);
    const probe = this.probe;
    this.probe = undefined;
    this.upgrading = false;
    probe?.destroy();
    const items = (flush ? this.buffer : undefined) ?? [];
    this.buffer = undefined;
    this.bufferedBytes = 0;
    // A close packet goes wherever one can still go: a held GET (whatever ended the session, as
    // engine.io closes its polling transport), or a WebSocket that is neither failed nor stuck. A
    // stuck reader ('send buffer full') is cut at once: a close frame would wait behind its backlog.
    // A WebSocket whose peer missed its pong gets the close frame alone, as on engine.io (its
    // client sees code 1005, not an abnormal 1006), and is cut if it does not answer that either.
    const websocket = this.current.name === 'websocket';
    const cut = reason === 'send buffer full' || (websocket && reason === 'transport error');
    const packet = !cut && !(websocket && reason === 'ping timeout');
    if (packet && this.current.writable) this.current.write(items.length === 0 ? [CLOSE] : [...items, CLOSE]);
    if (cut) this.current.destroy();
    else this.current.close();
    this.host.remove(this);
    this.handler?.onClose(reason, cause);
  }
}
