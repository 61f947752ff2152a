// The demo page's glue: a form, a toolbar, and readable status. The call
// itself is <rtc-room> + <media-capture>; this file only wires buttons to them.
const $ = (id) => document.getElementById(id);
const room = $('room-el');
const camera = $('camera');
const params = new URLSearchParams(location.search);

$('room').value = params.get('room') ?? '';
$('name').value = params.get('name') ?? localStorage.getItem('rtc-demo-name') ?? '';

/** What to tell a person, for each error code or DOMException name. */
const HINTS = {
  NotAllowedError: 'Camera or microphone blocked. Allow access from the icon in the address bar, then join again.',
  NotFoundError: 'No camera or microphone found. Plug one in, or join with them unticked.',
  NotReadableError: 'Your camera or microphone is busy in another app. Close it and join again.',
  OverconstrainedError: 'Your camera cannot do the requested size.',
  'room-full': 'This room is full. Pick another room name.',
  'invalid-password': 'Wrong password for this room.',
  'server-unreachable': 'Cannot reach the server. Is `npm start` still running? Retrying…',
  'session-replaced': 'You joined this room from another tab; this one was disconnected.',
  'rate-limited': 'Too many messages; slow down.',
  unauthorized: 'This server only admits holders of a room token (it was started with --token-secret or --jwks-url); this demo page has none.',
};

function say(text, kind = 'info') {
  const n = $('notice');
  n.textContent = text;
  n.dataset.kind = kind;
  n.hidden = !text;
}

const STATUS = {
  idle: '',
  connecting: 'Connecting…',
  joined: 'In the call',
  reconnecting: 'Connection lost, reconnecting…',
  left: 'You left the call',
  error: 'Problem',
};

function showStatus() {
  const others = room.peers.size;
  const base = STATUS[room.state] ?? room.state;
  $('status').textContent = room.state === 'joined' ? `${base} · room “${room.roomId}” · ${others} other${others === 1 ? '' : 's'}` : base;
  $('status').dataset.state = room.state;
}

room.addEventListener('room-state', showStatus);
room.addEventListener('room-joined', () => {
  say('');
  showStatus();
});
room.addEventListener('peer-join', (e) => {
  say(`${e.detail.extra?.name || e.detail.userid} joined`);
  showStatus();
});
room.addEventListener('peer-leave', (e) => {
  say(`${nameOf(e.detail.userid)} left`);
  showStatus();
});
room.addEventListener('room-error', (e) => say(HINTS[e.detail.code] ?? e.detail.message, 'error'));
document.addEventListener('capture-error', (e) => say(HINTS[e.detail.name] ?? e.detail.message, 'error'));

const names = new Map();
room.addEventListener('peer-join', (e) => names.set(e.detail.userid, e.detail.extra?.name));
room.addEventListener('room-joined', (e) => e.detail.peers.forEach((p) => names.set(p.userid, p.extra?.name)));
const nameOf = (userid) => names.get(userid) || userid;

async function join() {
  const roomid = $('room').value.trim();
  if (!roomid) return;
  const name = $('name').value.trim();
  localStorage.setItem('rtc-demo-name', name);
  history.replaceState(null, '', `?room=${encodeURIComponent(roomid)}`);
  $('join-form').hidden = true;
  $('call').hidden = false;
  room.extra = { name: name || undefined };
  const wantVideo = $('want-camera').checked;
  const wantAudio = $('want-mic').checked;
  camera.toggleAttribute('video', wantVideo);
  camera.toggleAttribute('audio', wantAudio);
  camera.hidden = !wantVideo && !wantAudio;
  if (wantVideo || wantAudio) {
    // A failed capture still lets you join and watch the others.
    await camera.start().catch(() => {});
    fillDevices();
  }
  await room.openOrJoin(roomid).catch(() => {});
}

$('join-form').addEventListener('submit', (e) => {
  e.preventDefault();
  join();
});

$('leave').addEventListener('click', async () => {
  await room.leave();
  camera.stop();
  room.querySelector('media-capture[screen]')?.remove();
  $('call').hidden = true;
  $('join-form').hidden = false;
  say('');
});

function toggleButton(button, on, onText, offText) {
  button.setAttribute('aria-pressed', String(on));
  button.textContent = on ? onText : offText;
}

$('mute-mic').addEventListener('click', () => {
  const muted = !camera.isMuted('audio');
  camera.setMuted('audio', muted);
  toggleButton($('mute-mic'), muted, 'Unmute mic', 'Mute mic');
});
$('mute-cam').addEventListener('click', () => {
  const muted = !camera.isMuted('video');
  camera.setMuted('video', muted);
  toggleButton($('mute-cam'), muted, 'Start video', 'Stop video');
});

$('share-screen').addEventListener('click', async () => {
  const existing = room.querySelector('media-capture[screen]');
  if (existing) {
    existing.remove(); // removal stops the share and takes it off every peer
    toggleButton($('share-screen'), false, '', 'Share screen');
    return;
  }
  const screen = document.createElement('media-capture');
  screen.setAttribute('screen', '');
  screen.addEventListener('stream-end', () => {
    screen.remove();
    toggleButton($('share-screen'), false, '', 'Share screen');
  });
  room.append(screen);
  try {
    await screen.start();
    toggleButton($('share-screen'), true, 'Stop sharing', 'Share screen');
  } catch {
    screen.remove();
  }
});

$('copy-link').addEventListener('click', async () => {
  const link = `${location.origin}${location.pathname}?room=${encodeURIComponent(room.roomId)}`;
  try {
    await navigator.clipboard.writeText(link);
    say(`Invite link copied: ${link}`);
  } catch {
    say(`Share this link: ${link}`);
  }
});

async function fillDevices() {
  const devices = await customElements.get('media-capture').listDevices();
  for (const [select, kind, track] of [
    [$('camera-select'), 'videoinput', camera.stream?.getVideoTracks()[0]],
    [$('mic-select'), 'audioinput', camera.stream?.getAudioTracks()[0]],
  ]) {
    const current = track?.getSettings().deviceId;
    select.replaceChildren(
      ...devices.filter((d) => d.kind === kind).map((d, i) => new Option(d.label || `${kind} ${i + 1}`, d.deviceId, false, d.deviceId === current)),
    );
    select.hidden = select.options.length < 2;
  }
}
camera.addEventListener('devices-change', fillDevices);
$('camera-select').addEventListener('change', (e) => camera.switchDevice('video', e.target.value).catch(() => {}));
$('mic-select').addEventListener('change', (e) => camera.switchDevice('audio', e.target.value).catch(() => {}));

// An invite link fills in the room; joining (camera on) still takes the guest's own click:
// a link alone must never turn a camera on.
if ($('room').value) $('join-form').querySelector('button')?.focus();
