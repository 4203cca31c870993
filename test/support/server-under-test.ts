/**
 * Picks the Socket.IO server implementation the interop tests run against.
 *
 * - `PARLEY_TEST_AGAINST=socket.io`: the official `socket.io` package (used to validate the tests).
 * - anything else / unset: parley, imported from `src/index.ts`.
 *
 * The implementation is picked at load time; the exported types are socket.io's: parley promises
 * socket.io's public API, so the interop tests are written against socket.io's typings (tests of
 * parley-only behaviour import parley from src/index.ts, see servers.ts).
 */
import type { ServerOptions as SocketIOServerOptions, Server as SocketIOServer } from 'socket.io';

export type ServerKind = 'socket.io' | 'parley';

export const serverKind: ServerKind =
  process.env.PARLEY_TEST_AGAINST === 'socket.io' ? 'socket.io' : 'parley';

/** socket.io's options, plus parley's name for engine.io's `maxHttpBufferSize`. */
export type ServerOptions = Partial<SocketIOServerOptions> & { maxPayload?: number };

export type Server = SocketIOServer;

type ServerConstructor = typeof SocketIOServer;

async function load(): Promise<ServerConstructor> {
  if (serverKind === 'socket.io') {
    const mod = await import('socket.io');
    return mod.Server;
  }
  // Computed specifier: TypeScript does not resolve it, tsx maps `.js` to the `.ts` source at run time.
  const specifier = new URL('../../src/index.js', import.meta.url).href;
  const mod = (await import(specifier)) as { Server?: unknown };
  if (typeof mod.Server !== 'function') {
    throw new Error(`parley's src/index.ts does not export a Server class (got ${typeof mod.Server})`);
  }
  return mod.Server as ServerConstructor;
}

export const Server: ServerConstructor = await load();
