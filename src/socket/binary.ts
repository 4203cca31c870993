/**
 * The binary convention the Socket.IO codec and the plain-WebSocket codec share: placeholders,
 * `{"_placeholder":true,"num":N}`, by which a JSON payload refers to the binary messages that
 * travel after it. Pure helpers; never throw.
 */

/** Deeper nesting is left as it is (neither searched nor rebuilt). */
const MAX_DEPTH = 64;

function isBinary(value: unknown): value is ArrayBuffer | ArrayBufferView {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

function toBuffer(value: ArrayBuffer | ArrayBufferView): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** True when the value holds a Buffer, ArrayBuffer or typed array anywhere inside. */
export function hasBinary(value: unknown, depth = 0): boolean {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return false;
  if (isBinary(value)) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (hasBinary(item, depth + 1)) return true;
    return false;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  for (const key in value) {
    if (Object.hasOwn(value, key) && hasBinary((value as Record<string, unknown>)[key], depth + 1)) {
      return true;
    }
  }
  return false;
}

/** Copies `value` with every binary value replaced by a placeholder; the buffers go to `buffers`. */
export function extractBinary(value: unknown, buffers: Buffer[], depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (isBinary(value)) {
    buffers.push(toBuffer(value));
    return { _placeholder: true, num: buffers.length - 1 };
  }
  if (Array.isArray(value)) return value.map((item) => extractBinary(item, buffers, depth + 1));
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (Object.hasOwn(value, key)) {
      out[key] = extractBinary((value as Record<string, unknown>)[key], buffers, depth + 1);
    }
  }
  return out;
}

/**
 * Copies `value` with every placeholder replaced by its buffer; undefined when a placeholder
 * points past the buffers received.
 */
export function insertBinary(value: unknown, buffers: readonly Buffer[]): { value: unknown } | undefined {
  let missing = false;
  const replace = (item: unknown, depth: number): unknown => {
    if (item === null || typeof item !== 'object' || depth > MAX_DEPTH) return item;
    if (Array.isArray(item)) return item.map((inner) => replace(inner, depth + 1));
    const record = item as Record<string, unknown>;
    if (record._placeholder === true && typeof record.num === 'number') {
      const buffer = Number.isInteger(record.num) ? buffers[record.num] : undefined;
      if (buffer === undefined) missing = true;
      return buffer;
    }
    const out: Record<string, unknown> = {};
    for (const key in record) if (Object.hasOwn(record, key)) out[key] = replace(record[key], depth + 1);
    return out;
  };
  const rebuilt = replace(value, 0);
  return missing ? undefined : { value: rebuilt };
}
