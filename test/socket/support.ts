/**
 * A raw Socket.IO client over one Engine.IO WebSocket (the shared raw WsClient, no socket.io-client),
 * for sending packets an official client would never write: hand-made JSON text of any depth, an own
 * `__proto__` key beside binary attachments, malformed placeholders. It answers the server's pings
 * and queues what it receives, so a test awaits messages in order. Use with the servers of
 * test/native/support.ts, whose cleanup closes it.
 */
import assert from 'node:assert/strict';
import type { TestServer } from '../native/support.js';
import { type CloseInfo, WsClient } from '../support/raw-clients.js';

/** A Socket.IO session on the main namespace, spoken by hand. */
export class RawSocketIoPeer {
  private constructor(
    readonly client: WsClient,
    /** The id of the socket on the server. */
    readonly sid: string,
  ) {}

  /** Opens the session and joins the main namespace. */
  static async connect(server: TestServer): Promise<RawSocketIoPeer> {
    const url = server.wsUrl({ EIO: '4', transport: 'websocket' });
    const { client } = await WsClient.handshake(url, { answerPings: true });
    client.send('40');
    const connected = await client.nextText('the Socket.IO CONNECT answer');
    assert.ok(connected.startsWith('40{'), `CONNECT answer: ${connected}`);
    return new RawSocketIoPeer(client, (JSON.parse(connected.slice(2)) as { sid: string }).sid);
  }

  /** Settles once the WebSocket is closed. */
  get closed(): Promise<CloseInfo> {
    return this.client.closed;
  }

  /** Sends a Socket.IO packet (its text; the Engine.IO message prefix 4 is added), then its attachments. */
  send(packet: string, ...attachments: Buffer[]): void {
    this.client.send(`4${packet}`);
    for (const attachment of attachments) this.client.send(attachment);
  }

  /** The next Socket.IO packet's text (without the Engine.IO prefix 4). */
  async nextPacket(what = 'a packet'): Promise<string> {
    const message = await this.client.nextText(what);
    assert.ok(message.startsWith('4'), `expected a message, got ${message}`);
    return message.slice(1);
  }

  /** The next binary attachment. */
  nextAttachment(what = 'an attachment'): Promise<Buffer> {
    return this.client.nextBinary(what);
  }
}

/** `depth` nested arrays as JSON text, `[[[...]]]` around `inner`: deeper than JSON.stringify can write. */
export function deepArrayJson(depth: number, inner = ''): string {
  return `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
}

/** How many arrays are nested in `value` along first elements, counted without recursion. */
export function arrayDepth(value: unknown): number {
  let depth = 0;
  let current = value;
  while (Array.isArray(current)) {
    depth++;
    current = current[0];
  }
  return depth;
}
