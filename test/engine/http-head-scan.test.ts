/**
 * The incremental scan of a request head (scanHead in src/engine/http/head.ts): a pure function
 * over a state object and the next chunk. Each byte is examined once however the head is split,
 * and bytes that can no longer become a head the engine takes are foreign at once.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type HeadScanStatus,
  parseRequestHead,
  readCompleteHead,
  scanHead,
  startHeadScan,
} from '../../src/engine/http/head.js';

const MAX = 16 * 1024;

/** Feeds `bytes` one at a time; returns the statuses and the scan's examined count after each. */
function feedByteByByte(bytes: Buffer, max = MAX): { statuses: HeadScanStatus[]; examined: number[] } {
  const scan = startHeadScan();
  const statuses: HeadScanStatus[] = [];
  const examined: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    statuses.push(scanHead(scan, bytes.subarray(i, i + 1), max));
    examined.push(scan.examined);
  }
  return { statuses, examined };
}

describe('a request head scanned chunk by chunk', () => {
  test('a head fed one byte at a time is examined once per byte and reads as the whole head does', () => {
    // About 12 KB of header lines: re-examining what arrived before would cost ~70 M byte reads.
    let text = 'POST /e/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n';
    for (let i = 0; i < 300; i++) text += `X-Filler-${i}: ${'v'.repeat(24)}\r\n`;
    text += '\r\n';
    const bytes = Buffer.from(text, 'latin1');
    const { statuses, examined } = feedByteByByte(bytes);
    for (let i = 0; i < bytes.length - 1; i++) {
      assert.equal(statuses[i], 'more', `byte ${i}`);
      assert.equal(examined[i], i + 1, `byte ${i}`);
    }
    assert.equal(statuses.at(-1), 'complete');
    assert.equal(examined.at(-1), bytes.length);
    assert.deepEqual(readCompleteHead(bytes, bytes.length), parseRequestHead(bytes, MAX));
  });

  test('bytes after the end of the head are not examined', () => {
    const head = 'GET /e/ HTTP/1.1\r\nHost: h\r\n\r\n';
    const scan = startHeadScan();
    assert.equal(scanHead(scan, Buffer.from(`${head}GET /next HTTP/1.1\r\n`), MAX), 'complete');
    assert.equal(scan.examined, head.length);
    assert.equal(scanHead(scan, Buffer.from('more'), MAX), 'complete');
    assert.equal(scan.examined, head.length);
  });

  test('every proper prefix of a head the engine takes needs more bytes', () => {
    const text =
      'OPTIONS /e/?EIO=4 HTTP/1.1\r\nHost: h:1\r\nOrigin: http://x\r\nX-Latin: caf\xe9\t \r\nX-Empty:\r\n\r\n';
    const bytes = Buffer.from(text, 'latin1');
    for (let n = 1; n < bytes.length; n++) {
      assert.equal(scanHead(startHeadScan(), bytes.subarray(0, n), MAX), 'more', JSON.stringify(text.slice(0, n)));
    }
  });

  // [what, bytes, how many bytes are examined when the scan knows]
  const early: [string, Buffer, number][] = [
    ['a TLS ClientHello', Buffer.from('16030100a5010000a10303', 'hex'), 1],
    ['an SSH banner', Buffer.from('SSH-2.0-OpenSSH_9.6\r\n'), 1],
    ['a NUL byte', Buffer.from([0, 0x47, 0x45, 0x54]), 1],
    ['a lower-case method', Buffer.from('get /e/ HTTP/1.1\r\n'), 1],
    ['a method the engine leaves to node (PUT)', Buffer.from('PUT /e/ HTTP/1.1\r\n'), 2],
    ['HEAD', Buffer.from('HEAD /e/ HTTP/1.1\r\n'), 1],
    ['a leading empty line', Buffer.from('\r\nGET /e/ HTTP/1.1\r\n'), 1],
    ['two spaces after the method', Buffer.from('GET  /e/ HTTP/1.1\r\n'), 5],
    ['an absolute-form target', Buffer.from('GET http://h/e/ HTTP/1.1\r\n'), 5],
    ['a control character in the target', Buffer.from('GET /e/\x01 HTTP/1.1\r\n'), 8],
    ['HTTP/1.0', Buffer.from('GET / HTTP/1.0\r\nHost: h\r\n'), 14],
    ['a bare LF ending the request line', Buffer.from('GET / HTTP/1.1\nHost: h\n\n'), 15],
    ['a bare LF ending a header line', Buffer.from('GET / HTTP/1.1\r\nHost: h\nX: y\r\n'), 24],
    ['a bare CR inside a value', Buffer.from('GET / HTTP/1.1\r\nHost: h\rX'), 25],
    ['a folded (indented) header line', Buffer.from('GET / HTTP/1.1\r\nHost: h\r\n folded\r\n'), 26],
    ['a space before a colon', Buffer.from('GET / HTTP/1.1\r\nHost : h\r\n'), 21],
    ['a line without a colon', Buffer.from('GET / HTTP/1.1\r\nHost: h\r\nnonsense\r\n'), 34],
    ['a NUL in a value', Buffer.from('GET / HTTP/1.1\r\nHost: h\0\r\n'), 24],
  ];
  for (const [what, bytes, decidedAt] of early) {
    test(`foreign as soon as the bytes rule it out, however split: ${what}`, () => {
      const whole = startHeadScan();
      assert.equal(scanHead(whole, bytes, MAX), 'foreign');
      assert.equal(whole.examined, decidedAt);
      const { statuses, examined } = feedByteByByte(bytes);
      assert.deepEqual(statuses.slice(0, decidedAt - 1), Array(decidedAt - 1).fill('more'));
      assert.ok(statuses.slice(decidedAt - 1).every((s) => s === 'foreign'));
      // Nothing is examined once the scan is foreign.
      assert.equal(examined.at(-1), decidedAt);
    });
  }

  test('a head reaching maxHeaderBytes without its end is foreign', () => {
    const bytes = Buffer.from(`GET /e/ HTTP/1.1\r\nHost: h\r\nX: ${'y'.repeat(100)}`);
    const { statuses, examined } = feedByteByByte(bytes, 64);
    assert.equal(statuses[62], 'more');
    assert.equal(statuses[63], 'foreign');
    assert.equal(examined.at(-1), 64);
    // A head of exactly maxHeaderBytes (CRLFCRLF included) is still taken.
    const exact = Buffer.from('GET /e/ HTTP/1.1\r\nHost: h\r\n\r\n');
    assert.equal(scanHead(startHeadScan(), exact, exact.length), 'complete');
    assert.equal(scanHead(startHeadScan(), exact, exact.length - 1), 'foreign');
  });

  test('more than 2000 header lines is foreign at the line that passes the limit', () => {
    const scan = startHeadScan();
    assert.equal(scanHead(scan, Buffer.from('GET /e/ HTTP/1.1\r\n'), 1 << 20), 'more');
    const line = Buffer.from('X: y\r\n');
    for (let i = 0; i < 2000; i++) assert.equal(scanHead(scan, line, 1 << 20), 'more');
    assert.equal(scanHead(scan, line, 1 << 20), 'foreign');
  });
});
