// The audio level monitor on real streams: Chromium's fake microphone beeps (speaking), a silenced or zero-gain stream does not, and the shared loop stops when nothing is watched.
import { expect } from '@open-wc/testing';
import { sendMouse } from '@web/test-runner-commands';
import { levelLoopRunning, watch } from '../../dist/audio/levels.js';
import { sleep, waitFor } from './helpers.js';

/** A click on the page: the user gesture that lets the shared AudioContext run (no autoplay flag here). */
async function userGesture(): Promise<void> {
  await sendMouse({ type: 'click', position: [5, 5] });
}

/** Records what a watch reports. */
function listen() {
  const calls: { speaking: boolean; level: number }[] = [];
  return {
    calls,
    onChange: (speaking: boolean, level: number) => calls.push({ speaking, level }),
    get last() {
      return calls[calls.length - 1];
    },
    speaking: () => calls.some((c) => c.speaking),
  };
}

describe('audio levels (src/audio/levels.ts)', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const f of cleanup.splice(0)) f();
  });

  it('hears the fake microphone: a level above zero and speaking, then not speaking once the track is disabled', async () => {
    const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
    cleanup.push(() => mic.getTracks().forEach((t) => t.stop()));
    const l = listen();
    const unwatch = watch(mic, l.onChange);
    cleanup.push(unwatch);
    expect(levelLoopRunning()).to.equal(true);
    await userGesture();
    await waitFor(() => l.calls.some((c) => c.level > 0), 'a level above zero from the fake microphone');
    await waitFor(() => l.last?.speaking, 'speaking from the beeping fake microphone');
    mic.getAudioTracks()[0]!.enabled = false; // a disabled track sends silence
    await waitFor(() => l.last && !l.last.speaking, 'speaking stops after the microphone goes silent');
    const quietSince = l.calls.length;
    await sleep(1200);
    expect(l.calls.slice(quietSince).some((c) => c.speaking), 'stays not speaking').to.equal(false);
    expect(l.last!.level).to.be.below(0.45);
  });

  it('a zero-gain oscillator never counts as speaking, while a loud one does', async () => {
    await userGesture();
    const ac = new AudioContext();
    cleanup.push(() => void ac.close());
    await ac.resume();
    const osc = ac.createOscillator();
    const gain = ac.createGain();
    gain.gain.value = 0;
    const dest = ac.createMediaStreamDestination();
    osc.connect(gain).connect(dest);
    osc.start();
    const silent = listen();
    cleanup.push(watch(dest.stream, silent.onChange));
    await sleep(1500);
    expect(silent.speaking(), 'silence is not speaking').to.equal(false);
    expect(silent.calls.every((c) => c.level === 0), 'silence has level 0').to.equal(true);
    // The same graph made loud: proves the silent result came from the silence, not a dead monitor.
    gain.gain.value = 0.5;
    await waitFor(() => silent.last?.speaking, 'speaking once the oscillator is audible');
  });

  it('unwatch releases the stream: no more reports, and the shared loop stops with the last watch', async () => {
    const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
    cleanup.push(() => mic.getTracks().forEach((t) => t.stop()));
    await userGesture();
    const a = listen();
    const b = listen();
    const unwatchA = watch(mic, a.onChange);
    const unwatchB = watch(mic.clone(), b.onChange);
    await waitFor(() => a.calls.length && b.calls.length, 'both streams report');
    unwatchA();
    expect(levelLoopRunning(), 'still running for the other stream').to.equal(true);
    const afterA = a.calls.length;
    unwatchB();
    expect(levelLoopRunning(), 'the loop stops with the last watch').to.equal(false);
    expect(a.calls[afterA - 1]).to.deep.equal({ speaking: false, level: 0 }, 'unwatch reports silence once');
    const frozen = [a.calls.length, b.calls.length];
    await sleep(400);
    expect([a.calls.length, b.calls.length]).to.deep.equal(frozen);
    unwatchA(); // twice is harmless
  });

  it('a stopped track releases its watch by itself; a stream without audio is ignored', async () => {
    const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
    await userGesture();
    const l = listen();
    cleanup.push(watch(mic, l.onChange));
    await waitFor(() => l.calls.length, 'reports while live');
    mic.getTracks().forEach((t) => t.stop());
    await waitFor(() => !levelLoopRunning(), 'the loop stops once the only watched track ended');
    const video = await navigator.mediaDevices.getUserMedia({ video: true });
    cleanup.push(() => video.getTracks().forEach((t) => t.stop()));
    const none = listen();
    const unwatch = watch(video, none.onChange);
    expect(levelLoopRunning()).to.equal(false);
    await sleep(200);
    expect(none.calls).to.have.length(0);
    unwatch();
  });
});
