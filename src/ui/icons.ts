// The call UI's icons: inline SVG (24×24, stroked in currentColor, hidden from assistive technology).
import { icon, MIC, SLASH, tileIcons } from './tile-icons.js';

const CAM = 'M4 6h9a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2zM15 10.5l6-3.5v10l-6-3.5';
const SCREEN = 'M4 4h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zM8 21h8M12 17v4';
const PERSON = 'M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM2 21a7 7 0 0 1 14 0';

export const icons = {
  ...tileIcons,
  mic: icon(MIC),
  camera: icon(CAM),
  cameraOff: icon(CAM + SLASH),
  screen: icon(SCREEN + 'M12 13.5V7.5M9.5 10 12 7.5l2.5 2.5'),
  screenStop: icon(SCREEN + 'M9.5 8l5 5M14.5 8l-5 5'),
  leave: icon('M2 14.5c5.5-5 14.5-5 20 0l-.5 3-4.5-1-.5-3c-3-1-6-1-9 0l-.5 3-4.5 1z'),
  chevron: icon('M6 15l6-6 6 6'),
  settings: icon('M4 7h9M17 7h3M4 17h3M11 17h9M15 5v4M9 15v4'),
  copy: icon('M9 9h10a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H11a2 2 0 0 1-2-2zM5 15a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h8a2 2 0 0 1 2 2'),
  speaker: icon('M4 9h4l5-4v14l-5-4H4zM16.5 9a4 4 0 0 1 0 6M19 6a8 8 0 0 1 0 12'),
  rejoin: icon('M4 12a8 8 0 1 0 2.5-5.8M4 4v4h4'),
  people: icon(PERSON + 'M16 3.5a4 4 0 0 1 0 7M18 14a7 7 0 0 1 4 7'),
  remove: icon(PERSON + 'M16 11h6'),
  host: icon('M3 20h18M4 16 3 6l5 4 4-6 4 6 5-4-1 10z'),
  lock: icon('M5 11h14v10H5zM8 11V7a4 4 0 0 1 8 0v4'),
  close: icon('M6 6l12 12M18 6 6 18'),
};
/** The name of one icon. */
export type IconName = keyof typeof icons;
