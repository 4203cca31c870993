/**
 * Cluster: @socket.io/redis-adapter's sharded adapter (Redis 7 sharded pub/sub), on one
 * redis-server and on a Redis Cluster of three masters (each node's clients a node-redis cluster
 * client): the cross-node cases for two nodes of the server under test, and for the server under
 * test beside socket.io 4.8. Run against parley and, with PARLEY_TEST_AGAINST=socket.io, socket.io.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import {
  type RedisCluster,
  type RedisServer,
  redisAvailable,
  requireRedis,
  startRedis,
  startRedisCluster,
} from '../support/redis.js';
import { clusterScenarios } from './scenarios.js';
import { closeCluster } from './support.js';

let redis: RedisServer | undefined;
let redisCluster: RedisCluster | undefined;
before(async () => {
  if (redisAvailable()) [redis, redisCluster] = await Promise.all([startRedis(), startRedisCluster()]);
});
after(async () => {
  await redis?.stop();
  await redisCluster?.stop();
});
afterEach(closeCluster);

describe('sharded redis adapter', { skip: !redisAvailable() && process.env.CI !== 'true' }, () => {
  test('redis-server is available', (t) => {
    requireRedis(t);
  });
  clusterScenarios('under-test', 'under-test', () => redis!.url, 'sharded');
  clusterScenarios('under-test', 'socket.io', () => redis!.url, 'sharded');
});

describe('sharded redis adapter on a Redis Cluster', { skip: !redisAvailable() && process.env.CI !== 'true' }, () => {
  test('redis-server is available', (t) => {
    requireRedis(t);
  });
  clusterScenarios('under-test', 'under-test', () => redisCluster!.url, 'sharded-cluster');
  clusterScenarios('under-test', 'socket.io', () => redisCluster!.url, 'sharded-cluster');
});
