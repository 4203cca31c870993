/**
 * parley: a Socket.IO v5 / Engine.IO v4 server. `import { Server } from 'parley'` works like
 * `import { Server } from 'socket.io'`.
 */
export * from './socket/index.js';
