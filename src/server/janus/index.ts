// The Janus client's public surface: connection, sessions and handles, VideoRoom operations, the instance pool.
export { JanusConnection, type JanusConnectionOptions } from './connection.js';
export { JanusSession, JanusHandle } from './session.js';
export {
  VIDEOROOM,
  VideoRoomAdmin,
  VideoRoomPublisherHandle,
  VideoRoomSubscriberHandle,
  newRoomSecret,
  subscribedStreams,
  type SubscribedStream,
  type FeedStream,
  type VideoRoomOptions,
  type VideoRoomParticipant,
  type VideoRoomPublisher,
} from './videoroom.js';
export { JanusPool, JanusInstance, type JanusPoolOptions, type PlacedRoom } from './pool.js';
export { JanusError, JanusErrorCode, type Jsep, type TrickleCandidate, type TrickleCompleted, type JanusMessage, type PluginData, type PluginResult } from './types.js';
