/**
 * The one Node-only module of the protocol path: where there is no global WebSocket (Node 20),
 * the `ws` package supplies one. Loaded lazily, so a bundle for browsers never needs `ws`.
 */
import type { WebSocketConstructor } from './options.js';

let loaded: Promise<WebSocketConstructor> | undefined;

/** `globalThis.WebSocket` when there is one, else `ws`'s WebSocket. */
export function defaultWebSocket(): Promise<WebSocketConstructor> {
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global) return Promise.resolve(global);
  loaded ??= import('ws').then((mod) => mod.WebSocket as unknown as WebSocketConstructor);
  return loaded;
}
