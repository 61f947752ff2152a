// Attribute mistakes on <rtc-room> (typos, other libraries' names, autojoin without room-id, a room id with spaces) are said once, loudly.
import { expect } from '@open-wc/testing';
import '../../dist/index.js';
import type { RtcRoom } from '../../dist/index.js';
import { sleep, waitFor } from './helpers.js';
import { uniqueRoom } from './room-helpers.js';

interface Seen {
  room: RtcRoom;
  errors: { code: string; message: string }[];
  warnings: string[];
}

const made: RtcRoom[] = [];

/** An <rtc-room> with these attributes (set before it is connected, as in HTML), its room-errors and console warnings. */
function place(attrs: Record<string, string>): Seen {
  const room = document.createElement('rtc-room');
  for (const [k, v] of Object.entries(attrs)) room.setAttribute(k, v);
  const seen: Seen = { room, errors: [], warnings: [] };
  room.addEventListener('room-error', (e) => seen.errors.push((e as unknown as CustomEvent<{ code: string; message: string }>).detail));
  // Until the test ends (the check may come from a chunk fetched after the element connects).
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    seen.warnings.push(args.map(String).join(' '));
    warn.apply(console, args);
  };
  restore.push(() => (console.warn = warn));
  document.body.append(room);
  made.push(room);
  return seen;
}

const restore: (() => void)[] = [];

/** The first room-error, then long enough for a join, a server answer or a retry to add another. */
async function settled(seen: Seen): Promise<void> {
  await waitFor(() => seen.errors.length > 0, 'a room-error', 5000);
  await sleep(1500);
}

describe('<rtc-room> attribute mistakes', () => {
  afterEach(() => {
    for (const r of made.splice(0)) r.remove();
    for (const undo of restore.splice(0).reverse()) undo();
  });

  const typos: [string, Record<string, string>, string][] = [
    ['roomid="x" (RTCMultiConnection\'s name)', { roomid: uniqueRoom(), autojoin: '' }, 'did you mean room-id?'],
    ['room="x"', { room: uniqueRoom(), autojoin: '' }, 'did you mean room-id?'],
    ['auto-join', { 'room-id': uniqueRoom(), 'auto-join': '' }, 'did you mean autojoin?'],
    ['socketURL (RTCMultiConnection\'s name)', { 'room-id': uniqueRoom(), socketURL: 'http://127.0.0.1:9' }, 'did you mean socket-url?'],
    ['reconect-attempts (a misspelling)', { 'room-id': uniqueRoom(), 'reconect-attempts': '3' }, 'did you mean reconnect-attempts?'],
    ['autojoin without room-id', { autojoin: '' }, 'needs room-id='],
  ];
  for (const [name, attrs, says] of typos) {
    it(`${name}: one warning and one room-error invalid-attribute naming the right attribute; nothing joined`, async () => {
      const seen = place(attrs);
      await settled(seen);
      expect(seen.errors).to.have.length(1, JSON.stringify(seen.errors));
      expect(seen.errors[0]!.code).to.equal('invalid-attribute');
      expect(seen.errors[0]!.message).to.contain(says);
      expect(seen.warnings).to.have.length(1);
      expect(seen.warnings[0]).to.contain(says);
      expect(seen.room.getAttribute('state')).to.equal('idle');
      // Connected ahead of a join, maybe (with a room-id), but nothing joined: the room was never opened.
      const id = attrs['room-id'] ?? attrs.roomid ?? attrs.room;
      if (id) expect((await seen.room.checkPresence(id)).exists, 'nobody opened the room').to.equal(false);
    });
  }

  it('room-id with spaces: one room-error saying in words which characters are allowed, the same state, no request', async () => {
    const seen = place({ 'room-id': 'my team room', autojoin: '' });
    await settled(seen);
    expect(seen.errors).to.have.length(1, JSON.stringify(seen.errors));
    expect(seen.errors[0]!.message).to.contain('"my team room"');
    expect(seen.errors[0]!.message).to.contain('letters (A-Z, a-z), digits, dots, dashes and underscores, with no spaces');
    expect(seen.errors[0]!.message).not.to.contain('[A-Za-z');
    expect(seen.room.getAttribute('state')).to.equal('idle');
  });

  it('correct attributes (the control): no warning, no room-error, joined', async () => {
    const seen = place({ 'room-id': uniqueRoom(), autojoin: '', 'data-x': '1', class: 'c', title: 'call' });
    await waitFor(() => seen.room.getAttribute('state') === 'joined', 'joined', 10000);
    expect(seen.errors).to.deep.equal([]);
    expect(seen.warnings).to.deep.equal([]);
  });
});
