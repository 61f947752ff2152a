/**
 * rtc-elements: WebRTC rooms as HTML tags. Importing this module registers
 * <media-capture>, <rtc-room> and <remote-stream>, and applies webrtc-adapter's
 * shims once so the elements behave the same across browsers (src/adapter.ts).
 *
 * In Node (server-side rendering) the import succeeds and does neither: there
 * is no window, so nothing is defined, not even in the `customElements`
 * stand-in that lit's Node build installs. The page's own import, in the
 * browser, registers the tags.
 */
import './adapter.js';
import { MediaCapture } from './capture/media-capture.js';
import { RemoteStream } from './remote/remote-stream.js';
import { RtcRoom } from './room/rtc-room.js';
import { define } from './define.js';

if (typeof window !== 'undefined') {
  define('media-capture', MediaCapture);
  define('remote-stream', RemoteStream);
  define('rtc-room', RtcRoom);
}

export { MediaCapture, type CaptureState } from './capture/media-capture.js';
export { RemoteStream, type RemoteStreamState } from './remote/remote-stream.js';
export { captureUserMedia, describeCaptureError, CaptureSession, type CaptureConstraints } from './capture/capture.js';
export { buildCaptureRequest, InvalidAttributeError, type CaptureRequest, type CaptureAttributes } from './capture/constraints.js';
export { RtcRoom, type RoomPeer } from './room/rtc-room.js';
export { RoomClient, type RoomState, type RoomHooks, type RoomClientOptions, type JoinMode } from './room/room-client.js';
export { RoomError, type ClientErrorCode, type ReconnectPolicy } from './room/signaling.js';
export { Peer, isPolite, type PeerState } from './room/peer.js';
export { MeshTransport } from './room/mesh.js';
export type { Transport, TransportContext, TransportHooks, LocalStreamEntry } from './room/transport.js';
export * from './events.js';
export { applyAdapter, type AdapterInfo } from './adapter.js';
export {
  ERROR_CODES,
  PROTOCOL_VERSION,
  type ErrorCode,
  type Extra,
  type IceServerConfig,
  type PeerInfo,
  type Permission,
  type RoomJoinedPayload,
  type RoomPresencePayload,
  type StreamInfo,
} from './protocol.js';
