// The chat page. Transport-agnostic: it only uses the adapter from transport.js
// (connect / disconnect / request / send / on). Every piece of user text reaches the DOM as a text
// node (textContent, or strings given to append()), never as HTML.
import { createTransport } from './transport.js';

const LOBBY = 'lobby';
const HISTORY_PAGE = 50; // the server sends this many messages with a join ack
const TYPING_SEND_EVERY_MS = 2000;
const TYPING_SHOW_MS = 3500;
const MAX_ERRORS_SHOWN = 5;

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const ui = {
  connectForm: $('connect-form'),
  name: $('name'),
  connect: $('connect'),
  status: $('status'),
  errors: $('errors'),
  rooms: $('rooms'),
  joinForm: $('join-form'),
  joinRoom: $('join-room'),
  currentRoom: $('current-room'),
  loadOlder: $('load-older'),
  messages: $('messages'),
  empty: $('empty'),
  typing: $('typing'),
  sendForm: $('send-form'),
  input: $('message-input'),
  send: $('send'),
  sendStatus: $('send-status'),
  members: $('members'),
  memberCount: $('member-count'),
};

const socketPath = document.querySelector('meta[name="parley-path"]')?.content || '/ws/chat/';

const state = {
  transport: null,
  myId: '',
  myName: null,
  lastId: 0, // the newest message id seen in any room: sent on reconnect to get the missed ones
  current: LOBBY,
  rooms: new Map(), // name -> room (see newRoom)
  lastTypingSent: 0,
};

function newRoom(name) {
  return { name, messages: [], ids: new Set(), members: [], count: 0, hasMore: false, unread: 0, typing: new Map() };
}

// --- small DOM helpers -----------------------------------------------------------------------------

/** Builds an element; `children` are nodes or strings (strings become text nodes). */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'className') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== false) node.setAttribute(key, value === true ? '' : value);
  }
  node.append(...children);
  return node;
}

function describeError(err) {
  if (err && typeof err === 'object' && 'code' in err) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** Shows an error in the banner list at the top (newest first, dismissible). */
function showError(context, err, kind = 'request') {
  const item = el(
    'li',
    { className: 'error', 'data-testid': 'error', 'data-kind': kind },
    el('strong', { text: context }),
    ' ',
    el('span', { text: describeError(err) }),
    el(
      'button',
      { type: 'button', className: 'dismiss', 'aria-label': 'dismiss', onclick: () => item.remove() },
      '×',
    ),
  );
  ui.errors.prepend(item);
  while (ui.errors.children.length > MAX_ERRORS_SHOWN) ui.errors.lastElementChild.remove();
}

/** Sends a request; resolves with the ack when it is `{ok:true}`, else shows the error and gives null. */
/** Reads (joins, history pages) refused for the budget are asked again when it has refilled. */
const READ_EVENTS = new Set(['join', 'history']);
const READ_RETRIES = 3;
const MAX_RETRY_WAIT_MS = 10_000;

async function ask(event, data, context) {
  for (let attempt = 0; ; attempt++) {
    try {
      const reply = await state.transport.request(event, data);
      if (reply?.ok) return reply;
      const error = reply?.error;
      const wait = error?.code === 'rate_limited' ? Number(error.retryAfterMs) : Number.NaN;
      if (READ_EVENTS.has(event) && attempt < READ_RETRIES && wait >= 0 && state.transport) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(wait, MAX_RETRY_WAIT_MS)));
        continue;
      }
      showError(context, error ?? 'unexpected answer');
    } catch (err) {
      showError(context, err);
    }
    return null;
  }
}

function setStatus(text, kind) {
  ui.status.textContent = text;
  ui.status.dataset.state = kind;
}

/** This page's name as the server gave it (trimmed, or a guest name): the member with our socket id. */
function myName() {
  for (const room of state.rooms.values()) {
    const me = room.members.find((m) => m.id === state.myId);
    if (me) state.myName = me.name;
  }
  return state.myName;
}

// --- messages --------------------------------------------------------------------------------------

/** Adds messages to their room, keeping it sorted by id and free of duplicates. Returns how many were new. */
function addMessages(room, messages) {
  let added = 0;
  for (const msg of messages) {
    if (!msg || typeof msg.id !== 'number' || room.ids.has(msg.id)) continue;
    room.ids.add(msg.id);
    room.messages.push(msg);
    state.lastId = Math.max(state.lastId, msg.id);
    room.typing.delete(msg.from);
    added++;
  }
  if (added > 0) room.messages.sort((a, b) => a.id - b.id);
  return added;
}

function formatTime(ts) {
  const date = new Date(ts);
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function messageNode(msg, mine) {
  return el(
    'li',
    { className: mine ? 'message mine' : 'message', 'data-testid': 'message', 'data-id': String(msg.id) },
    el(
      'div',
      { className: 'meta' },
      el('span', {
        className: 'from',
        'data-testid': 'message-from',
        text: msg.from,
        // The sender's socket id on hover: two people may pick the same name. Old rows have none.
        title: typeof msg.fromId === 'string' ? `${msg.from} (${msg.fromId})` : undefined,
      }),
      el('time', { text: formatTime(msg.ts), datetime: new Date(msg.ts).toISOString(), title: `#${msg.id}` }),
    ),
    el('div', { className: 'content', 'data-testid': 'message-content', text: msg.content }),
  );
}

/** Redraws the current room's messages, keeping the reader where they were (or at the bottom). */
function renderMessages({ keepOffsetFromBottom = false } = {}) {
  const room = state.rooms.get(state.current);
  const list = ui.messages;
  const fromBottom = list.scrollHeight - list.scrollTop;
  const atBottom = fromBottom - list.clientHeight < 40;
  const me = myName();
  list.replaceChildren(...(room?.messages ?? []).map((m) => messageNode(m, m.from === me)));
  ui.empty.hidden = (room?.messages.length ?? 0) > 0;
  ui.loadOlder.hidden = !room?.hasMore;
  if (keepOffsetFromBottom) list.scrollTop = list.scrollHeight - fromBottom;
  else if (atBottom) list.scrollTop = list.scrollHeight;
}

function renderMembers() {
  const room = state.rooms.get(state.current);
  const members = room?.members ?? [];
  ui.members.replaceChildren(
    ...members.map((m) =>
      el(
        'li',
        { className: m.id === state.myId ? 'member me' : 'member', 'data-testid': 'member', title: m.id },
        m.name,
        m.id === state.myId ? el('span', { className: 'you', text: ' (you)' }) : '',
      ),
    ),
  );
  // Snapshots list at most the server's display limit; the count is the whole room.
  ui.memberCount.textContent = String(Math.max(room?.count ?? 0, members.length));
}

function renderRooms() {
  ui.rooms.replaceChildren(
    ...[...state.rooms.values()].map((room) => {
      const active = room.name === state.current;
      const item = el(
        'li',
        { className: active ? 'room active' : 'room' },
        el(
          'button',
          {
            type: 'button',
            className: 'room-name',
            'data-testid': `room-${room.name}`,
            'aria-current': active ? 'true' : undefined,
            onclick: () => switchRoom(room.name),
          },
          `#${room.name}`,
          room.unread > 0 ? el('span', { className: 'badge', text: String(room.unread) }) : '',
        ),
      );
      if (room.name !== LOBBY) {
        item.append(
          el('button', {
            type: 'button',
            className: 'leave',
            title: `leave #${room.name}`,
            'aria-label': `leave ${room.name}`,
            'data-testid': `leave-${room.name}`,
            text: '×',
            onclick: () => leaveRoom(room.name),
          }),
        );
      }
      return item;
    }),
  );
}

function renderTyping() {
  const room = state.rooms.get(state.current);
  const names = [...(room?.typing.keys() ?? [])];
  let text = '';
  if (names.length === 1) text = `${names[0]} is typing…`;
  else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
  else if (names.length > 2) text = `${names.length} people are typing…`;
  ui.typing.textContent = text;
}

function renderAll() {
  ui.currentRoom.textContent = state.current;
  renderRooms();
  renderMessages();
  renderMembers();
  renderTyping();
}

function switchRoom(name) {
  const room = state.rooms.get(name);
  if (!room) return;
  state.current = name;
  room.unread = 0;
  renderAll();
  ui.messages.scrollTop = ui.messages.scrollHeight;
  ui.input.focus();
}

// --- rooms -----------------------------------------------------------------------------------------

/**
 * Joins a room (or rejoins it after a reconnect). The ack carries the members and the newest
 * history page; a room we already had messages for is then caught up with `history {after}`.
 */
async function joinRoom(name, { focus = false } = {}) {
  const reply = await ask('join', { room: name }, `join #${name}`);
  if (!reply) return false;
  const room = state.rooms.get(reply.room) ?? newRoom(reply.room);
  state.rooms.set(room.name, room);
  const seenBefore = room.messages.at(-1)?.id ?? 0;
  applyPresence(room, { members: Array.isArray(reply.members) ? reply.members : [], count: reply.count });
  const history = Array.isArray(reply.history) ? reply.history : [];
  if (room.messages.length === 0) room.hasMore = history.length >= HISTORY_PAGE;
  addMessages(room, history);
  if (seenBefore > 0) await catchUp(room, seenBefore);
  if (focus) switchRoom(room.name);
  else renderAll();
  return true;
}

/** Fetches every message of `room` after `after`, page by page. */
async function catchUp(room, after) {
  for (;;) {
    const page = await ask('history', { room: room.name, after, limit: 100 }, `history of #${room.name}`);
    if (!page || !Array.isArray(page.messages) || page.messages.length === 0) return;
    addMessages(room, page.messages);
    after = page.messages.at(-1).id;
    if (!page.hasMore) return;
  }
}

async function leaveRoom(name) {
  if (!state.transport?.connected) {
    showError(`leave #${name}`, 'not connected');
    return;
  }
  const reply = await ask('leave', { room: name }, `leave #${name}`);
  if (!reply) return;
  state.rooms.delete(name);
  if (state.current === name) switchRoom(LOBBY);
  else renderRooms();
}

async function loadOlder() {
  const room = state.rooms.get(state.current);
  const oldest = room?.messages[0]?.id;
  if (!room || oldest === undefined) return;
  ui.loadOlder.disabled = true;
  const page = await ask('history', { room: room.name, before: oldest }, `history of #${room.name}`);
  ui.loadOlder.disabled = false;
  if (!page) return;
  addMessages(room, page.messages ?? []);
  room.hasMore = Boolean(page.hasMore);
  if (room.name === state.current) renderMessages({ keepOffsetFromBottom: true });
}

// --- connection ------------------------------------------------------------------------------------

function setConnectedUi(connected) {
  ui.input.disabled = !connected;
  ui.send.disabled = !connected;
}

function setFormLocked(locked) {
  ui.name.disabled = locked;
  for (const radio of ui.connectForm.querySelectorAll('input[type=radio]')) radio.disabled = locked;
  ui.connect.textContent = locked ? 'Disconnect' : 'Connect';
  ui.connect.dataset.action = locked ? 'disconnect' : 'connect';
}

function connect() {
  const name = ui.name.value.trim();
  const kind = ui.connectForm.elements.transport.value === 'plain' ? 'plain' : 'socketio';
  try {
    localStorage.setItem('parley.name', name);
    localStorage.setItem('parley.transport', kind);
  } catch {
    // Storage may be unavailable (private mode); remembering the form is only a convenience.
  }
  const transport = createTransport(kind, { path: socketPath, name, lastId: () => state.lastId });
  state.transport = transport;
  if (!state.rooms.has(LOBBY)) state.rooms.set(LOBBY, newRoom(LOBBY));

  let connectErrorShown = false; // one banner per outage, not one per retry
  transport.on('connect', async ({ id }) => {
    if (state.transport !== transport) return;
    state.myId = id ?? '';
    connectErrorShown = false;
    for (const stale of ui.errors.querySelectorAll('[data-kind="connection"]')) stale.remove();
    setStatus(`connected · ${kind === 'plain' ? 'plain WebSocket' : 'Socket.IO'}`, 'online');
    setConnectedUi(true);
    // The server puts every connection in the lobby; other rooms are joined again.
    for (const name of [LOBBY, ...[...state.rooms.keys()].filter((r) => r !== LOBBY)]) await joinRoom(name);
  });
  transport.on('disconnect', (reason) => {
    if (state.transport !== transport) return;
    setStatus(`disconnected (${reason})`, 'offline');
    setConnectedUi(false);
    forgetPresence();
  });
  transport.on('reconnecting', (attempt) => {
    if (state.transport === transport) setStatus(`reconnecting… (attempt ${attempt})`, 'connecting');
  });
  transport.on('connect_error', (err) => {
    if (state.transport !== transport) return;
    setStatus('cannot connect, retrying…', 'connecting');
    if (!connectErrorShown) showError('connection', err?.message ?? err, 'connection');
    connectErrorShown = true;
  });
  transport.on('message', (msg) => {
    const room = state.rooms.get(msg?.room);
    if (!room || addMessages(room, [msg]) === 0) return;
    if (room.name === state.current) {
      renderMessages();
      renderTyping();
    } else {
      room.unread++;
      renderRooms();
    }
  });
  transport.on('presence', (presence) => {
    const room = state.rooms.get(presence?.room);
    if (!room || !applyPresence(room, presence)) return;
    if (room.name === state.current) renderMembers();
  });
  transport.on('typing', (typing) => {
    const room = state.rooms.get(typing?.room);
    if (!room || typeof typing.from !== 'string') return;
    clearTimeout(room.typing.get(typing.from));
    room.typing.set(
      typing.from,
      setTimeout(() => {
        room.typing.delete(typing.from);
        renderTyping();
      }, TYPING_SHOW_MS),
    );
    renderTyping();
  });
  transport.on('error', (err) => showError('server', err));

  setFormLocked(true);
  setStatus('connecting…', 'connecting');
  transport.connect();
}

function disconnect() {
  const transport = state.transport;
  state.transport = null;
  transport?.disconnect();
  setFormLocked(false);
  setConnectedUi(false);
  setStatus('offline', 'offline');
  forgetPresence();
}

/**
 * Applies a presence event: a snapshot (`members`) replaces the list, a delta (`joined`, `left`)
 * adds and removes members by id; both carry the room's `count`. Returns false for anything else.
 */
function applyPresence(room, presence) {
  const isMember = (m) => typeof m?.id === 'string' && typeof m.name === 'string';
  if (Array.isArray(presence.members)) {
    room.members = presence.members.filter(isMember);
  } else if (Array.isArray(presence.joined) && Array.isArray(presence.left)) {
    const gone = new Set(presence.left.filter(isMember).map((m) => m.id));
    const members = room.members.filter((m) => !gone.has(m.id));
    const known = new Set(members.map((m) => m.id));
    for (const m of presence.joined.filter(isMember)) if (!known.has(m.id)) members.push(m);
    room.members = members;
  } else return false;
  room.count = Number.isInteger(presence.count) ? presence.count : room.members.length;
  return true;
}

/** Offline, nobody is known to be around: the members come back with the join acks. */
function forgetPresence() {
  for (const room of state.rooms.values()) {
    room.members = [];
    room.count = 0;
    for (const timer of room.typing.values()) clearTimeout(timer);
    room.typing.clear();
  }
  renderMembers();
  renderTyping();
}

// --- sending ---------------------------------------------------------------------------------------

async function sendMessage() {
  const content = ui.input.value;
  if (content.trim() === '' || !state.transport) return;
  const room = state.current;
  ui.sendStatus.className = 'send-status pending';
  ui.sendStatus.textContent = 'sending…';
  try {
    const reply = await state.transport.request('message', { type: 'text', content, room });
    if (reply?.ok) {
      ui.sendStatus.className = 'send-status ok';
      ui.sendStatus.textContent = `sent to #${room} as message #${reply.id}`;
      if (ui.input.value === content) ui.input.value = '';
    } else {
      ui.sendStatus.className = 'send-status failed';
      ui.sendStatus.textContent = `not sent: ${describeError(reply?.error ?? 'unexpected answer')}`;
    }
  } catch (err) {
    ui.sendStatus.className = 'send-status failed';
    ui.sendStatus.textContent = `not sent: ${describeError(err)}`;
  }
}

function typed() {
  const now = Date.now();
  if (!state.transport?.connected || ui.input.value.trim() === '') return;
  if (now - state.lastTypingSent < TYPING_SEND_EVERY_MS) return;
  state.lastTypingSent = now;
  state.transport.send('typing', { room: state.current });
}

// --- wiring ----------------------------------------------------------------------------------------

ui.connectForm.addEventListener('submit', (e) => {
  e.preventDefault();
  if (state.transport) disconnect();
  else connect();
});
ui.joinForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const name = ui.joinRoom.value.trim();
  if (!name) return;
  if (!state.transport?.connected) {
    showError(`join #${name}`, 'not connected');
    return;
  }
  if (await joinRoom(name, { focus: true })) ui.joinRoom.value = '';
});
ui.sendForm.addEventListener('submit', (e) => {
  e.preventDefault();
  void sendMessage();
});
ui.input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    void sendMessage();
  }
});
ui.input.addEventListener('input', typed);
ui.loadOlder.addEventListener('click', () => void loadOlder());

try {
  ui.name.value = localStorage.getItem('parley.name') ?? '';
  const kind = localStorage.getItem('parley.transport');
  if (kind === 'plain' || kind === 'socketio') ui.connectForm.elements.transport.value = kind;
} catch {
  // No storage: start with an empty form.
}
state.rooms.set(LOBBY, newRoom(LOBBY));
renderAll();
