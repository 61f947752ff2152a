import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { sendMouse } from '@web/test-runner-commands';
import { RemoteStream, type AutoplayBlockedEvent } from '../../dist/index.js';
import { expectFrames, waitFor } from './helpers.js';

async function capture(constraints: MediaStreamConstraints): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia(constraints);
}

describe('<remote-stream>', () => {
  const streams: MediaStream[] = [];
  let restorePlay: (() => void) | undefined;
  afterEach(() => {
    restorePlay?.();
    restorePlay = undefined;
    for (const s of streams.splice(0)) s.getTracks().forEach((t) => t.stop());
  });

  it('is registered', () => {
    expect(customElements.get('remote-stream')).to.equal(RemoteStream);
  });

  it('renders a video stream in a shadow <video part="video" autoplay playsinline> and reflects playing', async () => {
    const stream = await capture({ video: { width: 320, height: 240 }, audio: true });
    streams.push(stream);
    const el = await fixture<RemoteStream>(html`<remote-stream muted .stream=${stream} userid="ada"></remote-stream>`);
    const video = el.shadowRoot!.querySelector('video')!;
    expect(video.getAttribute('part')).to.equal('video');
    expect(video.autoplay).to.equal(true);
    expect(video.playsInline).to.equal(true);
    expect(video.srcObject).to.equal(stream);
    await expectFrames(video, 3);
    await waitFor(() => el.getAttribute('state') === 'playing', 'state=playing');
    expect(el.getAttribute('streamid')).to.equal(stream.id);
    expect(el.getAttribute('userid')).to.equal('ada');
    expect(el.hasAttribute('audio-only')).to.equal(false);
  });

  it('shows a placeholder with the user name for audio-only streams and still plays their audio', async () => {
    const stream = await capture({ audio: true });
    streams.push(stream);
    const el = await fixture<RemoteStream>(
      html`<remote-stream muted .stream=${stream} .extra=${{ name: 'Grace' }} userid="g1"></remote-stream>`,
    );
    await el.updateComplete;
    expect(el.hasAttribute('audio-only')).to.equal(true);
    const placeholder = el.shadowRoot!.querySelector('[part="placeholder"]')!;
    expect(placeholder.textContent).to.contain('Grace');
    const video = el.mediaElement!;
    await waitFor(() => !video.paused, 'audio is playing');
    expect(video.srcObject).to.equal(stream);
  });

  it('when autoplay with sound is blocked: plays muted, fires autoplay-blocked, and a click unmutes', async () => {
    // Chromium headless may allow autoplay; make it behave like a browser with a strict policy.
    const proto = HTMLMediaElement.prototype;
    const realPlay = proto.play;
    let gesture = false;
    proto.play = function (this: HTMLMediaElement) {
      if (!this.muted && !gesture) return Promise.reject(new DOMException('play() needs a user gesture', 'NotAllowedError'));
      return realPlay.call(this);
    };
    restorePlay = () => {
      proto.play = realPlay;
    };
    const stream = await capture({ video: { width: 320, height: 240 }, audio: true });
    streams.push(stream);
    const el = document.createElement('remote-stream');
    el.userid = 'u1';
    const blocked = oneEvent(el, 'autoplay-blocked') as Promise<AutoplayBlockedEvent>;
    el.stream = stream;
    document.body.append(el);
    try {
      const { detail } = await blocked;
      expect(detail).to.deep.equal({ streamid: stream.id, userid: 'u1' });
      const video = el.mediaElement!;
      expect(video.muted).to.equal(true);
      await expectFrames(video, 2); // video renders anyway
      await el.updateComplete;
      expect(el.hasAttribute('autoplay-blocked')).to.equal(true);
      const button = el.shadowRoot!.querySelector('[part="unmute-button"]')!;
      expect(button.textContent).to.match(/unmute/i);
      gesture = true;
      const r = button.getBoundingClientRect();
      await sendMouse({ type: 'click', position: [Math.round(r.x + r.width / 2), Math.round(r.y + r.height / 2)] });
      await waitFor(() => !video.muted && !el.autoplayBlocked, 'unmuted after the click');
      expect(video.paused).to.equal(false);
    } finally {
      el.remove();
    }
  });

  it('reflects ended when every track ends', async () => {
    const stream = await capture({ video: { width: 320, height: 240 } });
    streams.push(stream);
    const el = await fixture<RemoteStream>(html`<remote-stream muted .stream=${stream}></remote-stream>`);
    await waitFor(() => el.state === 'playing', 'playing');
    const track = stream.getVideoTracks()[0]!;
    track.stop();
    track.dispatchEvent(new Event('ended')); // what a remote track's end looks like
    await waitFor(() => el.getAttribute('state') === 'ended', 'state=ended');
  });

  it('the muted attribute keeps sound off; video-muted shows the placeholder', async () => {
    const stream = await capture({ video: { width: 320, height: 240 }, audio: true });
    streams.push(stream);
    const el = await fixture<RemoteStream>(html`<remote-stream muted .stream=${stream} name="Linus"></remote-stream>`);
    expect(el.mediaElement!.muted).to.equal(true);
    el.videoMuted = true;
    await el.updateComplete;
    expect(el.hasAttribute('video-muted')).to.equal(true);
    expect(el.shadowRoot!.querySelector('[part="placeholder"]')!.textContent).to.contain('Linus');
  });

  it('releases the stream when removed from the page', async () => {
    const stream = await capture({ video: { width: 320, height: 240 } });
    streams.push(stream);
    const el = await fixture<RemoteStream>(html`<remote-stream muted .stream=${stream}></remote-stream>`);
    const video = el.mediaElement!;
    el.remove();
    expect(video.srcObject).to.equal(null);
  });
});
