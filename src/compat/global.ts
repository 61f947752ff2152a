/**
 * Entry of dist/rtc-multiconnection.js, the classic script that replaces
 * RTCMultiConnection.min.js + socket.io.js: webrtc-adapter's shims, the
 * createObjectURL(MediaStream) shim, and window.RTCMultiConnection.
 */
import '../adapter.js';
import { installObjectUrlShim } from './object-url.js';
import { RTCMultiConnection } from './rtc-multiconnection.js';

installObjectUrlShim();
(globalThis as unknown as { RTCMultiConnection: typeof RTCMultiConnection }).RTCMultiConnection = RTCMultiConnection;
