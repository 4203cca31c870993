import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ConnectDeadlineSubject, ConnectDeadlines } from '../../src/socket/connect-deadlines.js';

interface Probe extends ConnectDeadlineSubject {
  name: string;
  firedAt: number | undefined;
}

function probe(name: string, log: string[], addedAt: () => number): Probe {
  const p: Probe = {
    name,
    connectDue: 0,
    firedAt: undefined,
    connectTimedOut() {
      p.firedAt = performance.now() - addedAt();
      log.push(name);
    },
  };
  return p;
}

function waitFor(check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = (): void => {
      if (check()) resolve();
      else setTimeout(poll, 2);
    };
    poll();
  });
}

describe('connect deadlines', () => {
  test('subjects time out in the order they were added, each after the timeout', async () => {
    const deadlines = new ConnectDeadlines(30);
    const log: string[] = [];
    const start = performance.now();
    const a = probe('a', log, () => start);
    deadlines.add(a);
    await new Promise((r) => setTimeout(r, 10));
    const bStart = performance.now();
    const b = probe('b', log, () => bStart);
    deadlines.add(b);
    await waitFor(() => log.length === 2);
    assert.deepEqual(log, ['a', 'b']);
    assert.ok(a.firedAt !== undefined && a.firedAt >= 30, `a fired after ${a.firedAt} ms`);
    assert.ok(b.firedAt !== undefined && b.firedAt >= 30, `b fired after ${b.firedAt} ms`);
    assert.equal(deadlines.size, 0);
  });

  test('a removed subject never times out, the others still do', async () => {
    const deadlines = new ConnectDeadlines(15);
    const log: string[] = [];
    const start = performance.now();
    const subjects = ['a', 'b', 'c', 'd'].map((n) => probe(n, log, () => start));
    for (const s of subjects) deadlines.add(s);
    deadlines.remove(subjects[0]!);
    deadlines.remove(subjects[2]!);
    await waitFor(() => log.length === 2);
    // One more timer period: nothing else fires.
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(log, ['b', 'd']);
  });

  test('clear stops the timer and forgets every subject', async () => {
    const deadlines = new ConnectDeadlines(10);
    const log: string[] = [];
    const start = performance.now();
    deadlines.add(probe('a', log, () => start));
    deadlines.clear();
    await new Promise((r) => setTimeout(r, 40));
    assert.deepEqual(log, []);
    assert.equal(deadlines.size, 0);
    // Still usable afterwards.
    deadlines.add(probe('b', log, () => start));
    await waitFor(() => log.length === 1);
    assert.deepEqual(log, ['b']);
  });
});
