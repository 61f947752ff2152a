// The call's control bar as a lit template (mic, camera, screen, device menus, leave / rejoin), and the `controls` attribute parser.
import { html, nothing, type TemplateResult } from 'lit';
import { icons } from './icons.js';
import type { StringKey, Translate } from './strings.js';

/** One control of the bar, as the `controls` attribute names it. */
export type ControlItem = 'mic' | 'camera' | 'screen' | 'devices' | 'participants' | 'leave';
/** Every control, in the default order. */
export const CONTROL_ITEMS: readonly ControlItem[] = ['mic', 'camera', 'screen', 'devices', 'participants', 'leave'];

/**
 * Parses the `controls` attribute: missing or empty gives every control in
 * the default order; otherwise the named ones in the order given (each once).
 * Words that name no control are returned in `unknown`, for a warning.
 */
export function parseControls(value: string | null | undefined): { items: ControlItem[]; unknown: string[] } {
  const words = (value ?? '').toLowerCase().split(/[\s,]+/).filter(Boolean);
  if (!words.length) return { items: [...CONTROL_ITEMS], unknown: [] };
  const items: ControlItem[] = [];
  const unknown: string[] = [];
  for (const w of words) {
    if (!(CONTROL_ITEMS as readonly string[]).includes(w)) unknown.push(w);
    else if (!items.includes(w as ControlItem)) items.push(w as ControlItem);
  }
  return { items, unknown };
}

/** A device in a menu. */
export interface DeviceChoice {
  id: string;
  label: string;
}
/** Which menu: camera, microphone or speaker (audio output). */
export type DeviceKind = 'camera' | 'mic' | 'speaker';
/** The devices the menus offer, and the ids in use (undefined: the default). */
export interface DeviceLists {
  cameras: DeviceChoice[];
  mics: DeviceChoice[];
  /** Empty where the browser cannot choose the output (no `setSinkId`): then no speaker menu. */
  speakers: DeviceChoice[];
  selected: Partial<Record<DeviceKind, string>>;
}

/** Whether this browser can share a screen (phones cannot: no `getDisplayMedia`). */
export const canShareScreen = (): boolean => typeof navigator !== 'undefined' && !!navigator.mediaDevices?.getDisplayMedia;

/** Whether this browser can choose the audio output of a media element (`setSinkId`). */
export const canPickSpeaker = (): boolean => typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;

/**
 * The menus' lists from `enumerateDevices()`: cameras, microphones, and
 * speakers only where `setSinkId` exists. Unlabelled devices (no permission
 * yet) keep an empty label; the menus then show the kind's name.
 */
export function deviceLists(infos: readonly MediaDeviceInfo[], selected: DeviceLists['selected'] = {}): DeviceLists {
  const of = (kind: MediaDeviceKind) =>
    infos.filter((d) => d.kind === kind && d.deviceId && d.deviceId !== 'default').map((d) => ({ id: d.deviceId, label: d.label }));
  return { cameras: of('videoinput'), mics: of('audioinput'), speakers: canPickSpeaker() ? of('audiooutput') : [], selected };
}

/** What the bar shows. */
export interface ControlsModel {
  items: readonly ControlItem[];
  micOn: boolean;
  cameraOn: boolean;
  sharing: boolean;
  /** False where `getDisplayMedia` is missing (phones): no screen button. */
  canShare: boolean;
  devices: DeviceLists;
  /** The room's state; 'left' shows a Rejoin button instead of the controls. */
  state: string;
  /** The participants panel's button (its own module draws it). */
  people?: TemplateResult;
}

/** What the bar's controls do; the host calls the elements' public API (setMuted, switchDevice, leave()...). */
export interface ControlsActions {
  toggleMic(): void;
  toggleCamera(): void;
  toggleScreen(): void;
  pickDevice(kind: DeviceKind, id: string): void;
  leave(): void;
  rejoin(): void;
}

/** A round toggle button: constant accessible name, `aria-pressed`, the action in its tooltip. */
export function toggle(part: string, label: string, title: string, pressed: boolean, icon: TemplateResult, onClick: () => void) {
  return html`<button type="button" part=${part} aria-label=${label} title=${title} aria-pressed=${pressed ? 'true' : 'false'} @click=${onClick}>${icon}</button>`;
}

/** The microphone toggle (part `mic-toggle`), pressed while the microphone is on. */
export const micToggle = (on: boolean, onClick: () => void, t: Translate) =>
  toggle('mic-toggle', t('mic'), t(on ? 'micOff' : 'micOn'), on, on ? icons.mic : icons.micOff, onClick);
/** The camera toggle (part `camera-toggle`), pressed while the camera is on. */
export const cameraToggle = (on: boolean, onClick: () => void, t: Translate) =>
  toggle('camera-toggle', t('cam'), t(on ? 'camOff' : 'camOn'), on, on ? icons.camera : icons.cameraOff, onClick);

const MENUS: [DeviceKind, keyof DeviceLists, StringKey][] = [
  ['camera', 'cameras', 'cam'],
  ['mic', 'mics', 'mic'],
  ['speaker', 'speakers', 'speaker'],
];

/** The labelled native `<select>`s for cameras, microphones and speakers (those with choices). */
export function deviceSelects(devices: DeviceLists, pick: ControlsActions['pickDevice'], t: Translate) {
  return MENUS.map(([kind, list, key]) => {
    const choices = devices[list] as DeviceChoice[];
    if (!choices.length) return nothing;
    const selected = devices.selected[kind] ?? '';
    return html`<label part="device-field"
      ><span>${t(key)}</span
      ><select part="device-select" data-kind=${kind} @change=${(e: Event) => pick(kind, (e.target as HTMLSelectElement).value)}>
        ${selected && choices.some((c) => c.id === selected) ? nothing : html`<option value="" selected>${t('dflt')}</option>`}
        ${choices.map((c) => html`<option value=${c.id} ?selected=${c.id === selected}>${c.label || t(key)}</option>`)}
      </select></label
    >`;
  });
}

/** Esc in the open device menu closes it and gives focus back to its button. */
function menuKey(e: KeyboardEvent): void {
  const menu = e.currentTarget as HTMLDetailsElement;
  if (e.key !== 'Escape' || !menu.open) return;
  menu.open = false;
  menu.querySelector('summary')?.focus();
  e.stopPropagation();
}

/** The control bar (part `controls`), or after leaving a Rejoin button. */
export function controlsTemplate(m: ControlsModel, a: ControlsActions, t: Translate): TemplateResult {
  if (m.state === 'left') {
    return html`<div part="controls" role="group" aria-label=${t('bar')}>
      <span part="left-message" role="status">${t('left')}</span>
      <button type="button" part="rejoin-button" @click=${a.rejoin}>${icons.rejoin}<span>${t('rejoin')}</span></button>
    </div>`;
  }
  const item = (i: ControlItem) => {
    switch (i) {
      case 'mic':
        return micToggle(m.micOn, a.toggleMic, t);
      case 'camera':
        return cameraToggle(m.cameraOn, a.toggleCamera, t);
      case 'screen':
        return m.canShare
          ? toggle('screen-toggle', t('share'), t(m.sharing ? 'stopShare' : 'share'), m.sharing, m.sharing ? icons.screenStop : icons.screen, a.toggleScreen)
          : nothing;
      case 'devices':
        return html`<details part="device-menu" @keydown=${menuKey}
          ><summary part="device-menu-button" role="button" aria-label=${t('devices')} title=${t('devices')}>${icons.settings}</summary
          ><div part="device-panel">${deviceSelects(m.devices, a.pickDevice, t)}</div></details
        >`;
      case 'participants':
        return m.people ?? nothing;
      case 'leave':
        return html`<button type="button" part="leave-button" aria-label=${t('leave')} title=${t('leave')} @click=${a.leave}>${icons.leave}</button>`;
    }
  };
  return html`<div part="controls" role="group" aria-label=${t('bar')}>${m.items.map(item)}</div>`;
}
