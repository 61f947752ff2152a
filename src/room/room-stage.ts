// The stage of <rtc-room controls> / <rtc-room layout>: the room's tiles fill its box (a grid), or one tile is
// large with the others in a strip (layout="speaker", a pinned tile, a screen share), and the waiting tile while
// alone. The grid's geometry is ui/layout.ts's; this module measures the box and assigns the tiles to the slots.
import { html, nothing, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from 'lit';
import { gridFor } from '../ui/layout.js';
import type { Translate } from '../ui/strings.js';
import { waitingTemplate } from '../ui/waiting.js';

/** What the stage needs from <rtc-room>. */
export interface StageHost extends ReactiveControllerHost, HTMLElement {
  state: string;
  controls: string | null;
  layout: string | null;
  pinned: string | null;
  /** The room's logic; read only while joined (it exists then). */
  readonly room: { peers: Map<string, unknown> };
  readonly renderRoot: HTMLElement | DocumentFragment;
}

/** A tile: a <remote-stream> or <media-capture> child of the room (`pin` shows its pin button). */
type Tile = HTMLElement & { userid?: string | null; kind?: string | null; pin?: boolean | null };

/** The room's events the stage follows: who we are, who speaks, tiles and people coming and going, pin-button clicks. */
const EVENTS = ['room-joined', 'active-speaker', 'peer-join', 'peer-leave', 'stream', 'stream-end', 'click'];

export class RoomStage implements ReactiveController {
  /** Our own userid (from room-joined): the local tiles' user. */
  private self: string | null = null;
  /** The latest `active-speaker`. */
  private speaker: string | null = null;
  private box: DOMRectReadOnly | null = null;
  private readonly observer = new ResizeObserver(([entry]) => {
    this.box = entry!.contentRect;
    this.place();
  });
  private stage: HTMLElement | null = null;
  /** Cells of the grid (with the waiting tile); 0 in the speaker layout. */
  private cells = 0;
  private copied = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly update = () => this.host.requestUpdate();

  constructor(private readonly host: StageHost) {
    host.addController(this);
  }

  /** `controls` or `layout` is set. */
  get active(): boolean {
    return this.host.controls !== null || this.host.layout !== null;
  }

  hostConnected(): void {
    for (const type of EVENTS) this.host.addEventListener(type, this);
    if (this.active) this.update(); // after a move: observe the box again
  }

  hostDisconnected(): void {
    for (const type of EVENTS) this.host.removeEventListener(type, this);
    this.observer.disconnect();
    this.stage = null;
    clearTimeout(this.timer);
  }

  hostUpdated(): void {
    const stage = this.active ? this.host.renderRoot.querySelector<HTMLElement>('[part~="stage"]') : null;
    if (stage !== this.stage) {
      this.observer.disconnect();
      if (stage) this.observer.observe(stage);
      this.stage = stage;
    }
    this.place();
  }

  handleEvent(e: Event): void {
    const userid = (e as CustomEvent<{ userid?: string } | undefined>).detail?.userid ?? null;
    if (e.type === 'room-joined') this.self = userid;
    // Our own voice does not take the large tile from the last remote speaker.
    if (e.type === 'active-speaker' && userid !== this.self) this.speaker = userid;
    if (e.type !== 'click') {
      if (this.active) this.update();
      return;
    }
    // A click on a tile's pin button pins that tile's user, or unpins it.
    const path = e.composedPath() as Tile[];
    const tile = path.find((n) => n.parentElement === this.host);
    const id = tile && path.some((n) => n.part?.contains('pin-button')) && this.userid(tile);
    if (id) this.host.pinned = this.host.pinned === id ? null : id;
  }

  private userid(tile: Tile): string | null {
    return tile.localName === 'remote-stream' ? (tile.userid ?? null) : this.self;
  }

  /**
   * The stage in place of the room's plain slot. The large tile (pinned, else a screen share, else with
   * layout="speaker" the active speaker's or the first remote one) goes to the main slot (`slot="main"`).
   */
  render(t: Translate): TemplateResult {
    const host = this.host;
    const active = this.active;
    if (!active && !this.stage) return html`<slot></slot>`;
    const tiles = [...host.querySelectorAll<Tile>(':scope>:not([hidden],script,style,template,[slot]:not([slot=main]))')];
    // Alone: no other member (whether or not a connection to them is up yet).
    const waiting = active && host.controls !== null && host.state === 'joined' && !host.room.peers.size;
    const of = (id: string | null) => tiles.filter((e) => id && this.userid(e) === id);
    const screen = (list: Tile[]) => list.filter((e) => e.kind === 'screen').pop();
    const remote = tiles.filter((e) => e.localName === 'remote-stream');
    const main =
      active && !waiting && tiles[1]
        ? (screen(of(host.pinned)) ??
          of(host.pinned)[0] ??
          screen(tiles) ??
          (host.layout === 'speaker' ? (remote.find((e) => e.userid === this.speaker) ?? remote[0] ?? tiles[0]) : undefined))
        : undefined;
    for (const tile of tiles) {
      if (tile === main) tile.slot = 'main';
      else if (tile.slot) tile.removeAttribute('slot');
      const id = this.userid(tile);
      if ('pin' in tile) tile.pin = active && id ? id === host.pinned : null;
    }
    if (!active) return html`<slot></slot>`;
    this.cells = main ? 0 : tiles.length + (waiting ? 1 : 0);
    return html`<div part="stage" layout=${main ? 'speaker' : 'grid'} @slotchange=${this.update}>
      ${main
        ? html`<div part="main"><slot name="main"></slot></div><div part="strip"><slot></slot></div>`
        : html`<slot></slot>${waiting ? waitingTemplate(location.href, this.copied, this.copy, t) : nothing}`}
    </div>`;
  }

  /** Sizes the grid for the measured box (gridFor); the speaker layout's strip goes below in a portrait box. */
  private place(): void {
    const { stage, box } = this;
    if (!stage || !box) return;
    const g = gridFor(this.cells, box.width, box.height);
    stage.setAttribute('direction', box.width < box.height ? 'column' : 'row');
    stage.style.setProperty('--rtc-cols', String(g.columns || 1));
    stage.style.setProperty('--rtc-tile-w', `${g.tileWidth}px`);
    stage.style.setProperty('--rtc-tile-h', `${g.tileHeight}px`);
  }

  /** Copies the invite link ("Copied" for 2 s); where the clipboard refuses, selects it for the person to copy. */
  private readonly copy = (e: Event) => {
    const input = (e.currentTarget as Element).previousElementSibling as HTMLInputElement;
    const done = (copied: boolean) => {
      this.copied = copied;
      this.update();
    };
    (navigator.clipboard?.writeText(input.value) ?? Promise.reject()).then(
      () => {
        done(true);
        clearTimeout(this.timer);
        this.timer = setTimeout(done, 2000, false);
      },
      () => input.select(),
    );
  };
}
