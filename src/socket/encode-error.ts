/**
 * Payloads that cannot travel: the codecs report them as values (`EncodeFailure`), and the API
 * (emit, broadcast, ack) turns them into a thrown `EncodeError` before anything is sent.
 */

/** Why a payload cannot be encoded. */
export type EncodeErrorCode =
  /** An object or array contains itself. */
  | 'circular reference'
  /** Nested deeper than the codecs encode (MAX_ENCODE_DEPTH). */
  | 'too deeply nested'
  /** JSON cannot represent a value (a BigInt, a toJSON or getter that throws...). */
  | 'not serializable';

/** A payload the codecs could not encode: a code for programs, a message for people. */
export interface EncodeFailure {
  code: EncodeErrorCode;
  message: string;
  /** The error JSON.stringify (or a toJSON, a getter) threw, when there was one. */
  cause?: unknown;
}

/** The outcome of an encode. */
export type EncodeResult<T> = { ok: true; value: T } | { ok: false; error: EncodeFailure };

/**
 * Thrown synchronously by `socket.emit`, broadcasts (`io.emit`, `io.to(room).emit`...) and ack
 * functions when the payload cannot be encoded; `emitWithAck` rejects with it. Nothing was sent to
 * anyone, and the connection stays usable.
 */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
  /** Why the payload cannot be encoded. */
  readonly code: EncodeErrorCode;

  constructor(failure: EncodeFailure) {
    super(failure.message, failure.cause === undefined ? undefined : { cause: failure.cause });
    this.code = failure.code;
  }
}
