/**
 * The binary convention the Socket.IO codec and the plain-WebSocket codec share: placeholders,
 * `{"_placeholder":true,"num":N}`, by which a JSON payload refers to the binary messages that
 * travel after it. Pure helpers; never throw.
 *
 * Decoding walks what JSON.parse built: a tree of any depth, walked without recursion. Rebuilt
 * objects get exactly the own keys that arrived, `__proto__` included as a plain data property (as
 * JSON.parse leaves it), and their usual prototype. Encoding walks application values, which may
 * be circular: recursion, bounded by MAX_ENCODE_DEPTH.
 */

import type { EncodeFailure, EncodeResult } from './encode-error.js';

/**
 * Values nested deeper than this are not encoded (EncodeError 'too deeply nested'): a fixed bound,
 * well below where JSON.stringify runs out of stack (~4,000 levels), so that whether a payload can
 * be sent does not depend on how deep the caller's stack is.
 */
export const MAX_ENCODE_DEPTH = 1000;

function isBinary(value: unknown): value is ArrayBuffer | ArrayBufferView {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

function toBuffer(value: ArrayBuffer | ArrayBufferView): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Sets an own data property as JSON.parse does: an assignment to `__proto__` would set the prototype. */
function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

function hasToJson(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

// ---- encoding -------------------------------------------------------------------------------------

/** Thrown inside the encoding walks only, caught by encodeArgs. */
class TooDeep {}
const TOO_DEEP = new TooDeep();

/** Whether `value` holds binary; throws TOO_DEEP past MAX_ENCODE_DEPTH (also how a cycle ends). */
function findBinary(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth > MAX_ENCODE_DEPTH) throw TOO_DEEP;
  if (isBinary(value)) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (findBinary(item, depth + 1)) return true;
    return false;
  }
  // JSON.stringify takes what toJSON returns (a Date's string): nothing is searched inside.
  if (hasToJson(value)) return false;
  for (const key in value) {
    if (Object.hasOwn(value, key) && findBinary((value as Record<string, unknown>)[key], depth + 1)) {
      return true;
    }
  }
  return false;
}

/** True when the value holds a Buffer, ArrayBuffer or typed array (within MAX_ENCODE_DEPTH levels). */
export function hasBinary(value: unknown): boolean {
  try {
    return findBinary(value, 0);
  } catch {
    return false;
  }
}

/** Copies `value` with every binary value replaced by a placeholder; the buffers go to `buffers`. */
function extractBinary(value: unknown, buffers: Buffer[], depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_ENCODE_DEPTH) throw TOO_DEEP;
  if (isBinary(value)) {
    buffers.push(toBuffer(value));
    return { _placeholder: true, num: buffers.length - 1 };
  }
  if (Array.isArray(value)) return value.map((item) => extractBinary(item, buffers, depth + 1));
  if (hasToJson(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (Object.hasOwn(value, key)) {
      defineOwn(out, key, extractBinary((value as Record<string, unknown>)[key], buffers, depth + 1));
    }
  }
  return out;
}

/**
 * Whether a value too deep to encode is so because it contains itself: a depth-first walk that
 * marks what is on the current path and what is done, so each object is entered once.
 */
function isCircular(root: unknown): boolean {
  const onPath = new Set<object>();
  const done = new Set<object>();
  const stack: { node: object; children: unknown[]; next: number }[] = [];
  const enter = (value: unknown): boolean => {
    if (value === null || typeof value !== 'object' || isBinary(value) || done.has(value)) return false;
    if (onPath.has(value)) return true;
    let children: unknown[] = [];
    if (Array.isArray(value)) children = value;
    else if (!hasToJson(value)) children = Object.values(value);
    onPath.add(value);
    stack.push({ node: value, children, next: 0 });
    return false;
  };
  if (enter(root)) return true;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next < top.children.length) {
      if (enter(top.children[top.next++])) return true;
    } else {
      stack.pop();
      onPath.delete(top.node);
      done.add(top.node);
    }
  }
  return false;
}

/** isCircular, for a value whose getters may throw (they ran once already, but need not again). */
function isCircularSafely(value: unknown): boolean {
  try {
    return isCircular(value);
  } catch {
    return false;
  }
}

function failure(
  code: EncodeFailure['code'],
  message: string,
  cause?: unknown,
): { ok: false; error: EncodeFailure } {
  return { ok: false, error: cause === undefined ? { code, message } : { code, message, cause } };
}

/** An array of values as it travels, the same for every wire format. */
export interface EncodedArgs {
  /** JSON text of the array, with placeholders in place of binary values. */
  readonly json: string;
  /** The binary values, in placeholder order. */
  readonly buffers: readonly Buffer[];
}

const NO_BUFFERS: readonly Buffer[] = Object.freeze([]);

/**
 * Encodes an array of values (an event's data, its name first, or an ack's) once for every wire
 * format: binary values become placeholders, the rest JSON text. Fails, without throwing, for
 * values nested deeper than MAX_ENCODE_DEPTH, circular ones and whatever JSON.stringify refuses.
 */
export function encodeArgs(values: readonly unknown[]): EncodeResult<EncodedArgs> {
  try {
    if (!findBinary(values, 0))
      return { ok: true, value: { json: JSON.stringify(values), buffers: NO_BUFFERS } };
    const buffers: Buffer[] = [];
    const json = JSON.stringify(extractBinary(values, buffers, 0));
    return { ok: true, value: { json, buffers } };
  } catch (err) {
    return encodeFailure(err, values);
  }
}

/** Encodes a JSON value that carries no binary (CONNECT and CONNECT_ERROR payloads). */
export function encodeJson(value: unknown): EncodeResult<string | undefined> {
  try {
    findBinary(value, 0);
    return { ok: true, value: JSON.stringify(value) };
  } catch (err) {
    return encodeFailure(err, value);
  }
}

function encodeFailure(err: unknown, value: unknown): { ok: false; error: EncodeFailure } {
  if (err === TOO_DEEP) {
    return isCircularSafely(value)
      ? failure('circular reference', 'the payload contains a circular reference')
      : failure('too deeply nested', `the payload is nested deeper than ${MAX_ENCODE_DEPTH} levels`);
  }
  // What JSON.stringify (or a toJSON, a getter) threw. The walks above catch cycles and depth
  // before it can see them, except below a value with toJSON.
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof RangeError && /call stack/i.test(message)) {
    return failure('too deeply nested', 'the payload is nested too deeply to encode', err);
  }
  if (err instanceof TypeError && /circular/i.test(message)) {
    return failure('circular reference', 'the payload contains a circular reference', err);
  }
  return failure('not serializable', `the payload cannot be encoded as JSON: ${message.split('\n')[0]}`, err);
}

// ---- decoding -------------------------------------------------------------------------------------

/** An object whose own `_placeholder` is true is a placeholder, valid or not (as socket.io-parser). */
function isPlaceholder(value: object): value is { _placeholder: true; num?: unknown } {
  return Object.hasOwn(value, '_placeholder') && (value as { _placeholder?: unknown })._placeholder === true;
}

/**
 * Whether JSON text can hold a placeholder at all: JSON spells the key `_placeholder` either as
 * it is or with \u escapes. Most payloads have neither, and skip the walk of containsPlaceholder.
 */
export function mayHoldPlaceholder(json: string): boolean {
  return json.includes('_placeholder') || json.includes('\\u');
}

/** True when a decoded JSON value holds a placeholder anywhere, at any depth. */
export function containsPlaceholder(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: object[] = [value];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (Array.isArray(item)) {
      for (const inner of item) if (inner !== null && typeof inner === 'object') stack.push(inner);
      continue;
    }
    if (isPlaceholder(item)) return true;
    for (const key in item) {
      if (!Object.hasOwn(item, key)) continue;
      const inner = (item as Record<string, unknown>)[key];
      if (inner !== null && typeof inner === 'object') stack.push(inner);
    }
  }
  return false;
}

/** A short description of a placeholder's num for an error message (it may be anything). */
function describeNum(num: unknown): string {
  if (typeof num === 'number') return String(num);
  if (typeof num === 'string') return `the string ${JSON.stringify(num.slice(0, 20))}`;
  return num === null ? 'null' : typeof num;
}

/** The outcome of putting attachments in place: the rebuilt value, or why they do not match. */
export type InsertResult = { ok: true; value: unknown } | { ok: false; unused: boolean; message: string };

/**
 * Copies a decoded JSON value with every placeholder replaced by its buffer. Fails when a
 * placeholder's `num` is not the integer index of one of `buffers`, or when a buffer is referred to
 * by no placeholder (`unused`): either way an attachment would be lost or made up.
 */
export function insertBinary(value: unknown, buffers: readonly Buffer[]): InsertResult {
  const used = new Array<boolean>(buffers.length).fill(false);
  let invalid: string | undefined;
  // Containers copied empty, waiting to be filled from their source.
  const pending: [source: object, target: unknown[] | Record<string, unknown>][] = [];
  const take = (item: unknown): unknown => {
    if (item === null || typeof item !== 'object') return item;
    if (Array.isArray(item)) {
      const copy: unknown[] = [];
      pending.push([item, copy]);
      return copy;
    }
    if (isPlaceholder(item)) {
      const num = Object.hasOwn(item, 'num') ? item.num : undefined;
      if (typeof num !== 'number' || !Number.isInteger(num) || num < 0 || num >= buffers.length) {
        invalid ??= `a placeholder's num (${describeNum(num)}) is not the index of one of the ${buffers.length} attachments`;
        return undefined;
      }
      used[num] = true;
      return buffers[num];
    }
    const copy: Record<string, unknown> = {};
    pending.push([item, copy]);
    return copy;
  };
  const root = take(value);
  while (pending.length > 0 && invalid === undefined) {
    const [source, target] = pending.pop()!;
    if (Array.isArray(target)) {
      for (const item of source as unknown[]) target.push(take(item));
    } else {
      for (const key in source) {
        if (Object.hasOwn(source, key))
          defineOwn(target, key, take((source as Record<string, unknown>)[key]));
      }
    }
  }
  if (invalid !== undefined) return { ok: false, unused: false, message: invalid };
  const unused = used.indexOf(false);
  if (unused !== -1) {
    return { ok: false, unused: true, message: `attachment ${unused} is referred to by no placeholder` };
  }
  return { ok: true, value: root };
}
