// Every visible string of the call UI in the seven built-in languages, the language resolver and the lookup.

/** The string keys, in the order each language's block below lists them (one string a line). */
const KEYS = [
  'mic', 'micOn', 'micOff', 'cam', 'camOn', 'camOff', 'share', 'stopShare', 'speaker', 'devices',
  'leave', 'rejoin', 'join', 'you', 'waiting', 'invite', 'copy', 'copied', 'name', 'namePh',
  'muted', 'noCam', 'pin', 'unpin', 'presenting', 'connecting', 'reconnecting', 'left', 'bar', 'level',
  'ready', 'preview', 'dflt', 'people', 'host', 'makeHost', 'remove', 'lobby', 'admit', 'deny',
  'lock', 'end', 'close', 'knocking', 'mutedMic', 'mutedCam',
] as const;

/** A key of the strings table: what a `strings` override object may set. */
export type StringKey = (typeof KEYS)[number];
/** The `strings` property: any subset of the table, winning over the built-in language. */
export type StringOverrides = Partial<Record<StringKey, string>>;
/** The built-in languages. */
export type Lang = 'en' | 'de' | 'fr' | 'es' | 'pt' | 'ja' | 'zh';
/** Looks up one string; `{name}`-style placeholders are filled from `vars`. */
export type Translate = (key: StringKey, vars?: Record<string, string>) => string;

// English, one line per key in KEYS order (the other languages: strings-i18n.ts). `{name}` is a placeholder.
const EN = `Microphone
Turn on microphone
Turn off microphone
Camera
Turn on camera
Turn off camera
Share screen
Stop sharing
Speaker
Devices
Leave
Rejoin
Join
You
Waiting for others to join
Share this link to invite others
Copy link
Copied
Your name
Enter your name
Muted
Camera off
Pin
Unpin
{name} is presenting
Connecting…
Connection lost: reconnecting…
You left the call
Call controls
Microphone level
Ready to join?
Preview
Default
Participants
Host
Make host
Remove
Waiting to join
Admit
Deny
Lock room
End for everyone
Close
{name} wants to join
A host muted your microphone
A host turned off your camera`;

/** The built-in languages, English first. */
export const LANGS: readonly Lang[] = ['en', 'de', 'fr', 'es', 'pt', 'ja', 'zh'];

let tables: Partial<Record<Lang, string>> = { en: EN };
let loading: Promise<void> | null = null;
let settled = false;

/**
 * Loads the languages other than English (once); `then` runs when they are in. Until then lookups give English:
 * a page in another language shows English for the moment the chunk takes to arrive (or for good if it cannot).
 */
export function loadLangs(then?: () => void): Promise<void> {
  loading ??= import('./strings-i18n.js')
    .then((m) => void (tables = { ...m.TABLES, en: EN }), () => {})
    .then(() => void (settled = true));
  if (then && !settled) void loading.then(then);
  return loading;
}

/** The languages' load while it is under way (elements count it in their `updateComplete`), else null. */
export const langsLoading = (): Promise<void> | null => (settled ? null : loading);

const cache = new Map<Lang, Record<string, string>>();

/** The whole table of one language, keyed (built once per language); English while that language is not in yet. */
export function stringsOf(lang: Lang): Record<StringKey, string> {
  const text = tables[lang];
  if (!text) return stringsOf('en');
  let map = cache.get(lang);
  if (!map) {
    const lines = text.split('\n');
    map = {};
    KEYS.forEach((k, i) => (map![k] = lines[i] ?? ''));
    cache.set(lang, map);
  }
  return map as Record<StringKey, string>;
}

/** The built-in language for one BCP 47 tag (`pt-BR` → pt, `zh-Hans-CN` → zh), or undefined. */
export function langOf(tag: string | null | undefined): Lang | undefined {
  const primary = (tag ?? '').trim().toLowerCase().split(/[-_]/)[0] as Lang;
  return LANGS.includes(primary) ? primary : undefined;
}

/**
 * The UI language: the element's `lang`, else the document's `lang`, else the
 * first of the browser's languages we have, else English. A `lang` that is set
 * but not built in gives English (the page asked for that language; a guess
 * from elsewhere would be as wrong).
 */
export function pickLang(
  elementLang?: string | null,
  documentLang?: string | null,
  navigatorLanguages: readonly string[] = [],
): Lang {
  for (const given of [elementLang, documentLang]) if (given?.trim()) return langOf(given) ?? 'en';
  for (const tag of navigatorLanguages) {
    const lang = langOf(tag);
    if (lang) return lang;
  }
  return 'en';
}

/**
 * A lookup for `lang`, with `overrides` (the `strings` property) winning; unknown keys give the key itself.
 * A language not in yet answers in English and is loaded; `reload` runs once it is (to render again).
 */
export function translator(lang: Lang, overrides?: StringOverrides | null, reload?: () => void): Translate {
  if (!tables[lang]) void loadLangs(reload);
  const table = stringsOf(lang);
  return (key, vars) => {
    const own = overrides?.[key];
    let s = typeof own === 'string' ? own : (table[key] ?? key);
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, v: string) => vars[v] ?? m);
    return s;
  };
}
