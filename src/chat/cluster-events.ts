/**
 * What the chat's Redis link reports, and its defaults, apart from cluster.ts so that a chat
 * without `--redis` does not load the Redis client and adapter (cluster.ts is imported when used).
 */

/** The channel prefix of the chat's adapter, unless given. */
export const DEFAULT_REDIS_KEY = 'parley-chat';

/** What the cluster reports: connection changes and broadcasts other nodes missed. */
export type ClusterEvent =
  | { readonly kind: 'redis_error'; readonly client: 'pub' | 'sub'; readonly message: string }
  | { readonly kind: 'redis_reconnecting'; readonly client: 'pub' | 'sub' }
  | { readonly kind: 'redis_ready'; readonly client: 'pub' | 'sub' }
  | { readonly kind: 'undelivered'; readonly channel: string; readonly message: string }
  /** What is shared between nodes (budgets, connection counts, the node directory) is degraded. */
  | { readonly kind: 'shared_degraded'; readonly message: string };

/** Writes a cluster event to the console (the default `report`). */
export function defaultReport(event: ClusterEvent): void {
  if (event.kind === 'redis_ready') console.info(`[chat cluster] redis ${event.client} connection ready`);
  else if (event.kind === 'undelivered')
    console.error(`[chat cluster] undelivered on ${event.channel}: ${event.message}`);
  else if (event.kind === 'redis_error')
    console.error(`[chat cluster] redis ${event.client} error: ${event.message}`);
  else if (event.kind === 'shared_degraded') console.error(`[chat cluster] ${event.message}`);
  else console.error(`[chat cluster] redis ${event.client} reconnecting`);
}
