/**
 * The Socket.IO codec alone (packets, binary attachments, encode errors, the typed event maps): no
 * server module in its imports, for code that must not pull in the server (the client, which could
 * run in a browser). Everything here is also exported by the Socket.IO layer's index.
 */
export { EncodeError, type EncodeErrorCode } from './encode-error.js';
export * as parser from './packet.js';
export type * from './typed-events.js';
