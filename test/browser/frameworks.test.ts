import { expect, oneEvent } from '@open-wc/testing';
import type { PeerUpdateEvent } from '../../dist/index.js';
import type { AppLog, Mount } from './frameworks/types.js';
import { allEnded, waitFor } from './helpers.js';
import { createUser, expectFullMesh, removeAllUsers, uniqueRoom, type User } from './room-helpers.js';

// Bundled from test/browser/frameworks/ by scripts/test.mjs (React ships CommonJS).
const apps: Record<string, string> = {
  'React 19': '/build/frameworks/react-app.js',
  'Vue 3': '/build/frameworks/vue-app.js',
};

for (const [framework, url] of Object.entries(apps)) {
  describe(`inside a ${framework} app`, function () {
    this.timeout(60000);
    afterEach(removeAllUsers);

    it('sets properties, receives events, and releases everything on unmount', async () => {
      const { mount } = (await import(url)) as { mount: Mount };
      const roomid = uniqueRoom(framework.split(' ')[0]!.toLowerCase());
      const other = await createUser(roomid, 'plain');
      const container = document.createElement('div');
      document.body.append(container);
      const log: AppLog = { joined: [], remoteStreams: [], peerLeaves: [] };
      const app = mount(container, { roomid, userid: `${framework.split(' ')[0]}-user`, name: 'Ada' }, log);
      try {
        const room = await waitFor(() => container.querySelector('rtc-room'), 'the app rendered <rtc-room>');
        const capture = container.querySelector('media-capture')!;
        // Events reach the framework's handlers; properties reached the element.
        await waitFor(() => log.joined.length === 1 && log.remoteStreams.includes(other.userid), 'joined and got the remote stream', 20000);
        expect(room.extra).to.deep.equal({ name: 'Ada' });
        expect(room.autojoin).to.equal(true);
        expect(capture.autostart).to.equal(true);
        const me: User = { room, capture, userid: room.room.userid };
        await expectFullMesh([me, other]);
        await waitFor(() => container.querySelector('.remotes')?.textContent === other.userid, 'the framework re-rendered with the remote user');
        expect(other.room.peers.get(me.userid)!.extra).to.deep.equal({ name: 'Ada' });

        // A prop change from the framework reaches the peers.
        const updated = oneEvent(other.room, 'peer-update') as Promise<PeerUpdateEvent>;
        app.rename('Ada L.');
        expect((await updated).detail.extra).to.deep.equal({ name: 'Ada L.' });

        // Unmount: the other side sees the user leave; tracks stop, connections close.
        const pc = room.peers.get(other.userid)!.connection;
        const stream = capture.stream!;
        const left = oneEvent(other.room, 'peer-leave');
        app.unmount();
        await left;
        expect(container.querySelector('rtc-room')).to.equal(null);
        await waitFor(() => allEnded(stream), 'capture tracks stopped after unmount');
        expect(pc.connectionState).to.equal('closed');
        expect(other.room.querySelectorAll('remote-stream')).to.have.length(0);
      } finally {
        container.remove();
      }
    });
  });
}
