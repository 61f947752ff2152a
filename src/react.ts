/**
 * JSX typings for React 19 (which sets properties and listens to custom
 * events on custom elements by itself). Opt in once, anywhere in your app:
 *
 *   import type {} from 'rtc-elements/react';
 *
 * Then `<rtc-room room-id="demo" autojoin onroom-joined={(e) => e.detail.userid} />`
 * type-checks: attributes in kebab-case, properties (`extra`, `iceServers`,
 * `constraints`, `stream`) by name, events as `on` + the event name.
 */
import type { HTMLAttributes, Ref } from 'react';
import type { MediaCapture } from './capture/media-capture.js';
import type { RemoteStream } from './remote/remote-stream.js';
import type { RtcRoom } from './room/rtc-room.js';

type Handler<K extends keyof HTMLElementEventMap> = (event: HTMLElementEventMap[K]) => void;
type Events<K extends keyof HTMLElementEventMap> = { [E in K as `on${E}`]?: Handler<E> };
type Base<E> = Omit<HTMLAttributes<E>, 'onError'> & { ref?: Ref<E>; class?: string; slot?: string };
type Flag = boolean | '' | undefined;

export type MediaCaptureProps = Base<MediaCapture> &
  Events<'stream' | 'stream-end' | 'capture-error' | 'mute-change' | 'track-change' | 'devices-change'> & {
    audio?: Flag;
    video?: Flag;
    screen?: Flag;
    width?: string | number;
    height?: string | number;
    'frame-rate'?: string | number;
    'facing-mode'?: 'user' | 'environment' | 'left' | 'right';
    'audio-device'?: string;
    'video-device'?: string;
    'echo-cancellation'?: 'true' | 'false';
    'noise-suppression'?: 'true' | 'false';
    'auto-gain-control'?: 'true' | 'false';
    autostart?: Flag;
    mirror?: 'auto' | 'true' | 'false';
    'no-preview'?: Flag;
    label?: string;
    constraints?: MediaCapture['constraints'];
  };

export type RtcRoomProps = Base<RtcRoom> &
  Events<
    | 'room-joined'
    | 'room-left'
    | 'room-error'
    | 'room-state'
    | 'token-expiring'
    | 'token-expired'
    | 'peer-join'
    | 'peer-update'
    | 'peer-leave'
    | 'peer-state'
    | 'stream'
    | 'stream-end'
    | 'stream-mute'
    | 'room-message'
    | 'room-waiting'
    | 'knock'
    | 'lobby-resolved'
    | 'role-change'
    | 'room-locked'
    | 'host-mute'
  > & {
    'socket-url'?: string;
    'room-id'?: string;
    userid?: string;
    password?: string;
    'max-participants'?: string | number;
    extra?: unknown;
    token?: string;
    autojoin?: Flag;
    lobby?: Flag;
    capture?: string;
    'no-render'?: Flag;
    layout?: 'grid' | 'speaker';
    'ice-transport-policy'?: 'all' | 'relay';
    'reconnect-attempts'?: string | number;
    'reconnect-delay'?: string | number;
    'reconnect-delay-max'?: string | number;
    iceServers?: RTCIceServer[] | null;
  };

export type RemoteStreamProps = Base<RemoteStream> &
  Events<'autoplay-blocked'> & {
    stream?: MediaStream | null;
    extra?: unknown;
    streamid?: string;
    userid?: string;
    name?: string;
    muted?: Flag;
  };

declare module 'react' {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    interface IntrinsicElements {
      'media-capture': MediaCaptureProps;
      'rtc-room': RtcRoomProps;
      'remote-stream': RemoteStreamProps;
    }
  }
}
