import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { sendMouse } from '@web/test-runner-commands';
import {
  captureUserMedia,
  MediaCapture,
  type CaptureErrorEvent,
  type MuteChangeEvent,
  type StreamEndEvent,
  type StreamEvent,
  type TrackChangeEvent,
} from '../../dist/index.js';
import { allEnded, expectFrames, record, sleep, waitFor } from './helpers.js';

/** Replaces navigator.mediaDevices.getUserMedia for one test. */
function stubGetUserMedia(impl: (c?: MediaStreamConstraints) => Promise<MediaStream>): () => void {
  const md = navigator.mediaDevices;
  const original = md.getUserMedia;
  md.getUserMedia = impl;
  return () => {
    md.getUserMedia = original;
  };
}

/** A real click at the element's centre, so the page gets user activation (getDisplayMedia needs it). */
async function realClick(el: Element): Promise<void> {
  const r = el.getBoundingClientRect();
  await sendMouse({ type: 'click', position: [Math.round(r.x + r.width / 2), Math.round(r.y + r.height / 2)] });
}

describe('<media-capture>', () => {
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
    for (const el of document.querySelectorAll('media-capture')) el.stop();
  });

  it('is registered, and registration is guarded against a second load', () => {
    expect(customElements.get('media-capture')).to.equal(MediaCapture);
    expect(document.createElement('media-capture')).to.be.instanceOf(MediaCapture);
  });

  it('fires `stream` with the seed-shaped detail and renders a moving preview', async () => {
    const el = await fixture<MediaCapture>(html`<media-capture audio video></media-capture>`);
    const streamEvent = oneEvent(el, 'stream') as Promise<StreamEvent>;
    const started = await el.start();
    const { detail, bubbles, composed } = await streamEvent;
    expect(bubbles && composed).to.equal(true);
    expect(detail.type).to.equal('local');
    expect(detail.stream).to.equal(started);
    expect(detail.streamid).to.equal(started.id);
    expect(detail.kind).to.equal('camera');
    expect(detail.stream.getAudioTracks()).to.have.length(1);
    expect(detail.stream.getVideoTracks()).to.have.length(1);
    expect(detail.mediaElement).to.equal(el.shadowRoot!.querySelector('video[part="video"]'));
    expect(el.getAttribute('state')).to.equal('live');
    await expectFrames(detail.mediaElement as HTMLVideoElement, 5);
  });

  it('captures camera and microphone when none of audio/video/screen is set', async () => {
    const el = await fixture<MediaCapture>(html`<media-capture></media-capture>`);
    const stream = await el.start();
    expect(stream.getAudioTracks()).to.have.length(1);
    expect(stream.getVideoTracks()).to.have.length(1);
  });

  it('captures audio only, with kind "audio" and a placeholder instead of the preview', async () => {
    const el = await fixture<MediaCapture>(html`<media-capture audio></media-capture>`);
    const ev = oneEvent(el, 'stream') as Promise<StreamEvent>;
    await el.start();
    expect((await ev).detail.kind).to.equal('audio');
    expect(el.stream!.getVideoTracks()).to.have.length(0);
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[part="placeholder"]')).to.exist;
  });

  it('no-preview: a running camera shows no preview and says nothing of a microphone it does not have', async () => {
    const el = await fixture<MediaCapture>(html`<media-capture video no-preview></media-capture>`);
    await el.start();
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('video'), 'no preview <video>').to.equal(null);
    expect(el.shadowRoot!.textContent, 'what the tile says').not.to.include('Microphone');
    // With a microphone too, the tile still says nothing: the camera runs, and "Microphone on" would read as audio only.
    const both = await fixture<MediaCapture>(html`<media-capture audio video no-preview></media-capture>`);
    await both.start();
    await both.updateComplete;
    expect(both.shadowRoot!.textContent).not.to.include('Microphone');
    // Audio only keeps its placeholder.
    const mic = await fixture<MediaCapture>(html`<media-capture audio no-preview></media-capture>`);
    await mic.start();
    await mic.updateComplete;
    expect(mic.shadowRoot!.textContent).to.include('Microphone on');
  });

  it('autostart captures as soon as the element is connected', async () => {
    const el = document.createElement('media-capture');
    el.setAttribute('autostart', '');
    el.setAttribute('video', '');
    const ev = oneEvent(el, 'stream') as Promise<StreamEvent>;
    document.body.append(el);
    try {
      const { detail } = await ev;
      expect(detail.stream.getVideoTracks()[0]!.readyState).to.equal('live');
    } finally {
      el.remove();
    }
  });

  it('shows a start button without autostart, and a click starts the capture', async () => {
    const el = await fixture<MediaCapture>(html`<media-capture video></media-capture>`);
    const button = el.shadowRoot!.querySelector<HTMLButtonElement>('[part="start-button"]');
    expect(button, 'start button').to.exist;
    const ev = oneEvent(el, 'stream');
    button!.click();
    await ev;
    expect(el.state).to.equal('live');
  });

  it('maps attributes to getUserMedia constraints', async () => {
    const el = await fixture<MediaCapture>(
      html`<media-capture video width="320" height="exact:240" frame-rate="10-15" facing-mode="user"></media-capture>`,
    );
    const stream = await el.start();
    const s = stream.getVideoTracks()[0]!.getSettings();
    expect(s.height).to.equal(240);
    expect(s.frameRate).to.be.within(10, 15);
    expect(el.buildRequest().constraints.video).to.deep.equal({
      width: { ideal: 320 },
      height: { exact: 240 },
      frameRate: { min: 10, max: 15 },
      facingMode: 'user',
    });
  });

  it('captures the screen with getDisplayMedia (kind "screen"), after a real click', async () => {
    const el = await fixture<MediaCapture>(html`<media-capture screen></media-capture>`);
    const ev = oneEvent(el, 'stream') as Promise<StreamEvent>;
    await realClick(el.shadowRoot!.querySelector('[part="start-button"]')!);
    const { detail } = await ev;
    expect(detail.kind).to.equal('screen');
    const track = detail.stream.getVideoTracks()[0]!;
    expect(track.getSettings().displaySurface).to.equal('monitor');
    await expectFrames(detail.mediaElement as HTMLVideoElement, 2);
  });

  it('ends a screen share stopped from the browser UI (track ended) with stream-end', async () => {
    const el = await fixture<MediaCapture>(html`<media-capture screen></media-capture>`);
    const started = oneEvent(el, 'stream') as Promise<StreamEvent>;
    await realClick(el.shadowRoot!.querySelector('[part="start-button"]')!);
    const { detail } = await started;
    const ended = oneEvent(el, 'stream-end') as Promise<StreamEndEvent>;
    // What "Stop sharing" does: the browser ends the track and fires 'ended'.
    const track = detail.stream.getVideoTracks()[0]!;
    track.stop();
    track.dispatchEvent(new Event('ended'));
    expect((await ended).detail).to.include({ type: 'local', reason: 'screen-share-ended', kind: 'screen' });
    expect(el.stream).to.equal(null);
    expect(el.state).to.equal('stopped');
  });

  it('reports OverconstrainedError for an exact width of 12345, naming the constraint', async () => {
    const el = await fixture<MediaCapture>(html`<media-capture video width="exact:12345"></media-capture>`);
    const ev = oneEvent(el, 'capture-error') as Promise<CaptureErrorEvent>;
    const result = await el.start().then(
      () => 'resolved',
      (e: Error) => e.name,
    );
    const { detail } = await ev;
    expect(result).to.equal('OverconstrainedError');
    expect(detail.name).to.equal('OverconstrainedError');
    expect(detail.constraint).to.equal('width');
    expect(el.state).to.equal('error');
    expect(el.shadowRoot!.querySelector('[part="error"]')!.textContent).to.contain('width');
  });

  it('reports NotAllowedError with an actionable message', async () => {
    restore = stubGetUserMedia(() => Promise.reject(new DOMException('Permission denied', 'NotAllowedError')));
    const el = await fixture<MediaCapture>(html`<media-capture video></media-capture>`);
    const ev = oneEvent(el, 'capture-error') as Promise<CaptureErrorEvent>;
    await el.start().catch(() => {});
    const { detail } = await ev;
    expect(detail.name).to.equal('NotAllowedError');
    expect(detail.message).to.match(/denied/i);
  });

  it('reports NotFoundError and NotReadableError by name', async () => {
    for (const name of ['NotFoundError', 'NotReadableError', 'AbortError']) {
      restore?.();
      restore = stubGetUserMedia(() => Promise.reject(new DOMException('x', name)));
      const el = await fixture<MediaCapture>(html`<media-capture video></media-capture>`);
      const ev = oneEvent(el, 'capture-error') as Promise<CaptureErrorEvent>;
      await el.start().catch(() => {});
      expect((await ev).detail.name).to.equal(name);
    }
  });

  it('names the iframe `allow` attribute when an iframe blocks the camera', async () => {
    const frame = document.createElement('iframe');
    frame.setAttribute('allow', "camera 'none'; microphone 'none'");
    frame.srcdoc = '<!doctype html><p>embedded</p>';
    const loaded = oneEvent(frame, 'load');
    document.body.append(frame);
    await loaded;
    try {
      const win = frame.contentWindow as Window & typeof globalThis;
      const err = await win.navigator.mediaDevices.getUserMedia({ video: true }).then(
        (s) => {
          s.getTracks().forEach((t) => t.stop());
          return null;
        },
        (e: unknown) => e,
      );
      expect((err as Error).name).to.equal('NotAllowedError');
      // describeCaptureError runs in the iframe's realm in real use; evaluate it there.
      const mod = (await (win as unknown as { eval(s: string): Promise<unknown> }).eval(
        `import(${JSON.stringify(new URL('/dist/capture/capture.js', location.href).href)})`,
      )) as typeof import('../../dist/capture/capture.js');
      const detail = mod.describeCaptureError(err, false, { video: true, audio: true });
      expect(detail.message).to.contain('allow="camera; microphone');
    } finally {
      frame.remove();
    }
  });

  describe('invalid attributes', () => {
    for (const [attr, value] of [
      ['width', 'abc'],
      ['height', '-5'],
      ['frame-rate', '30-10'],
      ['facing-mode', 'sideways'],
      ['echo-cancellation', 'maybe'],
    ] as const) {
      it(`${attr}="${value}" gives a capture-error naming the attribute`, async () => {
        const el = await fixture<MediaCapture>(html`<media-capture video></media-capture>`);
        el.setAttribute(attr, value);
        await el.updateComplete;
        const ev = oneEvent(el, 'capture-error') as Promise<CaptureErrorEvent>;
        const err = await el.start().then(
          () => null,
          (e: Error) => e,
        );
        const { detail } = await ev;
        expect(err?.name).to.equal('InvalidAttributeError');
        expect(detail.name).to.equal('InvalidAttributeError');
        expect(detail.attribute).to.equal(attr);
        expect(detail.message).to.contain(attr);
        expect(el.state).to.equal('error');
      });
    }

    it('can start again once the attribute is fixed; autostart retries by itself', async () => {
      const errors = record<CaptureErrorEvent>(document, 'capture-error');
      const el = document.createElement('media-capture');
      el.setAttribute('video', '');
      el.setAttribute('autostart', '');
      el.setAttribute('width', 'abc');
      document.body.append(el);
      try {
        await waitFor(() => el.state === 'error', 'error state');
        await el.updateComplete;
        await sleep(50);
        expect(errors.events, 'exactly one error for one bad value').to.have.length(1);
        const ev = oneEvent(el, 'stream');
        el.setAttribute('width', '320');
        await ev;
        expect(el.state).to.equal('live');
      } finally {
        errors.stop();
        el.remove();
      }
    });
  });

  it('stop() ends every track and fires stream-end', async () => {
    const el = await fixture<MediaCapture>(html`<media-capture audio video></media-capture>`);
    const stream = await el.start();
    const ended = oneEvent(el, 'stream-end') as Promise<StreamEndEvent>;
    el.stop();
    const { detail } = await ended;
    expect(detail).to.include({ type: 'local', streamid: stream.id, reason: 'stopped', kind: 'camera' });
    expect(allEnded(stream)).to.equal(true);
    expect(el.stream).to.equal(null);
    expect(el.state).to.equal('stopped');
    expect(el.shadowRoot!.querySelector('video')!.srcObject).to.equal(null);
  });

  it('removal from the DOM ends every track', async () => {
    const el = await fixture<MediaCapture>(html`<media-capture audio video></media-capture>`);
    const stream = await el.start();
    el.remove();
    await waitFor(() => allEnded(stream), 'tracks ended after removal', 2000);
  });

  it('moving the element within the page in one task keeps the capture', async () => {
    const el = await fixture<MediaCapture>(html`<media-capture video></media-capture>`);
    const stream = await el.start();
    const events = record(el, 'stream');
    const other = document.createElement('div');
    document.body.append(other);
    other.append(el); // disconnect + connect in the same task
    await sleep(100);
    expect(stream.getVideoTracks()[0]!.readyState).to.equal('live');
    expect(el.stream).to.equal(stream);
    expect(events.events).to.have.length(0);
    events.stop();
    other.remove();
    await waitFor(() => allEnded(stream), 'tracks ended after final removal', 2000);
  });

  it('start() twice at once returns the same capture', async () => {
    let calls = 0;
    const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    restore = stubGetUserMedia((c) => {
      calls++;
      return original(c);
    });
    const el = await fixture<MediaCapture>(html`<media-capture video></media-capture>`);
    const [a, b] = await Promise.all([el.start(), el.start()]);
    expect(a).to.equal(b);
    expect(calls).to.equal(1);
    expect(await el.start()).to.equal(a);
    expect(calls).to.equal(1);
  });

  /** getUserMedia that takes `ms` longer; `arrived()` is the stream it finally returned. */
  function slowGetUserMedia(ms: number): { arrived(): MediaStream | undefined } {
    let arrived: MediaStream | undefined;
    const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    restore = stubGetUserMedia(async (c) => {
      await sleep(ms);
      arrived = await original(c);
      return arrived;
    });
    return { arrived: () => arrived };
  }

  it('stop() while a capture is pending stops its tracks when they arrive', async () => {
    const slow = slowGetUserMedia(200);
    const el = await fixture<MediaCapture>(html`<media-capture video></media-capture>`);
    const events = record(el, 'stream');
    const started = el.start();
    el.stop();
    const err = await started.then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.name).to.equal('AbortError');
    const arrived = slow.arrived();
    expect(arrived, 'getUserMedia finished').to.exist;
    expect(allEnded(arrived)).to.equal(true);
    expect(el.stream).to.equal(null);
    expect(events.events).to.have.length(0);
    events.stop();
  });

  it('removal while a capture is pending leaves no camera on', async () => {
    const slow = slowGetUserMedia(200);
    const el = await fixture<MediaCapture>(html`<media-capture video autostart></media-capture>`);
    el.remove();
    const arrived = await waitFor(() => slow.arrived(), 'getUserMedia finished', 3000);
    await waitFor(() => allEnded(arrived), 'tracks stopped', 2000);
  });

  it('switchDevice replaces the track in the same stream and fires track-change', async () => {
    const el = await fixture<MediaCapture>(html`<media-capture audio video></media-capture>`);
    const stream = await el.start();
    const before = stream.getVideoTracks()[0]!;
    const cams = await MediaCapture.listDevices('videoinput');
    expect(cams.length).to.be.greaterThan(0);
    const ev = oneEvent(el, 'track-change') as Promise<TrackChangeEvent>;
    const track = await el.switchDevice('video', cams[cams.length - 1]!.deviceId);
    const { detail } = await ev;
    expect(el.stream).to.equal(stream);
    expect(stream.id).to.equal(detail.streamid);
    expect(detail.oldTrack).to.equal(before);
    expect(detail.newTrack).to.equal(track);
    expect(stream.getVideoTracks()).to.deep.equal([track]);
    expect(before.readyState).to.equal('ended');
    expect(track.readyState).to.equal('live');
    await expectFrames(el.mediaElement!, 3);
  });

  it('setMuted toggles track.enabled and fires mute-change', async () => {
    const el = await fixture<MediaCapture>(html`<media-capture audio video></media-capture>`);
    const stream = await el.start();
    const ev = oneEvent(el, 'mute-change') as Promise<MuteChangeEvent>;
    el.setMuted('audio', true);
    const { detail } = await ev;
    expect(detail).to.include({ kind: 'audio', muted: true, streamid: stream.id });
    expect(stream.getAudioTracks()[0]!.enabled).to.equal(false);
    expect(stream.getVideoTracks()[0]!.enabled).to.equal(true);
    await el.updateComplete;
    expect(el.hasAttribute('audio-muted')).to.equal(true);
    const events = record<MuteChangeEvent>(el, 'mute-change');
    el.setMuted('audio', true); // no change, no event
    el.setMuted('audio', false);
    expect(events.events.map((e) => e.detail.muted)).to.deep.equal([false]);
    expect(stream.getAudioTracks()[0]!.enabled).to.equal(true);
    events.stop();
  });

  it('setting properties never fires an event', async () => {
    const el = await fixture<MediaCapture>(html`<media-capture video></media-capture>`);
    await el.start();
    const seen: string[] = [];
    const types = ['stream', 'stream-end', 'capture-error', 'mute-change', 'track-change', 'devices-change'];
    const listener = (e: Event) => seen.push(e.type);
    for (const t of types) el.addEventListener(t, listener);
    el.width = '640';
    el.facingMode = 'environment';
    el.constraints = { video: { width: 100 } };
    el.autostart = true;
    el.noPreview = true;
    await el.updateComplete;
    await sleep(100);
    for (const t of types) el.removeEventListener(t, listener);
    expect(seen).to.deep.equal([]);
  });

  it('the constraints property overrides the attributes', async () => {
    const el = await fixture<MediaCapture>(html`<media-capture video width="exact:12345"></media-capture>`);
    el.constraints = { audio: true, video: false };
    const stream = await el.start();
    expect(stream.getVideoTracks()).to.have.length(0);
    expect(stream.getAudioTracks()).to.have.length(1);
  });

  it('lists devices', async () => {
    const devices = await MediaCapture.listDevices();
    expect(devices.some((d) => d.kind === 'videoinput')).to.equal(true);
    expect(devices.some((d) => d.kind === 'audioinput')).to.equal(true);
  });

  it('exposes parts and mirrors the user-facing camera preview', async () => {
    const el = await fixture<MediaCapture>(html`<media-capture video></media-capture>`);
    await el.start();
    await el.updateComplete;
    const video = el.shadowRoot!.querySelector('video')!;
    expect(video.getAttribute('part')).to.equal('video');
    expect(video.classList.contains('mirrored')).to.equal(true);
    expect(getComputedStyle(video).transform).to.not.equal('none');
    el.mirror = 'false';
    await el.updateComplete;
    expect(video.classList.contains('mirrored')).to.equal(false);
  });
});

describe('captureUserMedia()', () => {
  it('resolves with a stream for the given constraints', async () => {
    const stream = await captureUserMedia({ audio: true, video: false });
    expect(stream.getAudioTracks()).to.have.length(1);
    expect(stream.getVideoTracks()).to.have.length(0);
    stream.getTracks().forEach((t) => t.stop());
  });

  it("accepts the seed's callback form: captureUserMedia(callback, constraints)", async () => {
    const fromCallback = await new Promise<MediaStream>((resolve) => {
      void captureUserMedia((stream) => resolve(stream), { audio: true, video: true });
    });
    expect(fromCallback.getAudioTracks()).to.have.length(1);
    expect(fromCallback.getVideoTracks()).to.have.length(1);
    fromCallback.getTracks().forEach((t) => t.stop());
  });

  it('in the callback form, a failure causes no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: PromiseRejectionEvent) => {
      unhandled.push(e.reason);
      e.preventDefault();
    };
    window.addEventListener('unhandledrejection', onUnhandled);
    const originalError = console.error;
    console.error = () => {};
    try {
      let called = false;
      void captureUserMedia(() => (called = true), { video: { width: { exact: 12345 } } });
      await sleep(1000);
      expect(called).to.equal(false);
      expect(unhandled).to.deep.equal([]);
    } finally {
      console.error = originalError;
      window.removeEventListener('unhandledrejection', onUnhandled);
    }
  });
});
