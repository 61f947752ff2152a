// What the call UI draws on and around video tiles, as lit templates: name label, mute / camera-off markers, initials, the waiting tile.
import { css, html, nothing, type TemplateResult } from 'lit';
import { tileIcons as icons } from './tile-icons.js';
import type { Translate } from './strings.js';

/** Up to two initials of a name ("Ada Lovelace" → "AL"), for tiles without a picture. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const first = (w: string | undefined) => (w ? [...w][0]!.toUpperCase() : '');
  return first(words[0]) + (words.length > 1 ? first(words[words.length - 1]) : '');
}

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
    ${onPin ? pinButton(!!info.pinned, t, onPin) : nothing}`;
}

/**
 * A tile's pin button (part `pin-button`, pressed while pinned). In a room the
 * tiles draw it when the room sets their `pin`, and the room handles the click.
 */
export const pinButton = (pinned: boolean, t: Translate, onPin?: () => void): TemplateResult => {
  const label = t(pinned ? 'unpin' : 'pin');
  return html`<button type="button" part="pin-button" aria-label=${label} title=${label} aria-pressed=${pinned} @click=${onPin}>${icons.pin}</button>`;
};

/** A video tile's name label (part `name`, always text) with the muted-microphone marker (part `muted`) and a host's "Host" (part `host-label`), as <remote-stream> and the local <media-capture> in a room draw it. */
export const nameLabel = (name: string, micMuted: boolean, t: Translate, host?: boolean): TemplateResult =>
  html`<span part="name">${micMuted ? html`<span part="muted" role="img" aria-label=${t('muted')} title=${t('muted')}>${icons.micOff}</span>` : nothing}${name}${host ? html`<span part="host-label">${t('host')}</span>` : nothing}</span>`;

/** What a tile shows instead of black while the camera is off: the initials (part `avatar`) over the name label (part `placeholder`). */
export const tileAvatar = (name: string, label: TemplateResult | typeof nothing): TemplateResult =>
  html`<div part="placeholder" class="tile-avatar"><span part="avatar" aria-hidden="true">${initials(name)}</span>${label}</div>`;

/** The CSS of nameLabel and tileAvatar, for the tile elements' shadow roots. */
export const tileLabelStyles = css`
  .tile-avatar {
    position: absolute;
    inset: 0;
    display: flex;
    flex-direction: column;
    gap: 8px;
    align-items: center;
    justify-content: center;
    font-size: 1.3em;
  }
  [part='avatar'] {
    display: flex;
    align-items: center;
    justify-content: center;
    width: min(96px, 40%);
    aspect-ratio: 1;
    border-radius: 50%;
    background: var(--rtc-accent, #5f6368);
    color: #fff;
    font-size: clamp(16px, 5vmin, 40px);
    font-weight: 600;
  }
  [part='name'] {
    position: absolute;
    left: 8px;
    bottom: 6px;
    display: inline-flex;
    align-items: center;
    gap: 4px;
    max-width: calc(100% - 16px);
    padding: 1px 6px;
    border-radius: 4px;
    background: rgb(0 0 0 / 55%);
    font-size: 12px;
    white-space: nowrap;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  .tile-avatar [part='name'] {
    position: static;
  }
  [part='host-label'] {
    padding: 0 4px;
    border-radius: 3px;
    background: var(--rtc-accent, #1a73e8);
    color: #fff;
  }
  [part='muted'] {
    display: inline-flex;
    color: #f28b82;
  }
  [part='muted'] svg {
    width: 14px;
    height: 14px;
  }
  [part='pin-button'] {
    position: absolute;
    top: 8px;
    right: 8px;
    display: grid;
    place-items: center;
    width: 36px;
    height: 36px;
    padding: 0;
    border: 0;
    border-radius: 50%;
    background: #000a;
    color: #fff;
    cursor: pointer;
    opacity: 0;
  }
  :host(:hover) [part='pin-button'],
  [part='pin-button']:focus-visible,
  [aria-pressed='true'] {
    opacity: 1;
  }
  @media (hover: none) {
    [part='pin-button'] {
      opacity: 1;
    }
  }
  [part='pin-button'] svg {
    width: 20px;
    height: 20px;
  }
`;
