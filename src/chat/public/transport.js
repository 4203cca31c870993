// One small adapter over the two ways the page can talk to the chat server, so the UI code does not
// care which one it uses:
//
//   const t = createTransport('socketio' | 'plain', { path, name, lastId: () => number });
//   t.on('connect', ({ id }) => ...)      connected (again); also 'disconnect', 'reconnecting',
//                                         'connect_error', and every server event: 'message',
//                                         'presence', 'typing', 'error'
//   t.connect()                           opens the connection (and keeps reconnecting until
//   t.disconnect()                        disconnect() is called)
//   await t.request('join', { room })     an event with an acknowledgement: resolves with the ack
//   t.send('typing', { room })            an event without acknowledgement
//
// The Socket.IO transport uses the official browser client (global `io`), with the handshake auth
// `{ name, lastId }`. The plain transport speaks parley's JSON protocol over a browser WebSocket,
// with the auth in the query string (`?name=alice&lastId=12`).

const REQUEST_TIMEOUT_MS = 10_000;
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 5_000;

/** A tiny event emitter: `on(event, fn)` returns a function that removes the listener. */
function emitter() {
  const listeners = new Map();
  return {
    on(event, fn) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(fn);
      return () => listeners.get(event)?.delete(fn);
    },
    emit(event, ...args) {
      for (const fn of listeners.get(event) ?? []) {
        try {
          fn(...args);
        } catch (err) {
          console.error(`listener of "${event}" failed`, err);
        }
      }
    },
  };
}

/** The Socket.IO transport, through the official client. */
function socketIoTransport({ path, name, lastId }) {
  const events = emitter();
  let socket = null;

  function attach(s) {
    s.on('connect', () => events.emit('connect', { id: s.id }));
    s.on('disconnect', (reason) => events.emit('disconnect', reason));
    s.on('connect_error', (err) => events.emit('connect_error', { message: err.message }));
    s.io.on('reconnect_attempt', (attempt) => events.emit('reconnecting', attempt));
    // Every server event goes to the UI as is.
    s.onAny((event, ...args) => events.emit(event, ...args));
  }

  return {
    kind: 'socketio',
    on: events.on,
    get connected() {
      return socket?.connected ?? false;
    },
    connect() {
      if (socket) return;
      if (typeof globalThis.io !== 'function') {
        events.emit('connect_error', { message: 'the Socket.IO client script did not load' });
        return;
      }
      socket = globalThis.io(location.origin, {
        path,
        forceNew: true,
        reconnectionDelay: RECONNECT_MIN_MS,
        reconnectionDelayMax: RECONNECT_MAX_MS,
        // A function, so every reconnection sends the last id seen by then (none before the first).
        auth: (cb) => {
          const last = lastId();
          cb(last > 0 ? { name, lastId: last } : { name });
        },
      });
      attach(socket);
    },
    disconnect() {
      // The client's own 'disconnect' event (reason "io client disconnect") tells the UI.
      socket?.disconnect();
      socket = null;
    },
    request(event, data) {
      if (!socket) return Promise.reject(new Error('not connected'));
      return socket.timeout(REQUEST_TIMEOUT_MS).emitWithAck(event, data);
    },
    send(event, data) {
      // Volatile: a typing hint is worthless once it is late, so it is not buffered while offline.
      socket?.volatile.emit(event, data);
    },
  };
}

/** The plain WebSocket transport: parley's JSON envelopes, acks matched by request id. */
function plainTransport({ path, name, lastId }) {
  const events = emitter();
  const pending = new Map(); // request id -> { resolve, reject, timer }
  let ws = null;
  let nextId = 1;
  let wanted = false; // true between connect() and disconnect(): reconnect when the socket closes
  let attempt = 0;
  let retryTimer = null;
  let isConnected = false;

  function url() {
    const params = new URLSearchParams({ name });
    const last = lastId();
    if (last > 0) params.set('lastId', String(last));
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}${path}?${params}`;
  }

  function failPending(reason) {
    for (const { reject, timer } of pending.values()) {
      clearTimeout(timer);
      reject(new Error(reason));
    }
    pending.clear();
  }

  function onFrame(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      console.warn('ignored a frame that is not JSON', text);
      return;
    }
    if (frame === null || typeof frame !== 'object') return;
    const args = Array.isArray(frame.args) ? frame.args : 'data' in frame ? [frame.data] : [];
    if (typeof frame.ack === 'number') {
      const waiter = pending.get(frame.ack);
      if (!waiter) return;
      pending.delete(frame.ack);
      clearTimeout(waiter.timer);
      waiter.resolve(args[0]);
      return;
    }
    if (typeof frame.event !== 'string') return;
    if (frame.event === 'connect') {
      isConnected = true;
      attempt = 0;
      events.emit('connect', { id: frame.data?.id });
      return;
    }
    // The server asks for an answer: the chat never does, but do not leave it waiting.
    if (typeof frame.id === 'number') ws?.send(JSON.stringify({ ack: frame.id, args: [] }));
    events.emit(frame.event, ...args);
  }

  function open() {
    retryTimer = null;
    const socket = new WebSocket(url());
    ws = socket;
    socket.binaryType = 'arraybuffer';
    socket.addEventListener('message', (e) => {
      if (socket === ws && typeof e.data === 'string') onFrame(e.data);
    });
    socket.addEventListener('close', (e) => {
      if (socket !== ws) return;
      ws = null;
      const was = isConnected;
      isConnected = false;
      failPending('connection closed');
      if (was) events.emit('disconnect', e.reason || `closed (${e.code})`);
      else if (wanted) events.emit('connect_error', { message: e.reason || `cannot connect (${e.code})` });
      if (wanted) scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    attempt++;
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** (attempt - 1));
    events.emit('reconnecting', attempt);
    retryTimer = setTimeout(open, delay * (0.75 + Math.random() / 2));
  }

  return {
    kind: 'plain',
    on: events.on,
    get connected() {
      return isConnected;
    },
    connect() {
      if (wanted) return;
      wanted = true;
      open();
    },
    disconnect() {
      wanted = false;
      clearTimeout(retryTimer);
      const socket = ws;
      ws = null;
      const was = isConnected;
      isConnected = false;
      socket?.close(1000, 'bye');
      failPending('disconnected');
      if (was) events.emit('disconnect', 'io client disconnect');
    },
    request(event, data) {
      if (!ws || !isConnected) return Promise.reject(new Error('not connected'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`no answer to "${event}" within ${REQUEST_TIMEOUT_MS / 1000} s`));
        }, REQUEST_TIMEOUT_MS);
        pending.set(id, { resolve, reject, timer });
        ws.send(JSON.stringify({ event, data, id }));
      });
    },
    send(event, data) {
      if (ws && isConnected) ws.send(JSON.stringify({ event, data }));
    },
  };
}

/** Builds the transport of the given kind: 'socketio' or 'plain'. */
export function createTransport(kind, options) {
  return kind === 'plain' ? plainTransport(options) : socketIoTransport(options);
}
