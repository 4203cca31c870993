/**
 * Type-level checks of `io.engine` and `socket.conn` as socket.io's docs use them: this file must
 * typecheck (`npm test` runs tsc first), and every `@ts-expect-error` must still be an error. The
 * runtime part only makes sure it loads.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import session from 'express-session';
import type { Server } from '../../src/index.js';

function checks(io: Server): void {
  io.engine.on('connection_error', (err) => {
    const parts: [unknown, number, string, unknown] = [err.req, err.code, err.message, err.context];
    return parts;
  });
  io.engine.on('initial_headers', (headers, req) => {
    headers['set-cookie'] = ['session=1; Path=/'];
    return req.headers.cookie;
  });
  io.engine.on('headers', (headers, req) => {
    headers.test = '789';
    return req.url;
  });
  io.engine.on('connection', (rawSocket) => {
    rawSocket.on('packet', ({ type, data }) => [type, data]);
    return [rawSocket.id, rawSocket.request.headers, rawSocket.transport.name];
  });
  // @ts-expect-error not an event of the engine
  io.engine.on('nope', () => undefined);
  io.engine.generateId = (req: IncomingMessage) => `custom:${req.url}`;
  io.engine.generateId = async () => 'from a promise';
  const count: number = io.engine.clientsCount;
  void count;
  io.on('connection', (socket) => {
    socket.conn.on('packet', ({ type }) => type === 'message');
    socket.conn.on('packetCreate', ({ type, data, options }) => [type, data, options.compress]);
    socket.conn.on('drain', () => undefined);
    socket.conn.on('heartbeat', () => undefined);
    socket.conn.on('upgrading', (transport) => transport.name);
    socket.conn.once('upgrade', (transport) => transport.name === socket.conn.transport.name);
    socket.conn.on('close', (reason, description) => [reason, description]);
    const state: 'open' | 'closing' | 'closed' = socket.conn.readyState;
    const same: boolean = socket.client.conn === socket.conn;
    void [state, same, socket.conn.protocol, socket.conn.request.url, socket.conn.remoteAddress];
    // @ts-expect-error not an event of socket.conn
    socket.conn.on('nope', () => undefined);
  });
}

test('engine API type checks load', () => {
  assert.equal(typeof checks, 'function');
});

// io.engine.use() takes express-style middlewares, express's own handler type included (as
// engine.io's `use(fn: any)` does); what an application declares on IncomingMessage for them
// types socket.request, as socket.io's docs declare `session` for express-session.
declare module 'node:http' {
  interface IncomingMessage {
    parleyTypeTestUser?: { name: string };
  }
}

function middlewareChecks(io: Server): void {
  io.engine.use(session({ secret: 'x', resave: false, saveUninitialized: false }));
  io.engine.use((req, res, next) => {
    req.parleyTypeTestUser = { name: String(req.headers.host) };
    res.setHeader('x-test', '1');
    next();
  });
  io.engine.use(async (_req, _res, next) => next(new Error('refused')));
  io.on('connection', (socket) => {
    const name: string | undefined = socket.request.parleyTypeTestUser?.name;
    const same: boolean = io.engine.clients[socket.conn.id] === socket.conn;
    void [name, same];
  });
}

test('engine middleware type checks load', () => {
  assert.equal(typeof middlewareChecks, 'function');
});
