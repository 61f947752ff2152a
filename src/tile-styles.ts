import { css } from 'lit';

/**
 * The video tile both <media-capture> and <remote-stream> are: each element
 * maps its public custom properties (--media-capture-*, --remote-stream-*)
 * onto these private ones.
 */
export const tileStyles = css`
  :host {
    display: inline-block;
    position: relative;
    width: var(--_tile-width, 100%);
    height: var(--_tile-height, auto);
    aspect-ratio: var(--_tile-aspect-ratio, 16 / 9);
    background: var(--_tile-background, #111);
    border-radius: var(--_tile-radius, 8px);
    overflow: hidden;
    color: #eee;
    font: 14px/1.4 system-ui, sans-serif;
  }
  /* Speaking (set by <rtc-room>): a ring inside the tile's edge, over the video. */
  :host([speaking]) {
    outline: 3px solid var(--rtc-accent, #1a73e8);
    outline-offset: -3px;
  }
  :host([hidden]) {
    display: none;
  }
  video {
    width: 100%;
    height: 100%;
    display: block;
    object-fit: var(--_tile-object-fit, cover);
  }
`;
