// A Vue 3 app that holds a call with our tags, through Vue's own render
// functions: props become properties or attributes, `on*` become listeners.
import { createApp, h, ref } from 'vue';
import type { RoomJoinedEvent, StreamEvent, PeerLeaveEvent } from '../../../dist/index.js';
import type { AppLog, AppProps, Mount } from './types.js';

export const mount: Mount = (container, props, log) => {
  const name = ref(props.name);
  const remotes = ref<string[]>([]);
  const app = createApp({
    setup() {
      return () =>
        h(
          'rtc-room',
          {
            'room-id': props.roomid,
            userid: props.userid,
            autojoin: true,
            extra: { name: name.value },
            onRoomJoined: (e: RoomJoinedEvent) => log.joined.push(e.detail.userid),
            onStream: (e: StreamEvent) => {
              if (e.detail.type !== 'remote') return;
              log.remoteStreams.push(e.detail.userid);
              remotes.value = [...remotes.value, e.detail.userid];
            },
            onPeerLeave: (e: PeerLeaveEvent) => log.peerLeaves.push(e.detail.userid),
          },
          [
            h('media-capture', { video: true, audio: true, width: '320', height: '240', 'frame-rate': '15', autostart: true }),
            h('p', { class: 'remotes' }, remotes.value.join(',')),
          ],
        );
    },
  });
  app.mount(container);
  return {
    rename: (n) => {
      name.value = n;
    },
    unmount: () => app.unmount(),
  };
};
