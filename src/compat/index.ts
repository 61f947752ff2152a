/** rtc-elements/compat: RTCMultiConnection's page API on top of RoomClient, and the createObjectURL(MediaStream) shim. */
export {
  RTCMultiConnection,
  CompatSocket,
  type CompatSession,
  type CompatStreamEvent,
  type CompatUserEvent,
  type CompatMessageEvent,
  type CompatPeer,
} from './rtc-multiconnection.js';
export { installObjectUrlShim } from './object-url.js';
