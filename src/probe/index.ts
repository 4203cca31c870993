/** `parley probe`: what an endpoint speaks, why a client fails there, and how to connect. */
export { formatReport } from './format.js';
export { probe } from './probe.js';
export { DEFAULT_CHECK_TIMEOUT_MS, type ProbeTarget, parseTarget } from './recorder.js';
export { GATEWAY_LISTEN, gatewayCommand, snippetsFor } from './snippets.js';
export type * from './types.js';
export { describeVerdict, exitCodeOf, speaksOf } from './verdict.js';
