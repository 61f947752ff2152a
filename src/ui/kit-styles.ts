// CSS for pages and tests that draw the kit's own tiles (tileOverlay() in a `<div part="tile">`) instead of the
// elements; in a module of its own so the bundle, which never draws them, leaves it out.
import { css } from 'lit';

/**
 * For a host that draws tileOverlay() on its own `<div part="tile">` tiles
 * (with uiStyles and tileLabelStyles): the tile box, the speaking ring, and
 * those tiles as children of the stage's `main` and `strip` parts.
 */
export const tileOverlayStyles = css`
  [part~='tile'] {
    position: relative;
    aspect-ratio: 16 / 9;
    overflow: hidden;
    border-radius: var(--_radius);
    background: #3c4043;
    color: #fff;
  }
  [part~='tile'][speaking]::after {
    content: '';
    position: absolute;
    inset: 0;
    border-radius: inherit;
    box-shadow: inset 0 0 0 3px var(--_accent);
    pointer-events: none;
  }
  [part~='main'] > * {
    width: min(100cqw, 100cqh * 16 / 9);
  }
  [part~='strip'] > * {
    flex: none;
    width: var(--rtc-strip-w, auto);
  }
`;
