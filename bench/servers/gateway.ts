/**
 * `parley gateway` on the benchmark contract, for the `gateway` scenario (which starts it itself,
 * beside the parley bench server it bridges to): startGateway with default options on
 * 127.0.0.1:$PORT at /socket.io/, upstream http://127.0.0.1:$UPSTREAM_PORT/socket.io/. Prints the
 * startup line; SIGUSR2 runs a full GC.
 */
import { startGateway } from '../../src/gateway/index.js';
import { announce, exitOnSignals, installGcHook, portFromEnv } from './common.js';

installGcHook();
const upstreamPort = Number(process.env.UPSTREAM_PORT);
if (!Number.isInteger(upstreamPort) || upstreamPort <= 0) throw new Error('UPSTREAM_PORT must be set');
const gateway = await startGateway({
  upstream: `http://127.0.0.1:${upstreamPort}`,
  host: '127.0.0.1',
  port: portFromEnv(),
});
announce('gateway', gateway.port);
exitOnSignals(() => gateway.close());
// Started by the scenario's load generator with a pipe as stdin: when that process dies (even by
// SIGKILL on its timeout), the pipe ends and the gateway goes with it instead of living on.
if (process.env.EXIT_WITH_STDIN === '1') {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
