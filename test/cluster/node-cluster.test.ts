/**
 * Cluster: @socket.io/cluster-adapter across node:cluster workers (a primary with two workers, each
 * a server under test on its own port): a broadcast asked of one worker reaches clients of both,
 * fetchSockets on one lists the sockets of both, serverSideEmitWithAck gets the other worker's
 * answer. Run against parley and, with PARLEY_TEST_AGAINST=socket.io, socket.io.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { closeClients, connectClient, waitForArgs } from '../support/fixtures.js';
import { type StartedProcess, startProcess } from '../support/processes.js';

let primary: StartedProcess<number[]> | undefined;
before(async () => {
  primary = await startProcess('test/cluster/fixtures/node-cluster-server.ts', {
    ready: (line) => (line.startsWith('ready ') ? line.slice(6).split(' ').map(Number) : undefined),
  });
});
after(async () => {
  await primary?.stop('SIGTERM');
});
afterEach(closeClients);

describe('cluster adapter: two node:cluster workers', () => {
  test('a broadcast from one worker reaches the clients of both; fetchSockets and serverSideEmitWithAck span both', async () => {
    const [first, second] = primary!.ready;
    const a = await connectClient(`http://127.0.0.1:${first}`, { transports: ['websocket'] });
    const b = await connectClient(`http://127.0.0.1:${second}`, { transports: ['websocket'] });
    const onA = waitForArgs(a, 'news');
    const onB = waitForArgs(b, 'news');
    a.emit('broadcast', 'hello');
    const [[messageA, worker], [messageB, sameWorker]] = await Promise.all([onA, onB]);
    assert.equal(messageA, 'hello');
    assert.equal(messageB, 'hello');
    assert.equal(worker, sameWorker);
    assert.equal(await b.timeout(3000).emitWithAck('count'), 2);
    const answers = (await a.timeout(3000).emitWithAck('ask-servers')) as unknown[];
    assert.equal(answers.length, 1);
    assert.notEqual(answers[0], worker);
  });
});
