// The participants panel of <rtc-room controls>: everyone in the call (name, "You", who is host, microphone and
// camera), and for hosts each member's mute / make host / remove, the lobby queue (admit / deny), lock and end.
// Every button calls the room's public host API; the server decides (anyone but a host gets `forbidden`).
import { html, nothing, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from 'lit';
import type { MediaKind, Role } from '../protocol.js';
import { icons } from '../ui/icons.js';
import type { StringKey, Translate } from '../ui/strings.js';

/** A tile child of the room: a <remote-stream> or a <media-capture>. */
type Tile = HTMLElement & {
  userid?: string | null;
  kind?: string | null;
  screen?: boolean;
  audioMuted: boolean;
  videoMuted: boolean;
  audioOnly?: boolean;
  host?: boolean;
  tileLabel?: { host?: boolean } | null;
};

/** What the panel needs from <rtc-room>: its state, its members and the host methods. */
export interface PeopleHost extends ReactiveControllerHost, HTMLElement {
  state: string;
  controls: string | null;
  name: string | null;
  readonly isHost: boolean;
  readonly room: { userid: string; role: Role; locked: boolean; roles: Map<string, Role>; peers: Map<string, { extra: unknown }> };
  readonly renderRoot: HTMLElement | DocumentFragment;
  readonly updateComplete: Promise<boolean>;
  admit(userid: string): Promise<void>;
  deny(userid: string): Promise<void>;
  muteParticipant(userid: string, kind: MediaKind): Promise<void>;
  removeParticipant(userid: string): Promise<void>;
  makeHost(userid: string): Promise<void>;
  lock(): Promise<void>;
  unlock(): Promise<void>;
  endRoom(): Promise<void>;
}

/** What changes the panel, the notice or the host labels (tiles and members coming and going already re-render the stage). */
const EVENTS = ['knock', 'lobby-resolved', 'host-mute', 'mute-change', 'stream-mute', 'role-change', 'room-locked', 'peer-update', 'room-state', 'keydown'];

/** A member's name: `extra.name`, else its userid (shown as text, never HTML). */
const nameOf = (userid: string, extra: unknown) => {
  const name = (extra as { name?: unknown } | null)?.name;
  return (typeof name === 'string' && name.trim()) || userid;
};

export class RoomPeople implements ReactiveController {
  private open = false;
  /** The lobby queue (hosts only): userid -> extra. */
  private readonly knocks = new Map<string, unknown>();
  /** A host muted this kind of ours, until we unmute it. */
  private muted: string | null = null;

  constructor(private readonly host: PeopleHost) {
    host.addController(this);
  }

  hostConnected(): void {
    for (const type of EVENTS) this.host.addEventListener(type, this);
  }

  hostDisconnected(): void {
    for (const type of EVENTS) this.host.removeEventListener(type, this);
  }

  handleEvent(e: Event): void {
    const d = ((e as CustomEvent).detail ?? {}) as { userid: string; extra?: unknown; kind?: string; muted?: boolean; state?: string };
    if (e.type === 'knock') this.knocks.set(d.userid, d.extra);
    if (e.type === 'lobby-resolved') this.knocks.delete(d.userid);
    if (e.type === 'host-mute') this.muted = d.kind!;
    if (e.type === 'mute-change' && d.kind === this.muted && !d.muted) this.muted = null;
    if (e.type === 'room-state' && (d.state === 'left' || d.state === 'error')) {
      this.knocks.clear();
      this.muted = null;
      this.open = false;
    }
    if (e.type === 'keydown') {
      if ((e as KeyboardEvent).key !== 'Escape' || !this.open) return;
      this.toggle();
    }
    if (this.host.controls !== null) this.host.requestUpdate();
  }

  /** Marks the hosts' tiles ("Host" beside the name). */
  hostUpdated(): void {
    const r = this.members();
    if (!r) return;
    for (const el of this.host.querySelectorAll<Tile>('remote-stream,media-capture')) {
      const host = (el.localName === 'media-capture' ? r.role : r.roles.get(el.userid!)) === 'host' && el.kind !== 'screen';
      if (el.localName === 'remote-stream') el.host = host;
      else if (el.tileLabel && el.tileLabel.host !== host) el.tileLabel = { ...el.tileLabel, host };
    }
  }

  /** The room's members, while it has them (reading `room` earlier would create the client). */
  private members() {
    return this.host.controls !== null && (this.host.state === 'joined' || this.host.state === 'reconnecting') ? this.host.room : null;
  }

  /** Opens or closes the panel; focus goes into it (its Close button) or back to the bar's button. */
  private readonly toggle = () => {
    this.open = !this.open;
    this.host.requestUpdate();
    void this.host.updateComplete.then(() =>
      this.host.renderRoot.querySelector<HTMLElement>(`[part~=${this.open ? 'participants-close' : 'participants-toggle'}]`)?.focus(),
    );
  };

  /** The bar's button (part `participants-toggle`) with the member count (part `participants-count`). */
  button(t: Translate): TemplateResult {
    const r = this.members();
    return html`<button type="button" part="participants-toggle" aria-label=${t('people')} title=${t('people')} aria-expanded=${this.open} @click=${this.toggle}>${icons.people}${r ? html`<span part="participants-count">${r.peers.size + 1}</span>` : nothing}</button>`;
  }

  /** The notice line (a host muted us; a knock while the panel is closed) and the panel (part `participants`). */
  render(t: Translate): TemplateResult {
    const h = this.host;
    const r = this.members();
    const knocks = h.isHost ? [...this.knocks] : [];
    const last = knocks[knocks.length - 1];
    const notice = this.muted ? t(this.muted === 'audio' ? 'mutedMic' : 'mutedCam') : last && !this.open ? t('knocking', { name: nameOf(...last) }) : '';
    // A host request the server refuses (the member left meanwhile) changes nothing on screen.
    const button = (part: string, label: string, icon: unknown, work: () => Promise<void>, text = '', off = false) =>
      html`<button type="button" part=${part} aria-label=${label} title=${label} ?disabled=${off} @click=${() => work().catch(() => {})}>${icon}${text}</button>`;
    const state = (on: boolean, part: string, label: StringKey, icon: TemplateResult) => html`<span part=${on ? part : `${part} off`} role="img" aria-label=${t(label)}>${icon}</span>`;
    const row = ([id, extra]: [string, unknown]) => {
      const you = id === r!.userid;
      const name = you ? (h.name?.trim() ? `${h.name.trim()} (${t('you')})` : t('you')) : nameOf(id, extra);
      const tile = [...h.querySelectorAll<Tile>(you ? 'media-capture' : 'remote-stream')].find((e) => (you ? !e.screen : e.userid === id && e.kind !== 'screen'));
      const mic = !!tile && !tile.audioMuted;
      const cam = !!tile && !tile.videoMuted && !tile.audioOnly;
      const host = (you ? r!.role : r!.roles.get(id)) === 'host';
      const label = (key: StringKey) => `${t(key)}: ${name}`;
      return html`<li part="participant"><span part="participant-name">${name}</span>${host ? html`<span part="host-label">${t('host')}</span>` : nothing}${state(mic, 'mic-state', mic ? 'mic' : 'muted', mic ? icons.mic : icons.micOff)}${state(cam, 'camera-state', cam ? 'cam' : 'noCam', cam ? icons.camera : icons.cameraOff)}${h.isHost && !you
        ? html`<span part="member-actions">${button('mute-mic', label('micOff'), icons.micOff, () => h.muteParticipant(id, 'audio'), '', !mic)}${button('mute-camera', label('camOff'), icons.cameraOff, () => h.muteParticipant(id, 'video'), '', !cam)}${host ? nothing : button('make-host', label('makeHost'), icons.host, () => h.makeHost(id))}${button('remove-button', label('remove'), icons.remove, () => h.removeParticipant(id))}</span>`
        : nothing}</li>`;
    };
    const knock = ([id, extra]: [string, unknown]) => {
      const name = nameOf(id, extra);
      return html`<li part="knock"><span part="participant-name">${name}</span>${button('admit-button', `${t('admit')}: ${name}`, nothing, () => h.admit(id), t('admit'))}${button('deny-button', `${t('deny')}: ${name}`, nothing, () => h.deny(id), t('deny'))}</li>`;
    };
    return html`<p part="notice" role="status" ?hidden=${!notice}>${notice}</p>${this.open && r
      ? html`<section part="participants" role="dialog" aria-label=${t('people')}><header><h2>${t('people')} (${r.peers.size + 1})</h2>${button('participants-close', t('close'), icons.close, async () => this.toggle())}</header>${knocks.length
          ? html`<h3>${t('lobby')}</h3><ul part="lobby">${knocks.map(knock)}</ul>`
          : nothing}<ul part="participant-list">${[[r.userid, null] as [string, unknown], ...[...r.peers].map(([id, p]) => [id, p.extra] as [string, unknown])].map(row)}</ul>${h.isHost
          ? html`<div part="host-actions"><button type="button" part="lock-button" aria-pressed=${r.locked} @click=${() => (r.locked ? h.unlock() : h.lock()).catch(() => {})}>${icons.lock}${t('lock')}</button>${button('end-button', t('end'), icons.leave, () => h.endRoom(), t('end'))}</div>`
          : nothing}</section>`
      : nothing}`;
  }
}
