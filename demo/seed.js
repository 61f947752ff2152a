// The RTCMultiConnection flow in plain JavaScript: captureUserMedia, openOrJoin, stream events, emit.
import { captureUserMedia } from '/dist/rtc-elements.js';

const log = (line) => (document.getElementById('log').textContent += line + '\n');
// connection = new RTCMultiConnection(); connection.dontCaptureUserMedia = true;
const connection = document.createElement('rtc-room');
connection.setAttribute('no-render', ''); // we render streams ourselves, as connection.onstream did
document.body.append(connection);

// connection.onstream = function (event) { ... }
connection.addEventListener('stream', (event) => {
  const { type, stream, userid } = event.detail;
  const video = document.createElement('video');
  Object.assign(video, { autoplay: true, playsInline: true, muted: type === 'local', srcObject: stream });
  video.id = stream.id;
  video.style.width = '100%';
  document.getElementById('videos').append(video);
  log(`onstream: ${type} stream ${stream.id}${userid ? ' from ' + userid : ''}`);
});
// connection.onstreamended
connection.addEventListener('stream-end', (event) => document.getElementById(event.detail.streamid)?.remove());
// connection.socket.on('howdy', ...)
connection.addEventListener('room-message', (event) => log(`${event.detail.event} from ${event.detail.userid}: ${JSON.stringify(event.detail.data)}`));
connection.addEventListener('room-error', (event) => log(`error: ${event.detail.code}: ${event.detail.message}`));

document.getElementById('go').onclick = () => {
  captureUserMedia(
    async (stream) => {
      connection.addStream(stream); // connection.attachStreams.push(stream)
      const ack = await connection.openOrJoin('seed-demo');
      log(`openOrJoin: ${ack.isInitiator ? 'opened' : 'joined'} as ${ack.userid}`);
      const video = document.createElement('video');
      Object.assign(video, { autoplay: true, playsInline: true, muted: true, srcObject: stream });
      video.style.width = '100%';
      document.getElementById('videos').prepend(video);
      document.getElementById('howdy').disabled = false;
    },
    { audio: true, video: true },
  );
};
// connection.socket.emit('howdy', 'hello')
document.getElementById('howdy').onclick = () => connection.emit('howdy', 'hello');
