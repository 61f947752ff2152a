// A React 19 app that holds a call with our tags: properties, events and
// unmounting go through React itself (no refs, no wrappers).
import type {} from '../../../dist/react.js';
import { useState } from 'react';
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';
import type { AppLog, AppProps, Mount } from './types.js';

function Call({ roomid, userid, name, log }: AppProps & { log: AppLog }) {
  const [remotes, setRemotes] = useState<string[]>([]);
  return (
    <rtc-room
      room-id={roomid}
      userid={userid}
      autojoin
      extra={{ name }}
      onroom-joined={(e) => log.joined.push(e.detail.userid)}
      onstream={(e) => {
        if (e.detail.type !== 'remote') return;
        const { userid } = e.detail;
        log.remoteStreams.push(userid);
        setRemotes((r) => [...r, userid]);
      }}
      onpeer-leave={(e) => log.peerLeaves.push(e.detail.userid)}
    >
      <media-capture video audio width="320" height="240" frame-rate="15" autostart />
      <p className="remotes">{remotes.join(',')}</p>
    </rtc-room>
  );
}

export const mount: Mount = (container, props, log) => {
  const root = createRoot(container);
  const render = (p: AppProps) => flushSync(() => root.render(<Call {...p} log={log} />));
  render(props);
  return {
    rename: (name) => render({ ...props, name }),
    unmount: () => root.unmount(),
  };
};
