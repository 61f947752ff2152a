/**
 * `rtc-elements/server`: the signaling server, for `npx rtc-elements` or to
 * attach to an existing Node http server.
 *
 * @example
 * import { createSignalingServer } from 'rtc-elements/server';
 * const signaling = await createSignalingServer({ httpServer: app.listen(3000) });
 */
export {
  createSignalingServer,
  type AuthenticateInfo,
  type AuthenticateResult,
  type IoServer,
  type IoSocket,
  type ServerSocketData,
  type SignalingServer,
  type SignalingServerOptions,
} from './server.js';
export {
  MemoryRoomStore,
  type Awaitable,
  type EnterResult,
  type LeaveResult,
  type NewRoom,
  type Replaced,
  type RoomInfo,
  type RoomMember,
  type RoomStore,
} from './rooms.js';
export {
  DEFAULT_KEY_PREFIX,
  RedisRoomStore,
  type NodeMember,
  type RedisCommandClient,
  type RedisRoomStoreOptions,
  type RemovedMember,
  type RestoreResult,
} from './redis-store.js';
export { DEFAULT_RATE_LIMIT, type RateLimitOptions } from './rate-limit.js';
export { mintRoomToken, type MintOptions, type RoomGrant } from './tokens.js';
export { DEFAULT_TURN_TTL, turnCredentials, type TurnOptions } from './turn.js';
export type * from '../protocol.js';
export { ERROR_CODES, CLIENT_EVENTS, PERMISSIONS, PROTOCOL_VERSION } from '../protocol.js';
