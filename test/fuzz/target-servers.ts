/**
 * The servers the request-target fuzz test attacks, in a process of their own so that a throw out
 * of a request handler kills it where the test sees it: one parley server per combination of path
 * ('/' and '/ws/chat/'), plainWebSocket (on, off) and ownHttp (on, off). Prints one JSON line with
 * their ports, then serves until killed. Nothing here catches errors on purpose.
 */
import { createServer } from 'node:http';
import { Server } from '../../src/index.js';
import { listenOnLoopback } from '../support/loopback.js';

interface Started {
  path: string;
  plainWebSocket: boolean;
  ownHttp: boolean;
  port: number;
}

const started: Started[] = [];
for (const path of ['/', '/ws/chat/']) {
  for (const plainWebSocket of [true, false]) {
    for (const ownHttp of [true, false]) {
      // The application's own pages: everything outside the engine's path gets a 404.
      const http = createServer((_req, res) => {
        res.writeHead(404).end();
      });
      const io = new Server(http, { path, plainWebSocket, ownHttp, pingInterval: 2000, pingTimeout: 2000 });
      io.on('connection', (socket) => {
        socket.on('echo', (...args: unknown[]) => {
          const ack = args.pop();
          if (typeof ack === 'function') ack(...args);
        });
      });
      started.push({ path, plainWebSocket, ownHttp, port: await listenOnLoopback(http) });
    }
  }
}
console.log(JSON.stringify({ servers: started }));
