// What the call UI draws on and around video tiles, as lit templates: name label, mute / camera-off markers, initials, the waiting tile.
import { html, nothing, type TemplateResult } from 'lit';
import { icons } from './icons.js';
import { initials } from './prejoin.js';
import type { Translate } from './strings.js';

/** One tile's people-facing state. */
export interface TileInfo {
  /** The peer's name (`extra.name`), else its userid; ignored for the local tile, which says "You". */
  name: string;
  local?: boolean;
  micMuted?: boolean;
  cameraOff?: boolean;
  /** Pinned in the speaker layout: the pin button shows "Unpin". */
  pinned?: boolean;
}

/** The name a tile shows: "You" for the local one, else the given name (always text: lit escapes it). */
export const tileName = (info: TileInfo, t: Translate) => (info.local ? t('you') : info.name.trim() || '?');

/**
 * The overlay on one tile: initials while the camera is off, the name label
 * with a muted marker, and a pin button when `onPin` is given.
 */
export function tileOverlay(info: TileInfo, t: Translate, onPin?: () => void): TemplateResult {
  const name = tileName(info, t);
  return html`${info.cameraOff ? html`<div part="avatar" role="img" aria-label=${t('noCam')}>${initials(info.local ? info.name || name : name)}</div>` : nothing}
    <div part="name">${info.micMuted ? html`<span part="muted" role="img" aria-label=${t('muted')}>${icons.micOff}</span>` : nothing}<span>${name}</span></div>
    ${onPin
      ? html`<button type="button" part="pin-button" aria-label=${t(info.pinned ? 'unpin' : 'pin')} title=${t(info.pinned ? 'unpin' : 'pin')} aria-pressed=${info.pinned ? 'true' : 'false'} @click=${onPin}>${icons.pin}</button>`
      : nothing}`;
}

/** The tile a person alone in the room sees: waiting text, the invite link and a copy button. */
export function waitingTemplate(href: string, copied: boolean, copy: () => void, t: Translate): TemplateResult {
  return html`<div part="waiting" role="status">
    <p part="waiting-title">${t('waiting')}</p>
    <p part="invite-text">${t('invite')}</p>
    <div part="invite"><input part="invite-link" readonly aria-label=${t('invite')} .value=${href} /><button type="button" part="copy-button" @click=${copy}>${icons.copy}<span>${t(copied ? 'copied' : 'copy')}</span></button></div>
  </div>`;
}
