// The demo page's glue: only what the tags cannot do. It picks the room (from
// ?room= or a small form) and says in plain words why something failed. The
// pre-join panel, the control bar, names, layout and the invite link are
// <rtc-room controls prejoin> itself.
const $ = (id) => document.getElementById(id);
const room = $('room-el');

/** What to tell a person, for each error code or DOMException name. */
const HINTS = {
  NotAllowedError: 'Camera or microphone blocked. Allow access from the icon in the address bar, then reload.',
  NotFoundError: 'No camera or microphone found. You can still join and watch the others.',
  NotReadableError: 'Your camera or microphone is busy in another app. Close it and reload.',
  'room-full': 'This room is full. Pick another room name.',
  'server-unreachable': 'Cannot reach the server. Is `npm start` still running? Retrying…',
  'session-replaced': 'You joined this room from another tab; this one was disconnected.',
  unauthorized: 'This server only admits holders of a room token (it was started with --token-secret or --jwks-url); this demo page has none.',
};

function say(text) {
  $('notice').textContent = text;
  $('notice').hidden = !text;
}
room.addEventListener('room-error', (e) => say(HINTS[e.detail.code] ?? e.detail.message));
room.addEventListener('capture-error', (e) => say(HINTS[e.detail.name] ?? e.detail.message));
room.addEventListener('room-joined', () => say(''));

/** Shows the room; an invite link (?room=) comes straight here. Joining still takes the guest's click on Join. */
function enter(roomid) {
  $('room-form').hidden = true;
  room.roomId = roomid;
  room.hidden = false;
}

const linked = new URLSearchParams(location.search).get('room');
if (linked) enter(linked);
else {
  $('room-form').hidden = false;
  $('room').focus();
}
$('room-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const roomid = $('room').value.trim();
  // The address becomes the invite link the waiting tile offers.
  history.replaceState(null, '', `?room=${encodeURIComponent(roomid)}`);
  enter(roomid);
});
