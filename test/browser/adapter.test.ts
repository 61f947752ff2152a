// webrtc-adapter as the bundle applies it (src/adapter.ts): once per page,
// with the shims the adapter's own factory picks for each browser. Other
// browsers are played by a stand-in window whose user agent says so and whose
// RTCPeerConnection comes from an iframe, so this page's is never touched.
import { expect } from '@open-wc/testing';
import { applyAdapter } from '../../dist/index.js';
import { waitFor } from './helpers.js';

type Realm = Window & typeof globalThis;

const frames: HTMLIFrameElement[] = [];
afterEach(() => {
  for (const f of frames.splice(0)) f.remove();
});

function freshRealm(): Realm {
  const frame = document.createElement('iframe');
  document.body.append(frame);
  frames.push(frame);
  return frame.contentWindow as Realm;
}

/** A window that looks like `userAgent` to the adapter's browser detection. */
function posingAs(realm: Realm, userAgent: string, kind: 'chrome' | 'firefox'): Realm {
  const navigator = kind === 'chrome' ? { userAgent, webkitGetUserMedia() {} } : { userAgent, mozGetUserMedia() {} };
  return {
    navigator,
    isSecureContext: true,
    RTCPeerConnection: realm.RTCPeerConnection,
    RTCSessionDescription: realm.RTCSessionDescription,
    RTCIceCandidate: realm.RTCIceCandidate,
  } as unknown as Realm;
}

const CHROME_120 = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const CHROME_70 = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.0 Safari/537.36';
const FIREFOX_120 = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0';

/** Two connected peers of `realm` with an open data channel from a to b. */
async function channelPair(realm: Realm): Promise<{ a: RTCPeerConnection; b: RTCPeerConnection; channel: RTCDataChannel }> {
  const a = new realm.RTCPeerConnection();
  const b = new realm.RTCPeerConnection();
  a.onicecandidate = (e) => e.candidate && void b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && void a.addIceCandidate(e.candidate);
  const channel = a.createDataChannel('t');
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription!);
  await waitFor(() => channel.readyState === 'open', 'data channel open');
  return { a, b, channel };
}

describe('webrtc-adapter in the bundle', () => {
  it('was applied once when the bundle loaded, for the browser it runs in', () => {
    const info = applyAdapter();
    expect(info).to.not.equal(null);
    expect(info!.browser).to.equal('chrome');
    const brand = (navigator as Navigator & { userAgentData?: { brands: { brand: string; version: string }[] } }).userAgentData?.brands.find(
      (b) => b.brand === 'Chromium',
    );
    expect(info!.version).to.equal(Number(brand!.version));
    expect(applyAdapter(), 'a second call does nothing').to.equal(info);
  });

  it('Chrome 120 gets the data-channel size check: an oversized send throws a TypeError instead of closing the channel', async () => {
    const realm = freshRealm();
    const nativeCreate = realm.RTCPeerConnection.prototype.createDataChannel;
    const nativeSrd = realm.RTCPeerConnection.prototype.setRemoteDescription;
    const info = applyAdapter(posingAs(realm, CHROME_120, 'chrome'));
    expect(info).to.deep.equal({ browser: 'chrome', version: 120 });
    expect(realm.RTCPeerConnection.prototype.createDataChannel).to.not.equal(nativeCreate);
    expect(realm.RTCPeerConnection.prototype.setRemoteDescription, 'extmap-allow-mixed is fine since M71').to.equal(nativeSrd);

    const { a, b, channel } = await channelPair(realm);
    try {
      const max = a.sctp!.maxMessageSize;
      expect(() => channel.send(new Uint8Array(max + 1))).to.throw(TypeError, /Message too large/);
      expect(channel.readyState).to.equal('open');
      channel.send(new Uint8Array(1024));
    } finally {
      a.close();
      b.close();
    }
  });

  it('Chrome 70 also has a=extmap-allow-mixed removed from remote descriptions', async () => {
    const realm = freshRealm();
    const nativeSrd = realm.RTCPeerConnection.prototype.setRemoteDescription;
    applyAdapter(posingAs(realm, CHROME_70, 'chrome'));
    expect(realm.RTCPeerConnection.prototype.setRemoteDescription).to.not.equal(nativeSrd);
    const a = new realm.RTCPeerConnection();
    const b = new realm.RTCPeerConnection();
    try {
      a.createDataChannel('t');
      await a.setLocalDescription();
      const offer = { type: 'offer' as const, sdp: a.localDescription!.sdp.replace('a=group:BUNDLE', 'a=extmap-allow-mixed\r\na=group:BUNDLE') };
      expect(offer.sdp).to.contain('a=extmap-allow-mixed');
      await b.setRemoteDescription(offer);
      expect(b.remoteDescription!.sdp).to.not.contain('a=extmap-allow-mixed');
    } finally {
      a.close();
      b.close();
    }
  });

  it('Firefox 120 gets neither (the adapter skips both there), and a second page load of the bundle re-applies nothing', () => {
    const realm = freshRealm();
    const proto = realm.RTCPeerConnection.prototype;
    const before = [proto.createDataChannel, proto.setRemoteDescription, proto.setLocalDescription, proto.addIceCandidate];
    const fake = posingAs(realm, FIREFOX_120, 'firefox');
    expect(applyAdapter(fake)).to.deep.equal({ browser: 'firefox', version: 120 });
    expect([proto.createDataChannel, proto.setRemoteDescription, proto.setLocalDescription, proto.addIceCandidate]).to.deep.equal(before);

    const chrome = posingAs(realm, CHROME_120, 'chrome');
    const first = applyAdapter(chrome);
    const wrapped = proto.createDataChannel;
    expect(applyAdapter(chrome)).to.equal(first);
    expect(proto.createDataChannel, 'not wrapped twice').to.equal(wrapped);
  });
});
