// The call UI's CSS: control bar, tiles (name, markers, initials, speaking ring), grid and speaker layouts, waiting tile, pre-join panel; themed by --rtc-* properties, light and dark.
import { css } from 'lit';

/**
 * For the shadow root of the element hosting the UI. Public custom properties:
 * `--rtc-accent`, `--rtc-surface`, `--rtc-on-surface`, `--rtc-radius`,
 * `--rtc-font`. The stage (part `stage`) reads `--rtc-cols`, `--rtc-tile-w`,
 * `--rtc-tile-h` (gridFor()'s grid, set by the room), a `layout` attribute
 * (`grid` or `speaker`: parts `main` and `strip`), `direction` (`column`: the
 * strip below) and `--rtc-strip` (the strip's width, or height below).
 */
export const uiStyles = css`
  :host {
    --_accent: var(--rtc-accent, #1a73e8);
    --_surface: var(--rtc-surface, #fff);
    --_on: var(--rtc-on-surface, #1f1f1f);
    --_radius: var(--rtc-radius, 12px);
    --_bar: #202124;
    --_btn: #3c4043;
    --_danger: #d93025;
    --_on-accent: #fff;
    font-family: var(--rtc-font, system-ui, sans-serif);
  }
  @media (prefers-color-scheme: dark) {
    :host {
      --_accent: var(--rtc-accent, #8ab4f8);
      --_surface: var(--rtc-surface, #202124);
      --_on: var(--rtc-on-surface, #e8eaed);
      --_bar: #2d2e31;
      --_on-accent: #202124;
    }
  }
  [hidden] {
    display: none !important;
  }
  button,
  summary,
  select,
  input {
    font: inherit;
    color: inherit;
  }
  button,
  summary {
    cursor: pointer;
  }
  :focus-visible {
    outline: 3px solid var(--_accent);
    outline-offset: 2px;
  }
  svg {
    width: 24px;
    height: 24px;
    flex: none;
  }

  /* The bar: dark, round buttons; at most ~15 % of a phone screen (64 px of 844). */
  [part~='controls'] {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    justify-content: center;
    gap: 12px;
    padding: 8px 12px;
    background: var(--_bar);
    color: #fff;
    min-height: 48px;
    position: relative;
  }
  [part~='controls'] > button,
  [part~='device-menu-button'],
  [part~='preview-toggles'] > button {
    display: inline-grid;
    place-items: center;
    width: 48px;
    height: 48px;
    padding: 0;
    border: 0;
    border-radius: 50%;
    background: var(--_btn);
    color: #fff;
    list-style: none;
  }
  [part~='device-menu-button']::-webkit-details-marker {
    display: none;
  }
  button:hover,
  summary:hover {
    filter: brightness(1.15);
  }
  [part~='mic-toggle'][aria-pressed='false'],
  [part~='camera-toggle'][aria-pressed='false'] {
    background: var(--_danger);
  }
  [part~='screen-toggle'][aria-pressed='true'] {
    background: var(--_accent);
    color: var(--_on-accent);
  }
  [part~='controls'] > [part~='leave-button'] {
    width: 64px;
    border-radius: 24px;
    background: var(--_danger);
  }
  [part~='rejoin-button'],
  [part~='join-button'],
  [part~='copy-button'] {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 8px;
    min-height: 44px;
    padding: 0 20px;
    border: 0;
    border-radius: 22px;
    background: var(--_accent);
    color: var(--_on-accent);
    font-weight: 600;
  }
  [part~='device-panel'] {
    position: absolute;
    bottom: calc(100% + 8px);
    left: 50%;
    transform: translateX(-50%);
    z-index: 2;
    display: grid;
    gap: 12px;
    width: min(320px, 90vw);
    padding: 16px;
    border-radius: var(--_radius);
    background: var(--_surface);
    color: var(--_on);
    box-shadow: 0 4px 24px #0006;
  }
  [part~='device-field'],
  [part~='name-field'] {
    display: grid;
    gap: 4px;
    font-size: 13px;
  }
  select,
  input {
    min-height: 40px;
    min-width: 0;
    padding: 0 10px;
    border: 1px solid color-mix(in srgb, var(--_on) 30%, transparent);
    border-radius: 8px;
    background: var(--_surface);
    font-size: 15px;
  }

  /* The pre-join preview (the kit's tiles add tileOverlayStyles). */
  [part~='preview-tile'] {
    position: relative;
    aspect-ratio: 16 / 9;
    overflow: hidden;
    border-radius: var(--_radius);
    background: #3c4043;
    color: #fff;
  }
  [part~='avatar'] {
    position: absolute;
    inset: 0;
    margin: auto;
    display: grid;
    place-items: center;
    width: min(96px, 40%);
    aspect-ratio: 1;
    height: auto;
    border-radius: 50%;
    background: var(--_accent);
    color: var(--_on-accent);
    font-size: clamp(16px, 4vw, 36px);
    font-weight: 600;
  }

  /* The stage of <rtc-room controls|layout>: the room's box; the slotted tiles in a grid sized by
     gridFor(), or the speaker layout: main tile, strip beside it (below in a portrait box). */
  :host([controls]),
  :host([layout]) {
    display: flex;
    flex-direction: column;
    align-items: stretch;
    gap: 0;
    min-width: 0;
    overflow: hidden;
    /* A page's own height wins; else 16:9 of the screen's width, at least 480px, at most the screen. */
    height: min(100dvh, max(480px, 56.25vw));
    background: var(--_bar);
    position: relative;
  }
  [part~='stage'] {
    flex: 1;
    min-height: 0;
    min-width: 0;
    overflow: hidden;
    display: grid;
    gap: 8px;
    place-content: center;
    grid-template-columns: repeat(var(--rtc-cols, auto-fit), var(--rtc-tile-w, minmax(240px, 1fr)));
    grid-auto-rows: var(--rtc-tile-h, auto);
    padding: 8px;
    container-type: size;
  }
  slot::slotted(*) {
    width: 100%;
    height: 100%;
    min-width: 0;
  }
  /* A shared screen is never cropped. */
  slot::slotted([kind='screen']),
  slot::slotted([screen]) {
    --remote-stream-object-fit: contain;
    --media-capture-object-fit: contain;
  }
  [layout='speaker'] {
    display: flex;
  }
  [part~='main'] {
    flex: 1;
    min-width: 0;
    min-height: 0;
    display: grid;
    place-items: center;
    container-type: size;
  }
  [part~='main'] ::slotted(*) {
    width: min(100cqw, 100cqh * 16 / 9);
    height: auto;
    aspect-ratio: 16 / 9;
  }
  [part~='strip'] {
    display: flex;
    flex-direction: column;
    justify-content: safe center;
    gap: 8px;
    flex: 0 0 var(--rtc-strip, min(33%, max(20%, 170px)));
    min-height: 0;
    overflow: auto;
  }
  [part~='strip'] ::slotted(*) {
    flex: none;
    height: auto;
    aspect-ratio: 16 / 9;
  }
  [direction='column'] {
    flex-direction: column;
  }
  [direction='column'] > [part~='strip'] {
    flex-direction: row;
    /* Two strip tiles always fit the width (a phone); more scroll. */
    flex-basis: var(--rtc-strip, min(25cqh, max(16cqh, 96px), (100cqw - 8px) * 9 / 32));
  }
  [direction='column'] > [part~='strip'] ::slotted(*) {
    width: auto;
    height: 100%;
  }

  /* The waiting tile. */
  [part~='waiting'] {
    box-sizing: border-box;
    overflow: auto;
    display: grid;
    place-content: center;
    gap: 8px;
    padding: 16px;
    text-align: center;
    border-radius: var(--_radius);
    background: var(--_surface);
    color: var(--_on);
  }
  [part~='waiting'] p {
    margin: 0;
  }
  [part~='waiting-title'] {
    font-size: 18px;
    font-weight: 600;
  }
  [part~='invite'] {
    display: flex;
    gap: 8px;
  }
  [part~='invite-link'] {
    flex: 1;
  }

  /* The pre-join panel: preview beside the form, stacked on narrow screens. */
  [part~='prejoin'] {
    flex: 1;
    box-sizing: border-box;
    min-height: 100%;
    /* In a room of fixed height (controls: 480px on a phone) the panel scrolls; "safe" keeps its top reachable. */
    max-height: 100%;
    overflow: auto;
    display: flex;
    align-content: safe center;
    flex-wrap: wrap;
    gap: 24px;
    align-items: center;
    justify-content: center;
    padding: 16px;
    background: var(--_surface);
    color: var(--_on);
  }
  [part~='preview-tile'] {
    flex: 1 1 320px;
    max-width: 720px;
  }
  [part~='preview'] {
    width: 100%;
    height: 100%;
    object-fit: cover;
    transform: scaleX(-1);
  }
  [part~='level'] {
    position: absolute;
    left: 12px;
    bottom: 12px;
    width: min(160px, 40%);
    height: 10px;
    border-radius: 5px;
    background: #000b;
  }
  [part~='level']::-webkit-meter-bar {
    background: none;
    border: 0;
  }
  [part~='level']::-webkit-meter-optimum-value {
    background: #34a853;
    border-radius: 4px;
  }
  [part~='level']::-moz-meter-bar {
    background: #34a853;
  }
  [part~='preview-toggles'] {
    display: flex;
    gap: 12px;
  }
  [part~='prejoin-side'] {
    flex: 1 1 260px;
    max-width: 360px;
    display: grid;
    gap: 12px;
  }
  [part~='prejoin-error'] {
    margin: 0;
    color: var(--_danger);
  }
  [part~='prejoin-title'] {
    margin: 0;
    font-size: 22px;
    font-weight: 500;
  }
  [part~='left-message'] {
    margin-right: 8px;
  }

  /* The participants panel: over the stage's right side (the whole width of a phone), above the bar; the notice line on top. */
  [part~='participants'],
  [part~='notice'] {
    position: absolute;
    z-index: 3;
    top: 8px;
    right: 8px;
    box-sizing: border-box;
    margin: 0;
    border-radius: var(--_radius);
    background: var(--_surface);
    color: var(--_on);
    box-shadow: 0 4px 24px #0006;
  }
  [part~='participants'] {
    max-height: calc(100% - 80px);
    width: min(360px, 100% - 16px);
    overflow: auto;
    padding: 4px 16px 16px;
  }
  [part~='notice'] {
    left: 8px;
    width: fit-content;
    margin: auto;
    padding: 8px 16px;
  }
  [part~='participants'] header,
  [part~='participants'] li,
  [part~='host-actions'] {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 4px 8px;
  }
  [part~='participants'] h2,
  [part~='participants'] h3 {
    flex: 1;
    margin: 8px 0;
    font-size: 16px;
  }
  [part~='participants'] ul {
    margin: 0 0 12px;
    padding: 0;
    list-style: none;
  }
  [part~='participants'] li {
    min-height: 44px;
    padding: 2px 0;
  }
  [part~='participants'] li + li {
    border-top: 1px solid color-mix(in srgb, var(--_on) 12%, transparent);
  }
  /* A name gets at least 40 % of the row: the host's buttons wrap below it, right-aligned. */
  [part~='participant-name'] {
    flex: 1 1 40%;
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  [part~='host-label'] {
    padding: 0 6px;
    border-radius: 4px;
    background: var(--_accent);
    color: var(--_on-accent);
    font-size: 12px;
  }
  [part~='member-actions'] {
    display: flex;
    gap: 4px;
    margin-left: auto;
  }
  [part~='off'] {
    color: var(--_danger);
  }
  [part~='participants'] button {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 6px;
    min-width: 40px;
    min-height: 40px;
    padding: 0 10px;
    border: 0;
    border-radius: 20px;
    background: color-mix(in srgb, var(--_on) 10%, transparent);
  }
  [part~='participants'] button:disabled {
    opacity: 0.4;
    cursor: default;
  }
  [part~='participants'] [part~='end-button'] {
    background: var(--_danger);
    color: #fff;
  }
  [part~='lock-button'][aria-pressed='true'] {
    background: var(--_accent);
    color: var(--_on-accent);
  }
  [part~='participants-toggle'] {
    position: relative;
  }
  [part~='participants-count'] {
    position: absolute;
    top: -2px;
    right: -2px;
    min-width: 18px;
    border-radius: 9px;
    background: var(--_accent);
    color: var(--_on-accent);
    font-size: 12px;
    line-height: 18px;
  }
`;

/** Adopts uiStyles into a shadow root once (the room does when `controls`, `layout` or `prejoin` is set). */
export function adoptUi(root: ShadowRoot): void {
  const sheet = uiStyles.styleSheet;
  if (sheet && root.adoptedStyleSheets && !root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}
