// The pre-join choices remembered per origin (name, mic/camera on, devices) in localStorage under one key, tolerant of storage that throws.

/** What the pre-join panel remembers. */
export interface Prefs {
  name?: string;
  micOn?: boolean;
  cameraOn?: boolean;
  camera?: string;
  mic?: string;
  speaker?: string;
}

/** The one localStorage key. */
export const PREFS_KEY = 'rtc-elements:prefs';

/**
 * localStorage, or null where touching it throws (Safari private mode of old,
 * sandboxed iframes, storage disabled) or there is none (Node).
 */
function defaultStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

const STR = ['name', 'camera', 'mic', 'speaker'] as const;
const BOOL = ['micOn', 'cameraOn'] as const;

/** The remembered choices; anything unreadable or malformed reads as not remembered. */
export function loadPrefs(storage: () => Storage | null = defaultStorage): Prefs {
  const out: Prefs = {};
  try {
    const raw: unknown = JSON.parse(storage()?.getItem(PREFS_KEY) ?? '{}');
    if (!raw || typeof raw !== 'object') return out;
    const r = raw as Record<string, unknown>;
    for (const k of STR) if (typeof r[k] === 'string') out[k] = (r[k] as string).slice(0, 256);
    for (const k of BOOL) if (typeof r[k] === 'boolean') out[k] = r[k] as boolean;
  } catch {
    // Unavailable or garbage: nothing remembered.
  }
  return out;
}

/** Merges `changes` into the remembered choices; returns false when they could not be stored. */
export function savePrefs(changes: Prefs, storage: () => Storage | null = defaultStorage): boolean {
  try {
    const s = storage();
    if (!s) return false;
    s.setItem(PREFS_KEY, JSON.stringify({ ...loadPrefs(() => s), ...changes }));
    return true;
  } catch {
    return false; // quota, private mode, or access denied
  }
}
