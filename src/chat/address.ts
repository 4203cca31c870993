/**
 * The client address a request counts against (budgets, connection caps): the TCP peer, or with
 * `trustProxy` hops the entry that many proxies back in `X-Forwarded-For`. Only entries our own
 * proxies appended are trusted: a client can write anything at the left of the header, so the
 * address is read from the right.
 */

/** Headers as node gives them. */
type Headers = Readonly<Record<string, string | string[] | undefined>>;

/**
 * The address of the client behind `trustProxy` proxies. With 0 (no proxy) the TCP peer
 * `remoteAddress`. With n > 0, the n-th `X-Forwarded-For` entry from the right (the one the
 * outermost trusted proxy saw), or the leftmost one when the header has fewer entries; the peer
 * when there is no header. IPv4-mapped IPv6 peers (`::ffff:1.2.3.4`) read as IPv4.
 */
export function clientAddress(headers: Headers, remoteAddress: string | undefined, trustProxy: number): string {
  const peer = unmapped(remoteAddress ?? '');
  if (trustProxy <= 0) return peer;
  const raw = headers['x-forwarded-for'];
  const joined = Array.isArray(raw) ? raw.join(',') : raw;
  if (joined === undefined) return peer;
  const entries = joined
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  const chosen = entries[Math.max(0, entries.length - trustProxy)];
  return chosen === undefined ? peer : unmapped(chosen);
}

/** The first value of a forwarded header (`X-Forwarded-Proto: https, http` → `https`), trimmed. */
export function firstForwarded(headers: Headers, name: string): string | undefined {
  const raw = headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  const first = value?.split(',')[0]?.trim();
  return first === undefined || first === '' ? undefined : first;
}

function unmapped(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
