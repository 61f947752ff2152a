// The pre-join panel as a lit template: camera preview, mic level meter, device menus, name field, mic/camera toggles, Join.
import { html, noChange, nothing, type TemplateResult } from 'lit';
import { Directive, directive, type ElementPart } from 'lit/directive.js';
import { cameraToggle, deviceSelects, micToggle, type DeviceLists, type DeviceKind } from './controls.js';
import { icons } from './icons.js';
import { initials } from './tiles.js';
import type { Translate } from './strings.js';

/** What the panel shows. */
export interface PrejoinModel {
  /** The name field's value (pre-filled from the `name` attribute or the remembered one). */
  name: string;
  micOn: boolean;
  cameraOn: boolean;
  /** The preview (null before the capture started). */
  stream: MediaStream | null;
  /** The microphone level, 0..1 (from src/audio/levels.ts). */
  level: number;
  devices: DeviceLists;
  /** True while joining: the Join button is disabled. */
  busy?: boolean;
  /** Why there is no preview (the capture failed: permission refused, no camera...). */
  error?: string | undefined;
}

/** What the panel's controls do. */
export interface PrejoinActions {
  setName(name: string): void;
  toggleMic(): void;
  toggleCamera(): void;
  pickDevice(kind: DeviceKind, id: string): void;
  join(): void;
}

/**
 * Plays a stream in a media element, setting `srcObject` only when it changes:
 * lit sets an object-valued property on every render, and each set reloads
 * the element (the preview would never play while the meter re-renders).
 */
const srcObject = directive(
  class extends Directive {
    render(_stream: MediaStream | null) {
      return noChange;
    }
    override update(part: ElementPart, [stream]: [MediaStream | null]) {
      const el = part.element as HTMLMediaElement;
      if (el.srcObject !== stream) el.srcObject = stream;
      return noChange;
    }
  },
);

/** The pre-join panel (part `prejoin`); Tab goes name, device menus, mic and camera toggles, Join; Enter in the name field joins. */
export function prejoinTemplate(m: PrejoinModel, a: PrejoinActions, t: Translate): TemplateResult {
  const level = Math.min(1, Math.max(0, m.level || 0));
  const showVideo = m.cameraOn && !!m.stream?.getVideoTracks().length;
  return html`<form part="prejoin" @submit=${(e: Event) => (e.preventDefault(), a.join())}>
    <div part="preview-tile">
      <video part="preview" aria-label=${t('preview')} ?hidden=${!showVideo} ${srcObject(m.stream)} .muted=${true} autoplay playsinline></video>
      ${showVideo ? nothing : html`<div part="avatar" aria-hidden="true">${initials(m.name) || icons.cameraOff}</div>`}
      <meter part="level" aria-label=${t('level')} min="0" max="1" .value=${m.micOn ? level : 0}></meter>
    </div>
    <div part="prejoin-side">
      <h2 part="prejoin-title">${t('ready')}</h2>
      ${m.error ? html`<p part="prejoin-error" role="alert">${m.error}</p>` : nothing}
      <label part="name-field"
        ><span>${t('name')}</span
        ><input part="name-input" name="name" autocomplete="name" maxlength="64" placeholder=${t('namePh')} .value=${m.name} @input=${(e: Event) => a.setName((e.target as HTMLInputElement).value)}
      /></label>
      ${deviceSelects(m.devices, a.pickDevice, t)}
      <div part="preview-toggles">${micToggle(m.micOn, a.toggleMic, t)}${cameraToggle(m.cameraOn, a.toggleCamera, t)}</div>
      <button part="join-button" ?disabled=${!!m.busy}>${t('join')}</button>
    </div>
  </form>`;
}
