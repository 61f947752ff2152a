// The call UI of <rtc-room> (stage, control bar, pre-join panel, speaking detection and their styles), one
// module that <rtc-room> imports on first need: with `controls`, `layout` or `prejoin`, or a speaking listener.
// The CDN bundle keeps it in a chunk of its own, so pages without the UI never fetch it.
export { RoomStage } from './room-stage.js';
export { RoomControls } from './room-controls-ui.js';
export { RoomPeople } from './room-participants-ui.js';
export { RoomPrejoin } from './room-prejoin-ui.js';
export { RoomSpeaking } from './room-speaking.js';
export { adoptUi } from '../ui/styles.js';
