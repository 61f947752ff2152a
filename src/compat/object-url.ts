/**
 * The compat script's one global patch: URL.createObjectURL(MediaStream) and
 * media elements whose `src` is set to such a URL, for pages written when
 * browsers still accepted that (they now throw a TypeError). Never imported by
 * the main bundle; installed only by the classic script and installObjectUrlShim().
 */

const INSTALLED = Symbol.for('rtc-elements.compat.object-url');

/** URL -> stream, for the URLs this shim handed out and nobody revoked. */
const streams = new Map<string, MediaStream>();
/** Elements playing a stream through the shim, and the URL the page set. */
const elementUrls = new WeakMap<HTMLMediaElement, string>();

function newUrl(): string {
  const id =
    typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function'
      ? crypto.randomUUID()
      : Math.random().toString(16).slice(2) + Date.now().toString(16);
  // Shaped like a real blob URL so page code that inspects it (startsWith('blob:')) keeps working.
  return `blob:${location.origin}/${id}`;
}

/**
 * Makes `URL.createObjectURL(stream)` return a URL this shim remembers, and
 * setting a media element's `src` (property or attribute) to that URL play
 * the stream through `srcObject`. Every other call passes through untouched.
 * Installing twice is harmless.
 */
export function installObjectUrlShim(win: typeof globalThis = globalThis): void {
  const holder = win as unknown as Record<symbol, boolean | undefined>;
  if (holder[INSTALLED] || typeof win.URL === 'undefined' || typeof win.HTMLMediaElement === 'undefined') return;
  holder[INSTALLED] = true;
  const Stream = win.MediaStream;
  const URLCtor = win.URL;
  const create = URLCtor.createObjectURL.bind(URLCtor);
  const revoke = URLCtor.revokeObjectURL.bind(URLCtor);

  URLCtor.createObjectURL = function createObjectURL(obj: Blob | MediaSource | MediaStream): string {
    if (typeof Stream === 'function' && obj instanceof Stream) {
      const url = newUrl();
      streams.set(url, obj);
      return url;
    }
    return create(obj as Blob | MediaSource);
  };
  URLCtor.revokeObjectURL = function revokeObjectURL(url: string): void {
    if (streams.delete(url)) return;
    revoke(url);
  };

  const proto = win.HTMLMediaElement.prototype;
  const srcDesc = Object.getOwnPropertyDescriptor(proto, 'src');
  if (!srcDesc?.set || !srcDesc.get) return;
  const setSrc = srcDesc.set;
  const getSrc = srcDesc.get;

  /** Plays a shim URL's stream; returns false for any other value (which then goes to the platform). */
  const adopt = (el: HTMLMediaElement, value: unknown): boolean => {
    const stream = typeof value === 'string' ? streams.get(value) : undefined;
    if (!stream) {
      if (elementUrls.has(el)) {
        // A real URL replaces the stream: srcObject would win over src otherwise.
        elementUrls.delete(el);
        el.srcObject = null;
      }
      return false;
    }
    elementUrls.set(el, value as string);
    el.srcObject = stream;
    return true;
  };

  Object.defineProperty(proto, 'src', {
    configurable: true,
    enumerable: srcDesc.enumerable ?? true,
    get(this: HTMLMediaElement): string {
      return elementUrls.get(this) ?? (getSrc.call(this) as string);
    },
    set(this: HTMLMediaElement, value: string) {
      if (!adopt(this, value)) setSrc.call(this, value);
    },
  });

  const setAttribute = win.Element.prototype.setAttribute;
  const removeAttribute = win.Element.prototype.removeAttribute;
  win.Element.prototype.setAttribute = function (this: Element, name: string, value: string): void {
    if (this instanceof win.HTMLMediaElement && String(name).toLowerCase() === 'src' && adopt(this, value)) return;
    setAttribute.call(this, name, value);
  };
  win.Element.prototype.removeAttribute = function (this: Element, name: string): void {
    if (this instanceof win.HTMLMediaElement && String(name).toLowerCase() === 'src' && elementUrls.has(this)) {
      elementUrls.delete(this);
      this.srcObject = null;
    }
    removeAttribute.call(this, name);
  };
}
