// Text chat demo: send() and room-message over data channels.
const room = document.getElementById('room');
const messages = document.getElementById('messages');
const add = (who, text) => {
  const p = document.createElement('p');
  p.textContent = `${who}: ${text}`;
  messages.append(p);
  messages.scrollTop = messages.scrollHeight;
};
room.addEventListener('room-joined', (e) => add('·', `joined as ${e.detail.userid}`));
room.addEventListener('peer-join', (e) => add('·', `${e.detail.userid} joined`));
room.addEventListener('peer-leave', (e) => add('·', `${e.detail.userid} left`));
room.addEventListener('room-message', (e) => add(e.detail.userid, String(e.detail.data)));
document.getElementById('form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = document.getElementById('text');
  if (!input.value) return;
  room.send(input.value);
  add('me', input.value);
  input.value = '';
});
