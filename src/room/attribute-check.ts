/** <rtc-room>'s typo check: attributes that look like ours but are not (roomid, auto-join, socketURL …), and autojoin without room-id. */

/** Says what is wrong (the element reports it as an `invalid-attribute` room-error). */
export type ReportAttribute = (message: string) => void;

/** Names other libraries (RTCMultiConnection) and habits use for our attributes; keys lowercased as HTML stores them. */
const ALIASES: Record<string, string> = {
  roomid: 'room-id',
  room: 'room-id',
  'room-name': 'room-id',
  roomname: 'room-id',
  channel: 'room-id',
  sessionid: 'room-id',
  socketurl: 'socket-url',
  socket: 'socket-url',
  'server-url': 'socket-url',
  serverurl: 'socket-url',
  server: 'socket-url',
  'user-id': 'userid',
  username: 'userid',
  maxparticipantsallowed: 'max-participants',
  'auto-join': 'autojoin',
  'auto-start': 'autojoin',
  iceservers: 'ice-servers (a property, not an attribute)',
};

/** Attributes every element may carry: never reported. */
const GLOBAL = new Set([
  'id', 'class', 'style', 'slot', 'part', 'exportparts', 'hidden', 'title', 'lang', 'dir', 'tabindex', 'role', 'is',
  'inert', 'autofocus', 'nonce', 'contenteditable', 'draggable', 'spellcheck', 'translate', 'accesskey', 'popover',
  'enterkeyhint', 'inputmode', 'autocapitalize', 'itemscope', 'itemprop', 'itemtype', 'itemid', 'itemref', 'state',
]);

/** The normalized name: lowercase, without - and _. */
const squash = (name: string) => name.toLowerCase().replace(/[-_]/g, '');

/** Levenshtein distance, stopping early above `max`. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    if (Math.min(...next) > max) return max + 1;
    row = next;
  }
  return row[b.length]!;
}

/** The attribute `name` was probably meant to be, or null when it does not look like one of `known`. */
export function suggestAttribute(name: string, known: readonly string[]): string | null {
  const lower = name.toLowerCase();
  if (known.includes(lower) || GLOBAL.has(lower) || /^(data-|aria-|on)/.test(lower)) return null;
  if (ALIASES[lower]) return ALIASES[lower]!;
  const squashed = squash(lower);
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = squash(k) === squashed ? 0 : distance(squashed, squash(k), squash(k).length >= 6 ? 2 : 1);
    if (d <= (squash(k).length >= 6 ? 2 : 1) && d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** Lit's declared properties (`elementProperties`), as far as the check needs them. */
export type PropertyOptionsMap = ReadonlyMap<PropertyKey, { attribute?: boolean | string; state?: boolean }>;

/** Elements already checked: moving one in the page does not warn again. */
const checked = new WeakSet<Element>();

/** The attribute names of Lit properties: `attribute: 'x'`, or the lowercased property name. */
function attributeNames(properties: PropertyOptionsMap): string[] {
  const names: string[] = [];
  for (const [key, options] of properties) {
    if (options.state || options.attribute === false || typeof key !== 'string') continue;
    names.push(typeof options.attribute === 'string' ? options.attribute : key.toLowerCase());
  }
  return names;
}

/**
 * Checks an element's attributes once it is connected: each one that looks
 * like ours gets one console warning and one report naming the right one;
 * `autojoin` without `room-id` (and no typo explaining it) gets one too.
 */
export function checkAttributes(element: Element, properties: PropertyOptionsMap, report: ReportAttribute): void {
  if (checked.has(element)) return;
  checked.add(element);
  const known = attributeNames(properties);
  const problems: string[] = [];
  let meantRoomId = false;
  for (const { name, value } of [...element.attributes]) {
    const meant = suggestAttribute(name, known);
    if (!meant) continue;
    if (meant === 'room-id') meantRoomId = true;
    const shown = value === '' ? name : `${name}="${value}"`;
    problems.push(`<${element.localName}> has no attribute "${name}": did you mean ${meant}? (${shown} is ignored)`);
  }
  if (element.hasAttribute('autojoin') && !element.getAttribute('room-id') && !meantRoomId) {
    problems.push(`<${element.localName} autojoin> needs room-id="…" to know which room to join; nothing is joined until it is set.`);
  }
  for (const message of problems) {
    console.warn(`rtc-elements: ${message}`);
    report(message);
  }
}
