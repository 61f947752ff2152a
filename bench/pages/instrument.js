// Loaded first by every bench page (a classic script, before any library):
// timestamps (performance.timeOrigin + performance.now(), comparable across
// pages), a counting RTCPeerConnection subclass, track bookkeeping, socket
// traffic marks and first-frame detection. Counting holds only WeakRefs, so
// it cannot itself keep a connection or a track alive.
(() => {
  const now = () => performance.timeOrigin + performance.now();
  const marks = [];
  const MAX_MARKS = 5000;
  // The leak part turns recording off so the marks themselves do not count as heap growth.
  const state = { recording: true };
  function mark(what, detail) {
    const t = now();
    if (state.recording && marks.length < MAX_MARKS) marks.push(detail === undefined ? { t, what } : { t, what, detail });
    return t;
  }

  const pcs = [];
  const tracks = [];
  const keepTrack = (t) => {
    if (t) tracks.push(new WeakRef(t));
  };

  const Native = window.RTCPeerConnection;
  class BenchPeerConnection extends Native {
    constructor(...args) {
      super(...args);
      pcs.push(new WeakRef(this));
      mark('pc-create');
      this.addEventListener('negotiationneeded', () => mark('negotiationneeded'));
      this.addEventListener('iceconnectionstatechange', () => {
        const s = this.iceConnectionState;
        if (s === 'connected' || s === 'completed') mark('ice-connected');
      });
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'connected') mark('pc-connected');
      });
      this.addEventListener('track', (e) => {
        keepTrack(e.track);
        mark('track', e.track.kind);
      });
    }
  }
  window.RTCPeerConnection = BenchPeerConnection;
  window.webkitRTCPeerConnection = BenchPeerConnection;

  const md = navigator.mediaDevices;
  const gum = md.getUserMedia.bind(md);
  md.getUserMedia = async (...args) => {
    mark('gum-call');
    const stream = await gum(...args);
    mark('gum-done');
    stream.getTracks().forEach(keepTrack);
    return stream;
  };
  const clone = MediaStreamTrack.prototype.clone;
  MediaStreamTrack.prototype.clone = function (...args) {
    const t = clone.apply(this, args);
    keepTrack(t);
    return t;
  };

  /** What a socket.io message carries: offer, answer, candidate, or just its event name. */
  function kindOf(event, args) {
    let found = null;
    const seen = new Set();
    const walk = (v, depth) => {
      if (found || !v || typeof v !== 'object' || depth > 5 || seen.has(v)) return;
      seen.add(v);
      if ((v.type === 'offer' || v.type === 'answer') && typeof v.sdp === 'string') {
        found = v.type;
        return;
      }
      if (typeof v.candidate === 'string' || (v.candidate && typeof v.candidate.candidate === 'string')) {
        found = 'candidate';
        return;
      }
      for (const k of Object.keys(v)) walk(v[k], depth + 1);
    };
    for (const a of args) walk(a, 0);
    return found ?? event;
  }

  function instrumentSocket(socket) {
    if (!socket || socket.__benched) return socket;
    socket.__benched = true;
    socket.on('connect', () => mark('socket-connect'));
    // onAny sees events, not acks. The engine's raw 'data' fires as a message
    // arrives, before socket.io hands the decoded packet to app code (a timer
    // later): the arrival time of every ack ('3' is socket.io's ACK type).
    socket.io?.on?.('open', () => {
      mark('engine-open');
      socket.io.engine?.on('data', (data) => {
        if (typeof data === 'string' && data[0] === '3') mark('in:ack');
      });
    });
    socket.onAnyOutgoing?.((event, ...args) => mark(`out:${kindOf(event, args)}`));
    socket.onAny((event, ...args) => mark(`in:${kindOf(event, args)}`));
    return socket;
  }

  /** First presented frame of each remote, by label. */
  const frames = {};
  const frameWaiters = [];
  function watchVideo(video, label) {
    video.requestVideoFrameCallback(() => {
      const t = mark('first-frame', label);
      if (state.recording && !(label in frames)) frames[label] = t;
      for (const w of [...frameWaiters]) w();
    });
  }
  /** Resolves with `frames` once `count` labels matching `prefix` have a frame. */
  function waitFrames(count, prefix = '', timeoutMs = 30000) {
    return new Promise((resolve, reject) => {
      const have = () => Object.keys(frames).filter((k) => k.startsWith(prefix)).length;
      const timer = setTimeout(() => {
        frameWaiters.splice(frameWaiters.indexOf(check), 1);
        reject(new Error(`frames from ${have()}/${count} remotes after ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        if (have() < count) return;
        clearTimeout(timer);
        frameWaiters.splice(frameWaiters.indexOf(check), 1);
        resolve({ ...frames });
      };
      frameWaiters.push(check);
      check();
    });
  }

  function live() {
    let peerConnections = 0;
    for (const ref of pcs) {
      const pc = ref.deref();
      if (pc && pc.signalingState !== 'closed') peerConnections++;
    }
    let liveTracks = 0;
    for (const ref of tracks) if (ref.deref()?.readyState === 'live') liveTracks++;
    return { peerConnections, liveTracks, createdPeerConnections: pcs.length };
  }

  function reset() {
    marks.length = 0;
    for (const k of Object.keys(frames)) delete frames[k];
  }

  // Main-thread tasks over 50 ms: time the page could not react to the network.
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) mark('longtask', { start: performance.timeOrigin + e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    /* not supported */
  }

  window.__bench = { state, now, mark, marks, frames, instrumentSocket, watchVideo, waitFrames, live, reset };
})();
