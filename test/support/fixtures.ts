/**
 * The fixtures of the Socket.IO interop tests in one import: the server under test on an ephemeral
 * loopback port (servers.ts), official `socket.io-client` / `engine.io-client` clients (clients.ts),
 * promise helpers whose timeouts are failure guards only (waiting.ts), and a cleanup that closes
 * everything a test opened and checks the server kept no session.
 *
 * Usage in a test file:
 *
 *   afterEach(cleanup);
 *   forEachTransport((setup) => {
 *     test('does something', async () => {
 *       const { io, url } = await startServer();
 *       const client = await connectClient(url, { setup });
 *       ...
 *     });
 *   });
 */
export * from './clients.js';
export { serverKind } from './server-under-test.js';
export { assertNoSessions, cleanup, connectedPair, type StartedServer, startServer } from './servers.js';
export * from './waiting.js';
