/**
 * The Engine.IO codec alone (packets, polling payloads of v4 and v3, WebSocket frames): pure
 * functions that import nothing, for code that must not pull in the server (the client, which
 * could run in a browser). Everything here is also exported by the engine's index.
 */
export * from './packet.js';
