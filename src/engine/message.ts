/**
 * A message prepared once and handed to many sessions. A broadcast builds one and every recipient
 * reuses its encodings, so the per-recipient cost is a queue push, not string or JSON work.
 */
export class OutboundMessage {
  /** The message payload: text or binary. */
  readonly data: string | Buffer;
  private pollingCache: string | undefined;
  private websocketCache: string | undefined;
  /**
   * The WebSocket transport's complete frame (header and payload) for this message, built by the
   * transport on first use and reused by every other recipient.
   */
  websocketBytes: Buffer | undefined;
  /** The frame of the data as it is (no Engine.IO type), for plain WebSocket clients; built on first use. */
  rawWebsocketBytes: Buffer | undefined;
  /** The uncompressed send-buffer entry for this message, shared by every session that queues it. */
  queueEntry:
    | { readonly kind: 'message'; readonly message: OutboundMessage; readonly compress: false }
    | undefined;

  constructor(data: string | Buffer) {
    this.data = data;
  }

  /** Byte size used for send-buffer accounting (UTF-16 length for text: cheap and an upper bound per char). */
  get size(): number {
    return typeof this.data === 'string' ? this.data.length : this.data.byteLength;
  }

  /** The packet as it travels in a long-polling payload: `4<text>` or `b<base64>`. */
  get pollingPacket(): string {
    if (this.pollingCache === undefined) {
      this.pollingCache =
        typeof this.data === 'string' ? `4${this.data}` : `b${this.data.toString('base64')}`;
    }
    return this.pollingCache;
  }

  /** The packet as one WebSocket frame: `4<text>` for a text frame, the raw Buffer for a binary frame. */
  get websocketFrame(): string | Buffer {
    if (typeof this.data !== 'string') return this.data;
    if (this.websocketCache === undefined) this.websocketCache = `4${this.data}`;
    return this.websocketCache;
  }

  /** Whether the payload is binary. */
  get binary(): boolean {
    return typeof this.data !== 'string';
  }
}

/** Wraps raw data in an OutboundMessage unless it already is one. */
export function toOutbound(data: string | Buffer | OutboundMessage): OutboundMessage {
  return data instanceof OutboundMessage ? data : new OutboundMessage(data);
}
