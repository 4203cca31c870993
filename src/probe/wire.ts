/**
 * Reading and writing what the probe exchanges with an Engine.IO / Socket.IO endpoint. Engine.IO v4
 * and Socket.IO v5 go through parley's own codecs; Engine.IO v3 (`<length>:<packet>` payloads) and
 * the Socket.IO v4 protocol of v2-era servers are read here, since parley's codecs speak only the
 * current protocol. Pure functions: no I/O, nothing throws.
 */
import { decodePayload, encodePayload } from '../engine/index.js';
import { parser } from '../socket/index.js';
import type { EngineHandshake } from './types.js';

/** Splits an Engine.IO v3 string payload (`<length>:<packet>` repeated) into its packets. */
export function decodeV3Payload(payload: string): string[] | undefined {
  const packets: string[] = [];
  let i = 0;
  while (i < payload.length) {
    const colon = payload.indexOf(':', i);
    if (colon <= i) return undefined;
    const length = Number(payload.slice(i, colon));
    if (!Number.isSafeInteger(length) || length < 1) return undefined;
    const packet = payload.slice(colon + 1, colon + 1 + length);
    if (packet.length !== length) return undefined;
    packets.push(packet);
    i = colon + 1 + length;
  }
  return packets.length > 0 ? packets : undefined;
}

/** Encodes Engine.IO v3 packets (already in their text form) as one string payload. */
export function encodeV3Payload(packets: readonly string[]): string {
  return packets.map((p) => `${p.length}:${p}`).join('');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function openPayload(text: string, version: 3 | 4): EngineHandshake | undefined {
  const open = parseJson(text);
  if (!isRecord(open) || typeof open.sid !== 'string') return undefined;
  const upgrades = Array.isArray(open.upgrades)
    ? open.upgrades.filter((u): u is string => typeof u === 'string')
    : [];
  const { pingInterval, pingTimeout, maxPayload } = open;
  return {
    version,
    sid: open.sid,
    upgrades,
    ...(typeof pingInterval === 'number' ? { pingInterval } : {}),
    ...(typeof pingTimeout === 'number' ? { pingTimeout } : {}),
    ...(typeof maxPayload === 'number' ? { maxPayload } : {}),
  };
}

/** The Engine.IO messages (text of `4…` packets) and the handshake a polling answer holds. */
export interface PollingContents {
  readonly version: 3 | 4;
  readonly handshake?: EngineHandshake;
  readonly messages: readonly string[];
  /** The session was closed by the server (a `1` packet). */
  readonly closed: boolean;
}

/**
 * Reads a polling answer in whichever format it came: v4 (`\x1e`-separated) or v3
 * (`<length>:<packet>`). The format, not the `EIO` the probe asked for, tells the version: a v2-era
 * server answers v3 whatever it is asked.
 */
export function readPolling(body: string): PollingContents | undefined {
  const v3 = /^\d+:/.test(body) ? decodeV3Payload(body) : undefined;
  if (v3) {
    let handshake: EngineHandshake | undefined;
    const messages: string[] = [];
    let closed = false;
    for (const packet of v3) {
      if (packet[0] === '0') handshake = openPayload(packet.slice(1), 3);
      else if (packet[0] === '4') messages.push(packet.slice(1));
      else if (packet[0] === '1') closed = true;
    }
    return { version: 3, ...(handshake ? { handshake } : {}), messages, closed };
  }
  const v4 = decodePayload(body);
  if (!v4.ok) return undefined;
  let handshake: EngineHandshake | undefined;
  const messages: string[] = [];
  let closed = false;
  for (const packet of v4.value) {
    if (packet.type === 'open') handshake = openPayload(packet.data, 4);
    else if (packet.type === 'message' && typeof packet.data === 'string') messages.push(packet.data);
    else if (packet.type === 'close') closed = true;
  }
  return { version: 4, ...(handshake ? { handshake } : {}), messages, closed };
}

/** The open packet of an Engine.IO WebSocket's first frame, if it is one. */
export function readOpenFrame(frame: string, version: 3 | 4): EngineHandshake | undefined {
  return frame[0] === '0' ? openPayload(frame.slice(1), version) : undefined;
}

/** The Socket.IO CONNECT packet as an Engine.IO message: `0[/nsp,][auth]`. */
export function connectMessage(
  namespace: string,
  auth: Readonly<Record<string, unknown>> | undefined,
  version: 3 | 4,
): string {
  if (version === 3) {
    // Socket.IO protocol 4 (v2-era) has no CONNECT payload: auth travels in the query instead.
    return namespace === '/' ? '0' : `0${namespace},`;
  }
  const encoded = parser.encodePacket({
    type: 'connect',
    nsp: namespace,
    ...(auth ? { data: { ...auth } } : {}),
  });
  return encoded.ok ? encoded.value[0] : namespace === '/' ? '0' : `0${namespace},`;
}

/**
 * The auth object as query parameters, the way v2-era servers read credentials
 * (`socket.handshake.query`): strings as they are, other values as their JSON.
 */
export function authQuery(auth: Readonly<Record<string, unknown>> | undefined): Record<string, string> {
  if (!auth) return {};
  return Object.fromEntries(
    Object.entries(auth).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
}

/** Wraps Engine.IO messages into a polling body of the given version. */
export function pollingBody(messages: readonly string[], version: 3 | 4): string {
  if (version === 3) return encodeV3Payload(messages.map((m) => `4${m}`));
  return encodePayload(messages.map((data) => ({ type: 'message', data })));
}

/** What a Socket.IO message says about the CONNECT to `namespace`. */
export type ConnectAnswer =
  | { kind: 'connected' }
  | { kind: 'refused'; message: string; data?: unknown }
  | { kind: 'other' };

/**
 * Reads one Socket.IO packet (the text of an Engine.IO message) for the CONNECT answer. v5 goes
 * through parley's decoder; v2-era servers send `4[/nsp,]"text"` (a bare string) or omit the
 * namespace's payload, which the current decoder rightly refuses, so those are read by hand.
 */
export function readConnectAnswer(message: string, namespace: string): ConnectAnswer {
  const decoded = parser.decodePacket(message);
  if (decoded.ok && decoded.value.complete) {
    const packet = decoded.value.packet;
    if (packet.nsp !== namespace) return { kind: 'other' };
    if (packet.type === 'connect') return { kind: 'connected' };
    if (packet.type === 'connect_error') {
      return {
        kind: 'refused',
        message: packet.data.message,
        ...(packet.data.data !== undefined ? { data: packet.data.data } : {}),
      };
    }
    return { kind: 'other' };
  }
  const match = /^([04])(\/[^,]*,)?(.*)$/s.exec(message);
  if (!match) return { kind: 'other' };
  const nsp = match[2] ? match[2].slice(0, -1) : '/';
  if (nsp !== namespace) return { kind: 'other' };
  if (match[1] === '0') return { kind: 'connected' };
  const payload = parseJson(match[3] ?? '');
  if (typeof payload === 'string') return { kind: 'refused', message: payload };
  if (isRecord(payload) && typeof payload.message === 'string') {
    return {
      kind: 'refused',
      message: payload.message,
      ...(payload.data !== undefined ? { data: payload.data } : {}),
    };
  }
  return { kind: 'refused', message: match[3] ?? '' };
}
