import type { OutgoingHttpHeaders } from 'node:http';
import type { RequestSource } from './http/exchange.js';
import type { CorsOptions } from './options.js';

/** CORS headers for one request: those for every answer, and those only a preflight answer carries. */
export interface CorsHeaders {
  readonly common: OutgoingHttpHeaders;
  readonly preflight: OutgoingHttpHeaders;
}

const DEFAULT_METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE';

function list(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

function addVary(headers: OutgoingHttpHeaders, field: string): void {
  const current = headers.Vary;
  headers.Vary = typeof current === 'string' && current.length > 0 ? `${current}, ${field}` : field;
}

/** What `Access-Control-Allow-Origin` should say for `origin`, without the function case. */
function staticAllow(
  rule: Exclude<CorsOptions['origin'], Function | undefined>,
  origin: string | undefined,
): { allow: string | false; vary: boolean } {
  if (rule === '*') return { allow: '*', vary: false };
  if (typeof rule === 'string') return { allow: rule, vary: true };
  if (rule === true) return { allow: origin ?? false, vary: true };
  if (rule === false) return { allow: false, vary: false };
  const matches =
    origin !== undefined && (rule instanceof RegExp ? rule.test(origin) : rule.includes(origin));
  return { allow: matches ? origin : false, vary: true };
}

function build(
  options: CorsOptions,
  req: Pick<RequestSource, 'headers'>,
  allow: string | false,
  vary: boolean,
): CorsHeaders {
  const common: OutgoingHttpHeaders = {};
  const preflight: OutgoingHttpHeaders = {};
  if (vary) addVary(common, 'Origin');
  if (allow === false) return { common, preflight };
  common['Access-Control-Allow-Origin'] = allow;
  if (options.credentials === true) common['Access-Control-Allow-Credentials'] = 'true';
  const exposed = list(options.exposedHeaders);
  if (exposed) common['Access-Control-Expose-Headers'] = exposed;
  preflight['Access-Control-Allow-Methods'] = list(options.methods) ?? DEFAULT_METHODS;
  const allowed = list(options.allowedHeaders);
  if (allowed !== undefined) {
    if (allowed) preflight['Access-Control-Allow-Headers'] = allowed;
  } else {
    const requested = req.headers['access-control-request-headers'];
    if (requested) {
      preflight['Access-Control-Allow-Headers'] = requested;
      addVary(common, 'Access-Control-Request-Headers');
    }
  }
  if (options.maxAge !== undefined) preflight['Access-Control-Max-Age'] = String(options.maxAge);
  return { common, preflight };
}

/** Computes the CORS headers for a request (asynchronously when the origin rule is a function). */
export function corsHeaders(
  options: CorsOptions,
  req: RequestSource,
  done: (headers: CorsHeaders) => void,
): void {
  const origin = req.headers.origin;
  const rule = options.origin ?? '*';
  if (typeof rule !== 'function') {
    const { allow, vary } = staticAllow(rule, origin);
    done(build(options, req, allow, vary));
    return;
  }
  let called = false;
  const callback = (err: Error | null, allowed?: boolean | string): void => {
    if (called) return;
    called = true;
    if (err || allowed === undefined || allowed === false) done(build(options, req, false, true));
    else if (allowed === true) done(build(options, req, origin ?? false, true));
    else done(build(options, req, allowed, true));
  };
  try {
    rule(origin, callback, req);
  } catch (err) {
    callback(err instanceof Error ? err : new Error(String(err)));
  }
}
