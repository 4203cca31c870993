/**
 * An Engine.IO-only echo server: every message (text or binary) is sent back on its session.
 * PORT=0 picks a free port; the startup line prints the actual URL.
 */
import { createServer } from 'node:http';
import { EngineServer } from '../src/engine/index.js';

const port = Number(process.env.PORT ?? 3000);
const httpServer = createServer();
const engine = new EngineServer(
  {
    onSession(session) {
      return {
        onMessage(data) {
          session.send(data);
        },
        onClose() {},
      };
    },
  },
  { path: '/engine.io/', pingInterval: 300, pingTimeout: 200, maxPayload: 1_000_000, cors: { origin: '*' } },
);
engine.attach(httpServer);

httpServer.listen(port, () => {
  const address = httpServer.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  console.log(`engine-echo listening on http://localhost:${actual}/engine.io/`);
});

const stop = (): void => {
  void engine.close().then(() => httpServer.close(() => process.exit(0)));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
