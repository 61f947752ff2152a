// rtc-elements/compat in one page: the createObjectURL(MediaStream) shim, local
// capture through RTCMultiConnection's API, and the no-ops for what it leaves out.
import { expect } from '@open-wc/testing';
import '../../dist/index.js';
import { installObjectUrlShim, RTCMultiConnection, type CompatStreamEvent } from '../../dist/compat/index.js';
import { allEnded, expectFrames, waitFor } from './helpers.js';

/** Collects console.warn lines while `fn` runs. */
async function warnings(fn: () => unknown): Promise<string[]> {
  const lines: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => lines.push(args.map(String).join(' '));
  try {
    await fn();
  } finally {
    console.warn = original;
  }
  return lines;
}

describe('compat: URL.createObjectURL(MediaStream)', () => {
  let stream: MediaStream | null = null;
  afterEach(() => stream?.getTracks().forEach((t) => t.stop()));

  it('is refused by the browser until the compat shim is installed (the main bundle installs nothing)', async () => {
    stream = await navigator.mediaDevices.getUserMedia({ video: true });
    // The main bundle is loaded in this page (import above); only the shim changes this.
    if (!(window as unknown as Record<symbol, unknown>)[Symbol.for('rtc-elements.compat.object-url')]) {
      expect(() => URL.createObjectURL(stream as unknown as Blob)).to.throw(TypeError);
    }
    installObjectUrlShim();
    const url = URL.createObjectURL(stream as unknown as Blob);
    expect(url).to.match(/^blob:/);
    const video = document.createElement('video');
    video.muted = true;
    video.src = url;
    expect(video.srcObject).to.equal(stream);
    expect(video.src).to.equal(url);
    document.body.append(video);
    await video.play();
    await expectFrames(video);
    video.remove();
  });

  it('passes every other call through: a Blob URL still loads, and a real src replaces the stream', async () => {
    installObjectUrlShim();
    installObjectUrlShim(); // twice: harmless
    stream = await navigator.mediaDevices.getUserMedia({ video: true });
    const blobUrl = URL.createObjectURL(new Blob(['hello'], { type: 'text/plain' }));
    expect(await (await fetch(blobUrl)).text()).to.equal('hello');
    const video = document.createElement('video');
    video.setAttribute('src', URL.createObjectURL(stream as unknown as Blob));
    expect(video.srcObject).to.equal(stream);
    video.src = blobUrl;
    expect(video.srcObject).to.equal(null);
    expect(video.getAttribute('src')).to.equal(blobUrl);
    URL.revokeObjectURL(blobUrl);
    await fetch(blobUrl).then(
      () => expect.fail('a revoked Blob URL must not load'),
      () => {},
    );
  });
});

describe('compat: RTCMultiConnection without a room', () => {
  const connections: RTCMultiConnection[] = [];
  afterEach(() => {
    for (const c of connections.splice(0)) {
      for (const s of c.attachStreams) s.getTracks().forEach((t) => t.stop());
      c.closeSocket();
    }
  });
  function create(): RTCMultiConnection {
    const c = new RTCMultiConnection();
    connections.push(c);
    return c;
  }

  it('captureUserMedia fires onstream (local) with a ready <video>, appended to videosContainer by default', async () => {
    const c = create();
    const container = document.createElement('div');
    document.body.append(container);
    c.videosContainer = container;
    const seen: CompatStreamEvent[] = [];
    const original = c.onstream.bind(c);
    c.onstream = (e) => {
      seen.push(e);
      original(e);
    };
    const camera = await new Promise<MediaStream | undefined>((resolve) => c.captureUserMedia(resolve, { audio: false, video: true }));
    expect(camera).to.be.instanceOf(MediaStream);
    expect(seen.map((e) => [e.type, e.streamid, e.userid])).to.deep.equal([['local', camera!.id, c.userid]]);
    expect(c.attachStreams).to.include(camera);
    expect(c.streamEvents[camera!.id]).to.equal(seen[0]);
    const video = seen[0]!.mediaElement;
    expect(video).to.be.instanceOf(HTMLVideoElement);
    expect(video.parentElement).to.equal(container);
    expect(video.muted).to.equal(true);
    await expectFrames(video);
    // The device goes away (stop() alone fires no 'ended', so the event is sent as the browser would): onstreamended, and the default handler removes the element.
    camera!.getTracks().forEach((t) => t.stop());
    camera!.getTracks().forEach((t) => t.dispatchEvent(new Event('ended')));
    await waitFor(() => !video.isConnected, 'the ended stream\'s element removed');
    expect(c.streamEvents[camera!.id]).to.equal(undefined);
    expect(allEnded(camera)).to.equal(true);
    container.remove();
  });

  it('dontCaptureUserMedia: the callback runs at once without a stream; a refused capture goes to onMediaError, never a throw', async () => {
    const c = create();
    c.dontCaptureUserMedia = true;
    const none = await new Promise<MediaStream | undefined>((resolve) => c.captureUserMedia(resolve));
    expect(none).to.equal(undefined);
    c.dontCaptureUserMedia = false;
    const errors: unknown[] = [];
    c.onMediaError = (e) => errors.push(e);
    c.captureUserMedia(() => expect.fail('no stream expected'), { video: { deviceId: { exact: 'no-such-camera' } } } as MediaStreamConstraints);
    await waitFor(() => errors.length === 1, 'onMediaError called');
    expect((errors[0] as Error).name).to.equal('OverconstrainedError');
  });

  it("names what it does not support once, as a no-op; a page's own properties stay plain", async () => {
    const c = create() as RTCMultiConnection & Record<string, unknown>;
    const lines = await warnings(() => {
      expect((c['setCustomSocketEvent'] as (n: string) => unknown)('x')).to.equal(undefined);
      expect((c['setCustomSocketEvent'] as (n: string) => unknown)('y')).to.equal(undefined);
      c['socketMessageEvent'] = 'video-conference-demo';
      expect(c['socketMessageEvent']).to.equal('video-conference-demo');
      (c['bandwidth'] as Record<string, unknown>)['audio'] = 128;
      (c['sdpConstraints'] as Record<string, unknown>)['mandatory'] = { OfferToReceiveAudio: true };
      expect(c['recorder']).to.equal(undefined);
      c['recorder'] = 42;
      expect(c['recorder']).to.equal(42);
    });
    expect(lines.filter((l) => l.includes('setCustomSocketEvent'))).to.have.length(1);
    expect(lines.filter((l) => l.includes('socketMessageEvent'))).to.have.length(1);
    expect(lines.some((l) => l.includes('recorder') || l.includes('sdpConstraints'))).to.equal(false);
    // Promise machinery never mistakes it for a thenable.
    expect(await Promise.resolve(c)).to.equal(c);
  });

  it('the classic script defines window.RTCMultiConnection and nothing of it is installed by the main bundle', async () => {
    expect((window as unknown as { RTCMultiConnection?: unknown }).RTCMultiConnection).to.equal(undefined);
    const script = document.createElement('script');
    script.src = new URL('../../dist/rtc-multiconnection.js', import.meta.url).href;
    const loaded = new Promise((resolve, reject) => {
      script.onload = resolve;
      script.onerror = reject;
    });
    document.head.append(script);
    await loaded;
    const Ctor = (window as unknown as { RTCMultiConnection: new () => RTCMultiConnection }).RTCMultiConnection;
    expect(typeof Ctor).to.equal('function');
    const c = new Ctor();
    expect(c.getAllParticipants()).to.deep.equal([]);
    expect(c.token()).to.match(/^[a-z0-9]{16}$/);
    script.remove();
  });
});
