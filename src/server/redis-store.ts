// Room state in Redis, shared by several server processes (nodes). Every
// RoomStore method is one Lua script, so the decisions that must not race
// across nodes (does the room exist? is it full? who holds this userid?) are
// made by Redis in one atomic step, exactly as MemoryRoomStore makes them
// inside one synchronous call.
//
// Keys (prefix `rtc:` by default):
//   room:<roomid>      hash   token, max, pw (scrypt hash; absent = none), seq (join counter), lobby, locked ('1' or absent),
//                             sfu (the Janus placement `url \n janus room \n secret`; absent = mesh)
//   room:<roomid>:m    hash   userid -> member record (below)
//   room:<roomid>:o    zset   userid scored by join order
//   room:<roomid>:s    hash   streamid -> userid that announced it
//   room:<roomid>:c:<userid> list  that member's claimed stream ids, newest first
//   room:<roomid>:l    hash   userid -> lobby entry `connId \n until \n admitted(0|1) \n extra-json`
//   room:<roomid>:q    zset   userid scored by arrival in the lobby
//   room:<roomid>:b    hash   userid -> banned until (ms since the epoch)
//   users              hash   userid -> roomid: a userid has one membership cluster-wide
//   rooms              set    roomids (for stats)
//   node:<id>          string the node's heartbeat, with a TTL
//   node:<id>:m        hash   userid -> roomid, the members that node's connections hold
//   node:<id>:in       stream that node's inbox: relays and room broadcasts from the other nodes,
//                             read by that node only, capped (MAXLEN ~), deleted with its members
//   nodes              set    nodes that may hold members
//   seq                counter room tokens (a new value for every room incarnation)
//   epoch              string set once; a different value means Redis lost its data
//   sweep              string short lock: one node per period looks for dead nodes
//
// A member record is `connId \n nodeId \n permissions \n role \n extra-json`, with
// permissions `*` when absent (no room tokens) or a comma list, and role `h`
// (host) or `p` (participant) followed by `a` and/or `v` for a host's mutes. The scripts
// read the first fields with string patterns and never decode or re-encode the
// application's JSON (cjson would turn an empty array in `extra` into `{}`).
//
// The scripts name no KEYS: a join may evict the same userid from another room
// in the same atomic step, and that room is only known inside the script. So
// this needs one Redis primary (standalone, or Sentinel with failover), not
// Redis Cluster, whose slots would split those keys.
import { createHash } from 'node:crypto';
import type { Extra, Permission } from '../protocol.js';
import type { MediaKind, Role } from '../protocol.js';
import {
  DEFAULT_LOBBY_MS,
  MAX_STREAM_CLAIMS,
  mutes,
  type EnterResult,
  type LeaveResult,
  type LobbyEntry,
  type NewRoom,
  type Removed,
  type Replaced,
  type RoomInfo,
  type RoomMember,
  type RoomStore,
  type SfuPlacement,
  type StreamClaim,
} from './rooms.js';

/** What the store needs of a Redis client: node-redis's `sendCommand` (a `createClient()` client fits). */
export interface RedisCommandClient {
  sendCommand(args: string[]): Promise<unknown>;
}

export interface RedisRoomStoreOptions {
  /** This node's id, recorded with every member its connections hold. */
  nodeId: string;
  /** Prefix of every key. Default `rtc:`. */
  keyPrefix?: string;
}

/** A member removed because its node went away (or shut down), for `peer:leave`. */
export interface RemovedMember {
  roomid: string;
  userid: string;
}

/** A membership recorded for this node. */
export interface NodeMember {
  userid: string;
  roomid: string;
  connId: string;
}

export type RestoreResult = 'present' | 'restored' | 'taken';

export const DEFAULT_KEY_PREFIX = 'rtc:';
/** Entries an inbox keeps (`MAXLEN ~`), as the socket.io adapter's stream did: bounds a node's unread inbox. */
export const INBOX_MAXLEN = 10_000;
/** Characters a key prefix may hold: nothing that needs quoting anywhere. */
export const KEY_PREFIX_PATTERN = /^[A-Za-z0-9_.:{}-]{1,64}$/;

// -- Lua ----------------------------------------------------------------------
// ARGV[1] is always the key prefix. String.raw keeps `\n` as Lua's escape.

const PRELUDE = String.raw`
local P = ARGV[1]
local USERS, ROOMS, NODES = P .. 'users', P .. 'rooms', P .. 'nodes'
local function rk(r) return P .. 'room:' .. r end
local function mk(r) return P .. 'room:' .. r .. ':m' end
local function order(r) return P .. 'room:' .. r .. ':o' end
local function sk(r) return P .. 'room:' .. r .. ':s' end
local function ck(r, u) return P .. 'room:' .. r .. ':c:' .. u end
local function lk(r) return P .. 'room:' .. r .. ':l' end
local function qk(r) return P .. 'room:' .. r .. ':q' end
local function bk(r) return P .. 'room:' .. r .. ':b' end
local function nk(n) return P .. 'node:' .. n end
local function nmk(n) return P .. 'node:' .. n .. ':m' end
local function ibk(n) return P .. 'node:' .. n .. ':in' end
local function conn_of(rec) return string.match(rec, '^([^\n]*)\n') end
local function node_of(rec) return string.match(rec, '^[^\n]*\n([^\n]*)\n') end
local function role_of(rec) return string.match(rec, '^[^\n]*\n[^\n]*\n[^\n]*\n([^\n]*)\n') end
local function record(c, n, perms, role, extra) return c .. '\n' .. n .. '\n' .. perms .. '\n' .. role .. '\n' .. extra end
-- The record with its role field replaced.
local function with_role(rec, role)
  local head, tail = string.match(rec, '^([^\n]*\n[^\n]*\n[^\n]*\n)[^\n]*(\n.*)$')
  return head .. role .. tail
end
local function lentry(rec)
  local c, upto, adm, extra = string.match(rec, '^([^\n]*)\n([^\n]*)\n([^\n]*)\n(.*)$')
  return c, tonumber(upto), adm == '1', extra
end

local function info(r)
  local h = redis.call('HMGET', rk(r), 'token', 'max', 'pw', 'lobby', 'locked')
  return { roomid = r, token = h[1], maxParticipants = tonumber(h[2]), passwordHash = h[3] or '', size = redis.call('HLEN', mk(r)), lobby = h[4] == '1', locked = h[5] == '1' }
end

-- The lobby of room r as {userid, record}, in arrival order; entries lapsed by now go.
local function lobby(r, now)
  local out = {}
  for _, u in ipairs(redis.call('ZRANGE', qk(r), 0, -1)) do
    local rec = redis.call('HGET', lk(r), u)
    local upto = 0
    if rec then upto = select(2, lentry(rec)) end
    if upto > now then
      out[#out + 1] = { u, rec }
    else
      redis.call('HDEL', lk(r), u)
      redis.call('ZREM', qk(r), u)
    end
  end
  return out
end

local function unqueue(r, u)
  redis.call('HDEL', lk(r), u)
  redis.call('ZREM', qk(r), u)
end

local function delete_room(r)
  redis.call('DEL', rk(r), mk(r), order(r), sk(r), lk(r), qk(r), bk(r))
  redis.call('SREM', ROOMS, r)
end

-- Removes member u (record rec) from room r; deletes the room when emptied.
local function remove_member(r, u, rec)
  for _, id in ipairs(redis.call('LRANGE', ck(r, u), 0, -1)) do
    if redis.call('HGET', sk(r), id) == u then redis.call('HDEL', sk(r), id) end
  end
  redis.call('DEL', ck(r, u))
  redis.call('HDEL', mk(r), u)
  redis.call('ZREM', order(r), u)
  redis.call('HDEL', USERS, u)
  local n = node_of(rec)
  if n then redis.call('HDEL', nmk(n), u) end
  if redis.call('HLEN', mk(r)) == 0 then
    delete_room(r)
    return true
  end
  return false
end

-- Adds member u at the end of room r's join order.
local function add_member(r, u, rec, n)
  local seq = redis.call('HINCRBY', rk(r), 'seq', 1)
  redis.call('ZADD', order(r), seq, u)
  redis.call('HSET', mk(r), u, rec)
  redis.call('HSET', USERS, u, r)
  redis.call('HSET', nmk(n), u, r)
  redis.call('SADD', NODES, n)
end

local function new_room(r, max, pw, lob)
  local token = tostring(redis.call('INCR', P .. 'seq'))
  redis.call('HSET', rk(r), 'token', token, 'max', max, 'seq', 0)
  if pw ~= '' then redis.call('HSET', rk(r), 'pw', pw) end
  if lob == '1' then redis.call('HSET', rk(r), 'lobby', '1') end
  redis.call('SADD', ROOMS, r)
end

-- This very connection already holds the userid's membership.
local function holds(u, c)
  local r = redis.call('HGET', USERS, u)
  if not r then return false end
  local rec = redis.call('HGET', mk(r), u)
  return rec and conn_of(rec) == c
end

-- Removes the userid's membership held by an older connection, if any.
local function evict(u)
  local r = redis.call('HGET', USERS, u)
  if not r then return false end
  local rec = redis.call('HGET', mk(r), u)
  if not rec then
    redis.call('HDEL', USERS, u)
    return false
  end
  remove_member(r, u, rec)
  return { connId = conn_of(rec), roomid = r }
end

-- The other members of room r, in join order, as {userid, record}.
local function peers(r, u)
  local out = {}
  for _, id in ipairs(redis.call('ZRANGE', order(r), 0, -1)) do
    if id ~= u then
      local rec = redis.call('HGET', mk(r), id)
      if rec then out[#out + 1] = { id, rec } end
    end
  end
  return out
end

-- Removes every member node n holds; appends {roomid, userid} to out.
local function drain(n, out)
  local list = redis.call('HGETALL', nmk(n))
  for i = 1, #list, 2 do
    local u, r = list[i], list[i + 1]
    local rec = redis.call('HGET', mk(r), u)
    if rec and node_of(rec) == n then
      remove_member(r, u, rec)
      out[#out + 1] = { r, u }
    end
  end
  redis.call('DEL', nmk(n), ibk(n))
  redis.call('SREM', NODES, n)
end

-- Appends message m to live node n's inbox; false when n has no heartbeat (dead or gone).
local function deliver(n, maxlen, m)
  if redis.call('EXISTS', nk(n)) == 0 then return false end
  redis.call('XADD', ibk(n), 'MAXLEN', '~', maxlen, '*', 'm', m)
  return true
end
`;

const SCRIPTS = {
  // ARGV: prefix, roomid
  get: String.raw`
if redis.call('EXISTS', rk(ARGV[2])) == 0 then return false end
return cjson.encode(info(ARGV[2]))`,

  // ARGV: prefix, roomid, max, passwordHash ('' = none), userid, connId, node, permissions, role, extra, lobby ('1' or '')
  create: String.raw`
local r, u, c, n = ARGV[2], ARGV[5], ARGV[6], ARGV[7]
if holds(u, c) then return cjson.encode({ status = 'already-in-room' }) end
if redis.call('EXISTS', rk(r)) == 1 then return cjson.encode({ status = 'exists' }) end
local replaced = evict(u)
new_room(r, ARGV[3], ARGV[4], ARGV[11])
add_member(r, u, record(c, n, ARGV[8], ARGV[9], ARGV[10]), n)
return cjson.encode({ status = 'ok', room = info(r), peers = {}, replaced = replaced })`,

  // ARGV: prefix, roomid, token, userid, connId, node, permissions, role, extra, now, lobby ms
  join: String.raw`
local r, u, c, n = ARGV[2], ARGV[4], ARGV[5], ARGV[6]
if holds(u, c) then return cjson.encode({ status = 'already-in-room' }) end
if redis.call('EXISTS', rk(r)) == 0 then return cjson.encode({ status = 'not-found' }) end
if redis.call('HGET', rk(r), 'token') ~= ARGV[3] then return cjson.encode({ status = 'changed' }) end
local rec = record(c, n, ARGV[7], ARGV[8], ARGV[9])
local old = redis.call('HGET', mk(r), u)
local replaced
if old then
  -- Same userid, newer connection: take the slot over, keep the join order, the host role and the host's mutes.
  local orole = role_of(old)
  local nrole = (string.sub(orole, 1, 1) == 'h' and 'h' or string.sub(ARGV[8], 1, 1)) .. string.sub(orole, 2)
  rec = with_role(rec, nrole)
  replaced = { connId = conn_of(old), roomid = r }
  local on = node_of(old)
  if on and on ~= n then redis.call('HDEL', nmk(on), u) end
  redis.call('HSET', mk(r), u, rec)
  redis.call('HSET', nmk(n), u, r)
  redis.call('SADD', NODES, n)
else
  local now = tonumber(ARGV[10])
  local ban = redis.call('HGET', bk(r), u)
  if ban and tonumber(ban) > now then return cjson.encode({ status = 'banned' }) end
  local host = string.sub(ARGV[8], 1, 1) == 'h'
  if redis.call('HGET', rk(r), 'locked') == '1' and not host then return cjson.encode({ status = 'locked' }) end
  local w = redis.call('HGET', lk(r), u)
  local wc, wuntil, wadm
  if w then wc, wuntil, wadm = lentry(w) end
  local admitted = w and wadm and wc == c and wuntil > now
  if redis.call('HGET', rk(r), 'lobby') == '1' and not host and not admitted then
    if not (w and wc == c and wadm) then
      unqueue(r, u)
      redis.call('HSET', lk(r), u, c .. '\n' .. tostring(now + tonumber(ARGV[11])) .. '\n0\n' .. ARGV[9])
      redis.call('ZADD', qk(r), redis.call('HINCRBY', rk(r), 'seq', 1), u)
    end
    local hosts = {}
    for _, p in ipairs(peers(r, u)) do
      if string.sub(role_of(p[2]), 1, 1) == 'h' then hosts[#hosts + 1] = conn_of(p[2]) end
    end
    return cjson.encode({ status = 'waiting', hosts = hosts })
  end
  if redis.call('HLEN', mk(r)) >= tonumber(redis.call('HGET', rk(r), 'max')) then
    return cjson.encode({ status = 'full' })
  end
  unqueue(r, u)
  replaced = evict(u)
  add_member(r, u, rec, n)
end
return cjson.encode({ status = 'ok', room = info(r), peers = peers(r, u), replaced = replaced })`,

  // ARGV: prefix, roomid, userid, connId
  leave: String.raw`
local r, u = ARGV[2], ARGV[3]
local rec = redis.call('HGET', mk(r), u)
if not rec or conn_of(rec) ~= ARGV[4] then return cjson.encode({ left = false, deleted = false }) end
return cjson.encode({ left = true, deleted = remove_member(r, u, rec) })`,

  // ARGV: prefix, roomid, userid
  member: String.raw`
return redis.call('HGET', mk(ARGV[2]), ARGV[3])`,

  // ARGV: prefix, node, max length, message. 1 when appended to the node's inbox, 0 when the node is gone.
  send: String.raw`
if deliver(ARGV[2], ARGV[3], ARGV[4]) then return 1 end
return 0`,

  // ARGV: prefix, this node, max length, message, roomid ('' = everywhere).
  // To every other live node holding a member of the room, decided in the
  // same atomic step as joins and leaves: a member that entered before this
  // runs hears it, one that enters after does not need to. A room without
  // members (ended, emptied) reaches every node: its sockets may still be there.
  post: String.raw`
local r, me, targets = ARGV[5], ARGV[2], {}
if r ~= '' then
  for _, rec in ipairs(redis.call('HVALS', mk(r))) do
    local n = node_of(rec)
    if n and n ~= me then targets[n] = true end
  end
end
if r == '' or redis.call('HLEN', mk(r)) == 0 then
  for _, n in ipairs(redis.call('SMEMBERS', NODES)) do
    if n ~= me then targets[n] = true end
  end
end
local sent = 0
for n in pairs(targets) do
  if deliver(n, ARGV[3], ARGV[4]) then sent = sent + 1 end
end
return sent`,

  // ARGV: prefix, roomid, userid, connId, extra
  updateExtra: String.raw`
local rec = redis.call('HGET', mk(ARGV[2]), ARGV[3])
if not rec or conn_of(rec) ~= ARGV[4] then return 0 end
local head = string.match(rec, '^([^\n]*\n[^\n]*\n[^\n]*\n[^\n]*\n)')
redis.call('HSET', mk(ARGV[2]), ARGV[3], head .. ARGV[5])
return 1`,

  // ARGV: prefix, roomid
  members: String.raw`
return cjson.encode(peers(ARGV[2], ''))`,

  // ARGV: prefix, roomid, now
  lobby: String.raw`
return cjson.encode(lobby(ARGV[2], tonumber(ARGV[3])))`,

  // ARGV: prefix, roomid, userid, now
  admit: String.raw`
local rec = redis.call('HGET', lk(ARGV[2]), ARGV[3])
if not rec then return false end
local c, upto, adm, extra = lentry(rec)
if adm or upto <= tonumber(ARGV[4]) then return false end
redis.call('HSET', lk(ARGV[2]), ARGV[3], c .. '\n' .. upto .. '\n1\n' .. extra)
return c`,

  // ARGV: prefix, roomid, userid, connId ('' = any)
  deny: String.raw`
local rec = redis.call('HGET', lk(ARGV[2]), ARGV[3])
if not rec then return false end
local c = lentry(rec)
if ARGV[4] ~= '' and c ~= ARGV[4] then return false end
unqueue(ARGV[2], ARGV[3])
return c`,

  // ARGV: prefix, roomid, userid, role ('h' or 'p')
  setRole: String.raw`
local rec = redis.call('HGET', mk(ARGV[2]), ARGV[3])
if not rec then return false end
rec = with_role(rec, ARGV[4] .. string.sub(role_of(rec), 2))
redis.call('HSET', mk(ARGV[2]), ARGV[3], rec)
return rec`,

  // ARGV: prefix, roomid, userid, kind ('a' or 'v'), muted ('1' or '')
  setHostMuted: String.raw`
local rec = redis.call('HGET', mk(ARGV[2]), ARGV[3])
if not rec then return 0 end
local role = role_of(rec)
local a, v = string.find(role, 'a', 2, true) ~= nil, string.find(role, 'v', 2, true) ~= nil
if ARGV[4] == 'a' then a = ARGV[5] == '1' else v = ARGV[5] == '1' end
redis.call('HSET', mk(ARGV[2]), ARGV[3], with_role(rec, string.sub(role, 1, 1) .. (a and 'a' or '') .. (v and 'v' or '')))
return 1`,

  // ARGV: prefix, roomid, userid, ban upto
  remove: String.raw`
local r, u = ARGV[2], ARGV[3]
if redis.call('EXISTS', rk(r)) == 0 then return false end
local rec = redis.call('HGET', mk(r), u)
local w = redis.call('HGET', lk(r), u)
if not rec and not w then return false end
redis.call('HSET', bk(r), u, ARGV[4])
if rec then
  remove_member(r, u, rec)
  return cjson.encode({ connId = conn_of(rec), wasMember = true })
end
unqueue(r, u)
return cjson.encode({ connId = lentry(w), wasMember = false })`,

  // ARGV: prefix, roomid, locked ('1' or '')
  setLocked: String.raw`
local r = ARGV[2]
if redis.call('EXISTS', rk(r)) == 0 then return false end
if ARGV[3] ~= '1' then
  redis.call('HDEL', rk(r), 'locked')
  return '[]'
end
redis.call('HSET', rk(r), 'locked', '1')
local out = lobby(r, 0)
redis.call('DEL', lk(r), qk(r))
return cjson.encode(out)`,

  // ARGV: prefix, roomid
  end: String.raw`
local r = ARGV[2]
if redis.call('EXISTS', rk(r)) == 0 then return false end
local members, waiting = peers(r, ''), lobby(r, 0)
for _, p in ipairs(members) do
  redis.call('DEL', ck(r, p[1]))
  redis.call('HDEL', USERS, p[1])
  local n = node_of(p[2])
  if n then redis.call('HDEL', nmk(n), p[1]) end
end
delete_room(r)
return cjson.encode({ members = members, lobby = waiting })`,

  // ARGV: prefix, roomid, userid, connId, max claims, streamid...
  claimStreams: String.raw`
local r, u = ARGV[2], ARGV[3]
local rec = redis.call('HGET', mk(r), u)
if not rec or conn_of(rec) ~= ARGV[4] then return cjson.encode({ status = 'not-member' }) end
for i = 6, #ARGV do
  local owner = redis.call('HGET', sk(r), ARGV[i])
  if owner and owner ~= u then return cjson.encode({ status = 'taken', streamid = ARGV[i], owner = owner }) end
end
for i = 6, #ARGV do
  if redis.call('HSETNX', sk(r), ARGV[i], u) == 1 then redis.call('LPUSH', ck(r, u), ARGV[i]) end
end
local max = tonumber(ARGV[5])
for _, id in ipairs(redis.call('LRANGE', ck(r, u), max, -1)) do
  if redis.call('HGET', sk(r), id) == u then redis.call('HDEL', sk(r), id) end
end
redis.call('LTRIM', ck(r, u), 0, max - 1)
return cjson.encode({ status = 'ok' })`,

  // ARGV: prefix, roomid
  sfuPlacement: String.raw`
return redis.call('HGET', rk(ARGV[2]), 'sfu')`,

  // ARGV: prefix, roomid, placement ('' = none), previous url, previous room ('' and '': none). Compare-and-set; returns the placement after.
  placeSfu: String.raw`
local r = ARGV[2]
if redis.call('EXISTS', rk(r)) == 0 then return false end
local cur = redis.call('HGET', rk(r), 'sfu')
local same
if cur then
  local url, room = string.match(cur, '^([^\n]*)\n([^\n]*)\n')
  same = url == ARGV[4] and room == ARGV[5]
else
  same = ARGV[4] == '' and ARGV[5] == ''
end
if not same then return cur end
if ARGV[3] == '' then
  redis.call('HDEL', rk(r), 'sfu')
  return false
end
redis.call('HSET', rk(r), 'sfu', ARGV[3])
return ARGV[3]`,

  // ARGV: prefix
  stats: String.raw`
return cjson.encode({ rooms = redis.call('SCARD', ROOMS), members = redis.call('HLEN', USERS) })`,

  // ARGV: prefix, node. This node's members out, its heartbeat gone.
  drain: String.raw`
local out = {}
drain(ARGV[2], out)
redis.call('DEL', nk(ARGV[2]))
return cjson.encode(out)`,

  // ARGV: prefix, node, ttl ms, epoch candidate
  heartbeat: String.raw`
local existed = redis.call('EXISTS', nk(ARGV[2]))
redis.call('SET', nk(ARGV[2]), '1', 'PX', ARGV[3])
redis.call('SADD', NODES, ARGV[2])
local e = redis.call('GET', P .. 'epoch')
if not e then
  e = ARGV[4]
  redis.call('SET', P .. 'epoch', e)
end
return cjson.encode({ existed = existed == 1, epoch = e })`,

  // ARGV: prefix, node (the sweeper), lock ms. Members of nodes whose heartbeat expired go.
  sweep: String.raw`
if not redis.call('SET', P .. 'sweep', ARGV[2], 'NX', 'PX', ARGV[3]) then return '[]' end
local out = {}
for _, n in ipairs(redis.call('SMEMBERS', NODES)) do
  if n ~= ARGV[2] and redis.call('EXISTS', nk(n)) == 0 then drain(n, out) end
end
return cjson.encode(out)`,

  // ARGV: prefix, node. This node's memberships as {userid, roomid, connId}.
  nodeMembers: String.raw`
local out = {}
local list = redis.call('HGETALL', nmk(ARGV[2]))
for i = 1, #list, 2 do
  local u, r = list[i], list[i + 1]
  local rec = redis.call('HGET', mk(r), u)
  if rec and node_of(rec) == ARGV[2] then
    out[#out + 1] = { u, r, conn_of(rec) }
  else
    redis.call('HDEL', nmk(ARGV[2]), u)
  end
end
return cjson.encode(out)`,

  // ARGV: prefix, roomid, max, passwordHash, userid, connId, node, permissions, role, extra, lobby.
  // Puts back a membership Redis lost (restarted empty, or this node was
  // presumed dead and swept) while its connection stayed in the room.
  restore: String.raw`
local r, u, c, n = ARGV[2], ARGV[5], ARGV[6], ARGV[7]
local cur = redis.call('HGET', USERS, u)
if cur then
  local rec = redis.call('HGET', mk(cur), u)
  if rec then
    if cur == r and conn_of(rec) == c then return 'present' end
    return 'taken'
  end
  redis.call('HDEL', USERS, u)
end
if redis.call('EXISTS', rk(r)) == 0 then new_room(r, ARGV[3], ARGV[4], ARGV[11]) end
add_member(r, u, record(c, n, ARGV[8], ARGV[9], ARGV[10]), n)
return 'restored'`,
} as const;

type ScriptName = keyof typeof SCRIPTS;

interface Script {
  source: string;
  sha: string;
}

const COMPILED = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, body]) => {
    const source = `${PRELUDE}\n${body}`;
    return [name, { source, sha: createHash('sha1').update(source).digest('hex') }];
  }),
) as Record<ScriptName, Script>;

// -- the store ----------------------------------------------------------------

/**
 * Room state in Redis, for several server processes sharing rooms
 * (`createSignalingServer({ redisUrl })` builds one). Same semantics as
 * MemoryRoomStore; every method is one atomic Lua script.
 */
export class RedisRoomStore implements RoomStore {
  readonly nodeId: string;
  readonly keyPrefix: string;

  constructor(
    private readonly client: RedisCommandClient,
    options: RedisRoomStoreOptions,
  ) {
    this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    if (!KEY_PREFIX_PATTERN.test(this.keyPrefix)) throw new TypeError('keyPrefix: 1-64 characters of A-Z a-z 0-9 _ . : { } -');
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(options.nodeId)) throw new TypeError('nodeId: 1-64 characters of A-Z a-z 0-9 _ . -');
    this.nodeId = options.nodeId;
  }

  async get(roomid: string): Promise<RoomInfo | undefined> {
    const reply = await this.run('get', [roomid]);
    return reply === null ? undefined : roomInfo(json(reply));
  }

  async sfuPlacement(roomid: string): Promise<SfuPlacement | null> {
    return decodePlacement(await this.run('sfuPlacement', [roomid]));
  }

  async placeSfu(roomid: string, placement: SfuPlacement | null, previous: SfuPlacement | null): Promise<SfuPlacement | null> {
    const encoded = placement ? [placement.url, placement.room, placement.secret].join('\n') : '';
    return decodePlacement(await this.run('placeSfu', [roomid, encoded, previous?.url ?? '', previous?.room ?? '']));
  }

  async create(room: NewRoom, member: RoomMember): Promise<EnterResult> {
    const reply = await this.run('create', [room.roomid, String(room.maxParticipants), room.passwordHash ?? '', ...this.memberArgs(member), room.lobby ? '1' : '']);
    return enterResult(json(reply));
  }

  async join(roomid: string, token: string, member: RoomMember, lobbyMs = DEFAULT_LOBBY_MS): Promise<EnterResult> {
    const reply = await this.run('join', [roomid, token, ...this.memberArgs(member), String(Date.now()), String(lobbyMs)]);
    return enterResult(json(reply));
  }

  /** A member as the create and join scripts take it, recorded as held by this node. */
  private memberArgs(member: RoomMember): string[] {
    return [member.userid, member.connId, this.nodeId, encodePermissions(member.permissions), encodeRole(member), JSON.stringify(member.extra)];
  }

  async members(roomid: string): Promise<RoomMember[]> {
    return (list(json(await this.run('members', [roomid]))) as [string, string][]).map(([userid, rec]) => decodeMember(userid, rec));
  }

  async lobby(roomid: string): Promise<LobbyEntry[]> {
    return lobbyList(json(await this.run('lobby', [roomid, String(Date.now())])));
  }

  async admit(roomid: string, userid: string): Promise<string | null> {
    const reply = await this.run('admit', [roomid, userid, String(Date.now())]);
    return typeof reply === 'string' ? reply : null;
  }

  async deny(roomid: string, userid: string, connId?: string): Promise<string | null> {
    const reply = await this.run('deny', [roomid, userid, connId ?? '']);
    return typeof reply === 'string' ? reply : null;
  }

  async setRole(roomid: string, userid: string, role: Role): Promise<RoomMember | undefined> {
    const reply = await this.run('setRole', [roomid, userid, role === 'host' ? 'h' : 'p']);
    return typeof reply === 'string' ? decodeMember(userid, reply) : undefined;
  }

  async setHostMuted(roomid: string, userid: string, kind: MediaKind, muted: boolean): Promise<boolean> {
    return Number(await this.run('setHostMuted', [roomid, userid, kind === 'audio' ? 'a' : 'v', muted ? '1' : ''])) === 1;
  }

  async remove(roomid: string, userid: string, banUntil: number): Promise<Removed | null> {
    const reply = await this.run('remove', [roomid, userid, String(banUntil)]);
    if (typeof reply !== 'string') return null;
    const r = json(reply) as Removed;
    return { connId: String(r.connId), wasMember: r.wasMember === true };
  }

  async setLocked(roomid: string, locked: boolean): Promise<LobbyEntry[] | null> {
    const reply = await this.run('setLocked', [roomid, locked ? '1' : '']);
    return typeof reply === 'string' ? lobbyList(json(reply)) : null;
  }

  async end(roomid: string): Promise<{ members: RoomMember[]; lobby: LobbyEntry[] } | null> {
    const reply = await this.run('end', [roomid]);
    if (typeof reply !== 'string') return null;
    const r = json(reply) as { members: unknown; lobby: unknown };
    return { members: (list(r.members) as [string, string][]).map(([userid, rec]) => decodeMember(userid, rec)), lobby: lobbyList(r.lobby) };
  }

  async leave(roomid: string, userid: string, connId: string): Promise<LeaveResult> {
    const r = json(await this.run('leave', [roomid, userid, connId])) as LeaveResult;
    return { left: r.left === true, deleted: r.deleted === true };
  }

  async member(roomid: string, userid: string): Promise<RoomMember | undefined> {
    const reply = await this.run('member', [roomid, userid]);
    return typeof reply === 'string' ? decodeMember(userid, reply) : undefined;
  }

  async connection(roomid: string, userid: string): Promise<string | undefined> {
    return (await this.route(roomid, userid))?.connId;
  }

  /** Where member `userid` of `roomid` is connected: its connection and the node that holds it. */
  async route(roomid: string, userid: string): Promise<{ connId: string; node: string } | undefined> {
    const reply = await this.run('member', [roomid, userid]);
    if (typeof reply !== 'string') return undefined;
    const [connId, node] = reply.split('\n', 2);
    return { connId: connId!, node: node! };
  }

  // -- inboxes: relays between nodes (see relay.ts) ----------------------------

  /** Appends `message` to `node`'s inbox; false when that node is gone. */
  async send(node: string, message: string): Promise<boolean> {
    return Number(await this.run('send', [node, String(INBOX_MAXLEN), message])) === 1;
  }

  /** Appends `message` to the inbox of every other node holding a member of `roomid` (of every other node when null or empty). */
  async post(roomid: string | null, message: string): Promise<void> {
    await this.run('post', [this.nodeId, String(INBOX_MAXLEN), message, roomid ?? '']);
  }

  /** This node's inbox (a Redis stream). */
  get inbox(): string {
    return `${this.keyPrefix}node:${this.nodeId}:in`;
  }

  async updateExtra(roomid: string, userid: string, connId: string, extra: Extra): Promise<boolean> {
    return Number(await this.run('updateExtra', [roomid, userid, connId, JSON.stringify(extra)])) === 1;
  }

  async claimStreams(roomid: string, userid: string, connId: string, streamids: string[]): Promise<StreamClaim> {
    const r = json(await this.run('claimStreams', [roomid, userid, connId, String(MAX_STREAM_CLAIMS), ...streamids])) as StreamClaim;
    return r.status === 'taken' ? { status: 'taken', streamid: String(r.streamid), owner: String(r.owner) } : { status: r.status === 'ok' ? 'ok' : 'not-member' };
  }

  async stats(): Promise<{ rooms: number; members: number }> {
    const r = json(await this.run('stats', [])) as { rooms: number; members: number };
    return { rooms: Number(r.rooms), members: Number(r.members) };
  }

  /** Shared state stays: only this node's members are removed (see `drain`). */
  async clear(): Promise<void> {
    await this.drain();
  }

  // -- node bookkeeping (used by the server's cluster loop) --------------------

  /** Removes every member this node's connections hold, and its heartbeat. */
  async drain(): Promise<RemovedMember[]> {
    return removedList(json(await this.run('drain', [this.nodeId])));
  }

  /**
   * Refreshes this node's heartbeat for `ttlMs`. `existed` false means it had
   * expired (this node was presumed dead and may have been swept); an `epoch`
   * other than the last one seen means Redis lost its data.
   */
  async heartbeat(ttlMs: number, epochCandidate: string): Promise<{ existed: boolean; epoch: string }> {
    const r = json(await this.run('heartbeat', [this.nodeId, String(ttlMs), epochCandidate])) as { existed: boolean; epoch: string };
    return { existed: r.existed === true, epoch: String(r.epoch) };
  }

  /**
   * Removes the members of every other node whose heartbeat expired, unless
   * another node swept within `lockMs`. Returns what was removed.
   */
  async sweep(lockMs: number): Promise<RemovedMember[]> {
    return removedList(json(await this.run('sweep', [this.nodeId, String(lockMs)])));
  }

  /** The memberships Redis records for this node's connections. */
  async nodeMembers(): Promise<NodeMember[]> {
    const list = json(await this.run('nodeMembers', [this.nodeId]));
    return Array.isArray(list) ? (list as [string, string, string][]).map(([userid, roomid, connId]) => ({ userid, roomid, connId })) : [];
  }

  /**
   * Puts a membership back that this node's connection still holds but Redis
   * lost: `present` (nothing was lost), `restored` (re-added, re-creating the
   * room if needed), `taken` (a newer connection holds the userid now).
   */
  async restore(roomid: string, room: { maxParticipants: number; passwordHash: string | null; lobby?: boolean }, member: RoomMember): Promise<RestoreResult> {
    const reply = await this.run('restore', [roomid, String(room.maxParticipants), room.passwordHash ?? '', ...this.memberArgs(member), room.lobby ? '1' : '']);
    if (reply !== 'present' && reply !== 'restored' && reply !== 'taken') throw new Error(`restore: unexpected reply ${String(reply)}`);
    return reply;
  }

  /** Scripts Redis was given on this connection (SCRIPT LOAD); a restarted Redis forgets them. */
  private readonly loaded = new Set<ScriptName>();

  /** Redis (re)connected: it may have forgotten the scripts. */
  forgetScripts(): void {
    this.loaded.clear();
  }

  /**
   * EVALSHA, after a SCRIPT LOAD sent ahead of it on first use: commands run in
   * the order they are sent, which relays rely on (a member's signal never
   * overtakes its peer:join), and an EVAL retried after NOSCRIPT would come
   * after commands sent meanwhile. EVAL remains the fallback.
   */
  private async run(name: ScriptName, args: string[]): Promise<unknown> {
    const script = COMPILED[name];
    if (!this.loaded.has(name)) {
      this.loaded.add(name);
      this.client.sendCommand(['SCRIPT', 'LOAD', script.source]).catch(() => this.loaded.delete(name));
    }
    try {
      return await this.client.sendCommand(['EVALSHA', script.sha, '0', this.keyPrefix, ...args]);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      this.loaded.clear();
      return this.client.sendCommand(['EVAL', script.source, '0', this.keyPrefix, ...args]);
    }
  }
}

function json(reply: unknown): unknown {
  if (typeof reply !== 'string') throw new Error(`unexpected Redis reply: ${typeof reply}`);
  return JSON.parse(reply) as unknown;
}

/** cjson writes an empty Lua table as `{}`: a list that may be empty goes through here. */
function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function removedList(value: unknown): RemovedMember[] {
  return (list(value) as [string, string][]).map(([roomid, userid]) => ({ roomid, userid }));
}

function decodePlacement(reply: unknown): SfuPlacement | null {
  if (typeof reply !== 'string') return null;
  const [url = '', room = '', secret = ''] = reply.split('\n');
  return { url, room, secret };
}

function encodePermissions(permissions: Permission[] | undefined): string {
  return permissions ? permissions.join(',') : '*';
}

/** The role field of a member record: `h`/`p`, then `a`/`v` for a host's mutes. */
function encodeRole(member: RoomMember): string {
  return (member.role === 'host' ? 'h' : 'p') + (member.hostMuted ?? []).map((k) => k[0]).join('');
}

function decodeMember(userid: string, rec: string): RoomMember {
  const a = rec.indexOf('\n');
  const b = rec.indexOf('\n', a + 1);
  const c = rec.indexOf('\n', b + 1);
  const d = rec.indexOf('\n', c + 1);
  const perms = rec.slice(b + 1, c);
  const role = rec.slice(c + 1, d);
  const member: RoomMember = { userid, connId: rec.slice(0, a), extra: JSON.parse(rec.slice(d + 1)) as Extra, role: role[0] === 'h' ? 'host' : 'participant' };
  if (perms !== '*') member.permissions = (perms ? perms.split(',') : []) as Permission[];
  return Object.assign(member, mutes([...(role.includes('a') ? ['audio' as const] : []), ...(role.includes('v') ? ['video' as const] : [])]));
}

function lobbyList(value: unknown): LobbyEntry[] {
  return (list(value) as [string, string][]).map(([userid, rec]) => {
    const [connId, , admitted] = rec.split('\n', 3);
    const extra = rec.slice(rec.indexOf('\n', rec.indexOf('\n', rec.indexOf('\n') + 1) + 1) + 1);
    return { userid, connId: connId!, extra: JSON.parse(extra) as Extra, admitted: admitted === '1' };
  });
}

interface RawRoom {
  roomid: string;
  token: string;
  maxParticipants: number;
  passwordHash: string;
  size: number;
  lobby: boolean;
  locked: boolean;
}

function roomInfo(raw: unknown): RoomInfo {
  const r = raw as RawRoom;
  return {
    roomid: r.roomid,
    token: String(r.token),
    maxParticipants: Number(r.maxParticipants),
    passwordHash: r.passwordHash || null,
    size: Number(r.size),
    lobby: r.lobby === true,
    locked: r.locked === true,
  };
}

function enterResult(raw: unknown): EnterResult {
  const r = raw as { status: string; room?: RawRoom; peers?: unknown; replaced?: Replaced | false; hosts?: unknown };
  if (r.status === 'waiting') return { status: 'waiting', hosts: list(r.hosts).map(String) };
  if (r.status !== 'ok') return { status: r.status as Exclude<EnterResult['status'], 'ok' | 'waiting'> };
  return {
    status: 'ok',
    room: roomInfo(r.room),
    peers: (list(r.peers) as [string, string][]).map(([userid, rec]) => decodeMember(userid, rec)),
    replaced: r.replaced ? { connId: r.replaced.connId, roomid: r.replaced.roomid } : null,
  };
}
