/**
 * One Engine.IO client session: handshake over the first transport that works, heartbeat (v4:
 * the server pings and the client answers; v3: the client pings), the polling → WebSocket upgrade
 * (2probe / 3probe, pause polling, 5), and a write buffer that holds packets while the transport
 * cannot take them.
 */
import type { EnginePacket } from '../engine/codec.js';
import { Emitter } from './emitter.js';
import type { EngineOptions, TransportName } from './options.js';
import {
  type ClientTransport,
  PollingTransport,
  type SessionInfo,
  type TransportFailure,
  WebSocketTransport,
} from './transports.js';

/** Why an open session closed (socket.io-client's names). */
export type EngineCloseReason =
  | TransportFailure
  /** No heartbeat within pingInterval + pingTimeout (v4), or no pong within pingTimeout (v3). */
  | 'ping timeout'
  /** The application closed it. */
  | 'forced close';

/** Why a session could not open. */
export interface EngineOpenError {
  readonly reason: TransportFailure | 'invalid handshake';
  readonly description: string;
  /** The transport tried last. */
  readonly transport: TransportName;
}

/** The handshake's values. */
export interface Handshake {
  readonly sid: string;
  readonly upgrades: readonly string[];
  readonly pingInterval: number;
  readonly pingTimeout: number;
  readonly maxPayload: number | undefined;
}

/** Events of an {@link EngineClient}. */
export interface EngineEvents {
  [event: string]: (...args: never[]) => void;
  open: () => void;
  /** The handshake failed on every transport tried; the session is closed. */
  error: (error: EngineOpenError) => void;
  message: (data: string | Buffer) => void;
  ping: () => void;
  upgrade: (transport: TransportName) => void;
  close: (reason: EngineCloseReason, description: string) => void;
}

type State = 'opening' | 'open' | 'closed';

/** An Engine.IO client session. */
export class EngineClient extends Emitter<EngineEvents> {
  #state: State = 'opening';
  readonly #info: SessionInfo;
  #transport: ClientTransport | undefined;
  #transportIndex = 0;
  #handshake: Handshake | undefined;
  /** Packets waiting for the transport (during an upgrade). */
  #writeBuffer: EnginePacket[] = [];
  #upgrading = false;
  #probe: ClientTransport | undefined;
  #heartbeat: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    origin: string,
    private readonly opts: EngineOptions,
  ) {
    super();
    this.#info = { origin, sid: undefined, protocol: opts.protocol };
  }

  /** The session id, once open. */
  get id(): string | undefined {
    return this.#info.sid;
  }

  /** The Engine.IO revision in use (3 or 4), once known. */
  get protocol(): 3 | 4 | undefined {
    return this.#info.protocol;
  }

  /** The current transport, read as socket.io-client's is: `socket.io.engine.transport.name`. */
  get transport(): { readonly name: TransportName } | undefined {
    const transport = this.#transport;
    return transport === undefined ? undefined : { name: transport.name };
  }

  /** Whether a packet sent now goes out at once (no upgrade pausing the transport). */
  get writable(): boolean {
    return this.#state === 'open' && !this.#upgrading;
  }

  get state(): State {
    return this.#state;
  }

  /** Starts the handshake on the first transport. */
  open(): void {
    if (this.opts.transports.length === 0) {
      queueMicrotask(() => this.#openFailed('transport error', 'no transport to try'));
      return;
    }
    this.#tryTransport(0);
  }

  #tryTransport(index: number): void {
    this.#transportIndex = index;
    const name = this.opts.transports[index]!;
    this.#info.sid = undefined;
    const transport = this.#create(name, false);
    this.#transport = transport;
    transport.open();
  }

  #create(name: TransportName, probe: boolean): ClientTransport {
    const events = {
      onOpen: () => {
        if (probe) this.#onProbeOpen(transport);
      },
      onPackets: (packets: EnginePacket[]) => {
        if (probe && this.#probe === transport) this.#onProbePackets(transport, packets);
        else if (this.#transport === transport) for (const p of packets) this.#onPacket(p);
      },
      onFailure: (reason: TransportFailure, description: string) => {
        if (this.#probe === transport) {
          // A failed probe leaves the session on polling, as engine.io-client does.
          this.#probe = undefined;
          this.#upgrading = false;
          this.#flush();
        } else if (this.#transport === transport) this.#onFailure(reason, description);
      },
    };
    const transport: ClientTransport =
      name === 'polling'
        ? new PollingTransport(this.#info, this.opts, events)
        : new WebSocketTransport(this.#info, this.opts, events);
    return transport;
  }

  #onFailure(reason: TransportFailure, description: string): void {
    if (this.#state === 'opening') {
      const next = this.#transportIndex + 1;
      if (this.opts.tryAllTransports && next < this.opts.transports.length) {
        this.#tryTransport(next);
        return;
      }
      this.#openFailed(reason, description);
      return;
    }
    this.#close(reason, description);
  }

  #openFailed(reason: EngineOpenError['reason'], description: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#transport?.close(false);
    const name = this.opts.transports[this.#transportIndex] ?? 'polling';
    this.emitReserved('error', { reason, description, transport: name });
  }

  #onPacket(packet: EnginePacket): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'opening') {
      if (packet.type !== 'open') {
        this.#openFailed('invalid handshake', `the first packet was ${packet.type}, not open`);
        return;
      }
      this.#onHandshake(packet.data);
      return;
    }
    if (this.#info.protocol === 3) this.#resetHeartbeat();
    switch (packet.type) {
      case 'ping':
        this.#resetHeartbeat();
        this.emitReserved('ping');
        this.#send({ type: 'pong', ...(packet.data === undefined ? {} : { data: packet.data }) });
        return;
      case 'message':
        this.emitReserved('message', packet.data);
        return;
      case 'close':
        this.#close('transport close', 'the server closed the session');
        return;
      default:
        return;
    }
  }

  #onHandshake(json: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      this.#openFailed('invalid handshake', 'the open packet is not JSON');
      return;
    }
    const h = parsed as Partial<Record<keyof Handshake, unknown>>;
    if (
      typeof parsed !== 'object' ||
      parsed === null ||
      typeof h.sid !== 'string' ||
      typeof h.pingInterval !== 'number' ||
      typeof h.pingTimeout !== 'number'
    ) {
      this.#openFailed('invalid handshake', 'the open packet lacks sid, pingInterval or pingTimeout');
      return;
    }
    const upgrades = Array.isArray(h.upgrades) ? h.upgrades.filter((u) => typeof u === 'string') : [];
    const maxPayload = typeof h.maxPayload === 'number' ? h.maxPayload : undefined;
    this.#handshake = {
      sid: h.sid,
      upgrades,
      pingInterval: h.pingInterval,
      pingTimeout: h.pingTimeout,
      maxPayload,
    };
    this.#info.sid = h.sid;
    // Over WebSocket both revisions frame the handshake alike, and not every v4 server announces
    // maxPayload (python-engineio 4 does not): without polling's framing to tell, it is v4.
    this.#info.protocol ??= 4;
    this.#state = 'open';
    this.#startHeartbeat();
    this.emitReserved('open');
    this.#flush();
    if (
      this.#state === 'open' &&
      this.#transport?.name === 'polling' &&
      this.opts.upgrade &&
      upgrades.includes('websocket') &&
      this.opts.transports.includes('websocket')
    ) {
      this.#startProbe();
    }
  }

  #startHeartbeat(): void {
    const h = this.#handshake!;
    if (this.#info.protocol === 3) {
      // v3: the client pings; as engine.io-client 3 does, anything the server sends proves it
      // alive, so a pong held up behind an upgrade does not end the session.
      this.#pingTimer = setInterval(() => this.#send({ type: 'ping' }), h.pingInterval);
    }
    this.#resetHeartbeat();
  }

  /** v4: at each ping; v3: at each packet. Closes after pingInterval + pingTimeout of silence. */
  #resetHeartbeat(): void {
    const h = this.#handshake!;
    clearTimeout(this.#heartbeat);
    this.#heartbeat = setTimeout(
      () => this.#close('ping timeout', `nothing heard within ${h.pingInterval + h.pingTimeout} ms`),
      h.pingInterval + h.pingTimeout,
    );
  }

  #startProbe(): void {
    const probe = this.#create('websocket', true);
    this.#probe = probe;
    probe.open();
  }

  #onProbeOpen(probe: ClientTransport): void {
    if (this.#probe !== probe) return;
    probe.send([{ type: 'ping', data: 'probe' }]);
  }

  #onProbePackets(probe: ClientTransport, packets: EnginePacket[]): void {
    const first = packets[0];
    if (this.#upgrading || first?.type !== 'pong' || first.data !== 'probe') {
      this.#probe = undefined;
      probe.close(false);
      return;
    }
    // Hold new packets in the write buffer while polling drains, then switch.
    this.#upgrading = true;
    this.#transport!.pause(() => {
      if (this.#probe !== probe || this.#state !== 'open') return;
      const polling = this.#transport!;
      this.#probe = undefined;
      this.#transport = probe;
      polling.close(false);
      probe.send([{ type: 'upgrade' }]);
      this.#upgrading = false;
      this.emitReserved('upgrade', 'websocket');
      this.#flush();
    });
  }

  /** Sends one message (a string, or a Buffer for binary). */
  send(data: string | Buffer): void {
    this.#send({ type: 'message', data });
  }

  #send(packet: EnginePacket): void {
    if (this.#state === 'closed') return;
    this.#writeBuffer.push(packet);
    this.#flush();
  }

  #flush(): void {
    if (this.#state !== 'open' || this.#upgrading || this.#writeBuffer.length === 0) return;
    const packets = this.#writeBuffer;
    this.#writeBuffer = [];
    this.#transport!.send(packets);
  }

  /** Closes the session (sending a close packet over polling). */
  close(): void {
    if (this.#state === 'opening') {
      this.#state = 'closed';
      this.#transport?.close(false);
      return;
    }
    this.#close('forced close', 'closed by the client');
  }

  #close(reason: EngineCloseReason, description: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#heartbeat);
    clearInterval(this.#pingTimer);
    this.#probe?.close(false);
    this.#probe = undefined;
    // Whatever is still buffered is flushed first, so a DISCONNECT written just before reaches the server.
    if (reason === 'forced close' && this.#writeBuffer.length > 0 && !this.#upgrading) {
      this.#transport?.send(this.#writeBuffer);
    }
    this.#writeBuffer = [];
    this.#transport?.close(reason === 'forced close');
    this.emitReserved('close', reason, description);
  }
}
