// The icons a video tile draws (its muted marker and pin button): the rest of the call UI's icons are in
// icons.ts, which the UI chunk loads with the UI; these ship with the tiles.
import { svg, type TemplateResult } from 'lit';

/** Wraps path data into one hidden, currentColor icon. */
export const icon = (d: string): TemplateResult =>
  svg`<svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d=${d} /></svg>`;

export const MIC = 'M12 3a3 3 0 0 1 3 3v5a3 3 0 0 1-6 0V6a3 3 0 0 1 3-3zM6 11a6 6 0 0 0 12 0M12 17v4M9 21h6';
export const SLASH = 'M3 3l18 18';

export const tileIcons = {
  micOff: icon(MIC + SLASH),
  pin: icon('M9 3h6M10 3v6l-4 4h12l-4-4V3M12 13v8'),
};
