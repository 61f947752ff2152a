/**
 * rtc-elements: WebRTC rooms as HTML tags. Importing this module registers
 * <media-capture>, <rtc-room> and <remote-stream>, and loads webrtc-adapter
 * once so the elements behave the same across browsers.
 */
import 'webrtc-adapter';
import { MediaCapture } from './capture/media-capture.js';
import { RemoteStream } from './remote/remote-stream.js';
import { define } from './define.js';

define('media-capture', MediaCapture);
define('remote-stream', RemoteStream);

export { MediaCapture, type CaptureState } from './capture/media-capture.js';
export { RemoteStream, type RemoteStreamState } from './remote/remote-stream.js';
export { captureUserMedia, describeCaptureError, CaptureSession, type CaptureConstraints } from './capture/capture.js';
export { buildCaptureRequest, InvalidAttributeError, type CaptureRequest, type CaptureAttributes } from './capture/constraints.js';
export * from './events.js';
