/**
 * The Lua scripts of the Redis store: each write of a call is one script, so the call, the keys
 * that find its legs and the per-peer live-call sets change together or not at all. Times are
 * Redis's own (TIME), the same clock for every guard instance.
 *
 * Keys under the profile's `state.key_prefix` P:
 *   P call:<id>   hash { v: version, j: call JSON }, expires with the call
 *   P legs:<id>   set of the index keys of the call's legs
 *   P peers:<id>  set of the peers the call counts against
 *   P idx:<key>   a leg's address (call id, hop, side) by its dialog key
 *   P live:<peer> sorted set: call id scored by the time its keys expire
 *   P rate:<peer> hash { t: tokens, at: ms }: the peer's token bucket
 * Scripts name keys they derive from these (index and live keys), so they need one Redis, not
 * a Redis Cluster.
 */
import { createHash } from 'node:crypto';

export interface LuaScript {
  readonly text: string;
  readonly sha: string;
}

function script(text: string): LuaScript {
  return { text, sha: createHash('sha1').update(text).digest('hex') };
}

const NOW_MS = `local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)`;

/**
 * KEYS: call, legs, peers, then the new index keys. ARGV: the version the stored one must be
 * ('*<v>', writing back what was changed while Redis was away: v, the version this instance
 * last saw there, or none at all, Redis having lost it; never over another instance's newer
 * branch of the call, nor over a call ended meanwhile, whose key is kept as a tombstone), the new
 * version, JSON, TTL ms, live-set prefix, call id, the number n of index keys, their n leg
 * addresses, then the call's live peers. 1 written, 0 refused.
 */
export const PUT_CALL = script(`
if redis.call('HEXISTS', KEYS[1], 'ended') == 1 then return 0 end
local stored = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if string.sub(ARGV[1], 1, 1) == '*' then
  if stored ~= 0 and stored ~= tonumber(string.sub(ARGV[1], 2)) then return 0 end
elseif stored ~= tonumber(ARGV[1]) then
  return 0
end
local ttl = tonumber(ARGV[4])
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'j', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ttl)
local n = tonumber(ARGV[7])
for i = 1, n do
  redis.call('SET', KEYS[3 + i], ARGV[7 + i], 'PX', ttl)
  redis.call('SADD', KEYS[2], KEYS[3 + i])
end
for _, key in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  redis.call('PEXPIRE', key, ttl)
end
redis.call('PEXPIRE', KEYS[2], ttl)
${NOW_MS}
local live, id, keep = ARGV[5], ARGV[6], {}
for i = 8 + n, #ARGV do keep[ARGV[i]] = true end
for _, peer in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  if not keep[peer] then
    redis.call('ZREM', live .. peer, id)
    redis.call('SREM', KEYS[3], peer)
  end
end
for peer in pairs(keep) do
  local set = live .. peer
  redis.call('ZADD', set, now + ttl, id)
  if redis.call('PTTL', set) < ttl then redis.call('PEXPIRE', set, ttl) end
  redis.call('SADD', KEYS[3], peer)
end
redis.call('PEXPIRE', KEYS[3], ttl)
return 1
`);

/**
 * KEYS: call, legs, peers. ARGV: live-set prefix, call id, tombstone TTL ms. The call's key stays
 * as { ended } for as long as an instance cut off from Redis may hold a copy to write back.
 */
export const DELETE_CALL = script(`
for _, key in ipairs(redis.call('SMEMBERS', KEYS[2])) do redis.call('DEL', key) end
for _, peer in ipairs(redis.call('SMEMBERS', KEYS[3])) do redis.call('ZREM', ARGV[1] .. peer, ARGV[2]) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('HSET', KEYS[1], 'ended', '1')
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
`);

/** KEYS: call, legs, index key. ARGV: leg address, TTL ms when the call has none. The key lives as long as its call. */
export const INDEX_LEG = script(`
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then ttl = tonumber(ARGV[2]) end
redis.call('SET', KEYS[3], ARGV[1], 'PX', ttl)
redis.call('SADD', KEYS[2], KEYS[3])
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1
`);

/** KEYS: live sets. The number of calls in each whose keys have not expired (a dead instance's calls leave with their TTL). */
/**
 * A leg and its call in one round trip. KEYS: the leg's index key. ARGV: the call-key prefix
 * (P call:). Returns false when no leg has the key, else { leg address JSON, call JSON or false }.
 */
export const LOCATE_LEG = script(`
local leg = redis.call('GET', KEYS[1])
if not leg then return false end
local call = redis.call('HGET', ARGV[1] .. cjson.decode(leg).callStateId, 'j')
return { leg, call }
`);

export const LIVE_CALLS = script(`
${NOW_MS}
local counts = {}
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  counts[i] = redis.call('ZCARD', key)
end
return counts
`);

/**
 * KEYS: the peer's bucket. ARGV: rate per second, burst, 1 to take a token (0 to look). Returns
 * 1 when the bucket held a token before. A take always takes: two instances that both saw the
 * last token leave the bucket in debt, paid back by the refill, so the rate holds over time.
 */
export const RATE_BUCKET = script(`
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local bucket = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = burst
if bucket[1] then tokens = math.min(burst, tonumber(bucket[1]) + (now - tonumber(bucket[2])) / 1000 * rate) end
local had = 0
if tokens >= 1 then had = 1 end
if ARGV[3] == '1' then
  tokens = math.max(-burst, tokens - 1)
  redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
end
return had
`);
