// Assertion helpers shared by the browser tests: they wait for what a user
// would see (decoded frames), with a deadline, and fail with a clear message.

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `predicate` until it is truthy or `timeout` ms pass; then throws `message`. */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  message: string,
  timeout = 10000,
  interval = 50,
): Promise<NonNullable<T>> {
  const deadline = performance.now() + timeout;
  for (;;) {
    const value = await predicate();
    if (value) return value as NonNullable<T>;
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeout} ms: ${message}`);
    await sleep(interval);
  }
}

/**
 * Resolves when `video` has presented `count` new frames (requestVideoFrameCallback),
 * i.e. the picture really moves on screen.
 */
export function expectFrames(video: HTMLVideoElement, count = 3, timeout = 10000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const timer = setTimeout(
      () => reject(new Error(`Timed out after ${timeout} ms: ${seen}/${count} video frames rendered`)),
      timeout,
    );
    const onFrame = () => {
      seen += 1;
      if (seen >= count) {
        clearTimeout(timer);
        resolve();
      } else video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  });
}

/** Every track of the stream has ended. */
export function allEnded(stream: MediaStream | null | undefined): boolean {
  return !!stream && stream.getTracks().every((t) => t.readyState === 'ended');
}

/** Collects the events of `type` dispatched on `target` until `stop()` is called. */
export function record<E extends Event>(target: EventTarget, type: string): { events: E[]; stop(): void } {
  const events: E[] = [];
  const listener = (e: Event) => events.push(e as E);
  target.addEventListener(type, listener);
  return { events, stop: () => target.removeEventListener(type, listener) };
}

/** Runs `body` with every RTCPeerConnection the page makes meanwhile listed in `made` (all users of a test share the page). */
export async function countingConnections(body: (made: RTCPeerConnection[]) => Promise<void>): Promise<void> {
  const made: RTCPeerConnection[] = [];
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      made.push(this);
    }
  } as typeof RTCPeerConnection;
  try {
    await body(made);
  } finally {
    window.RTCPeerConnection = Native;
  }
}
