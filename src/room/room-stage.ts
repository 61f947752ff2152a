// The stage of <rtc-room controls> / <rtc-room layout>: the room's tiles fill its box (a grid), or one tile is
// large with the others in a strip (layout="speaker", a pinned tile, a screen share), and the waiting tile while
// alone. The geometry is ui/layout.ts's; this module measures the box and assigns the tiles to the slots.
import { html, nothing, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from 'lit';
import { gridFor, speakerLayout } from '../ui/layout.js';
import type { Translate } from '../ui/strings.js';
import { waitingTemplate } from '../ui/tiles.js';

/** What the stage needs from <rtc-room>. */
export interface StageHost extends ReactiveControllerHost, HTMLElement {
  state: string;
  controls: string | null;
  layout: string | null;
  pinned: string | null;
  readonly peers: Map<string, unknown>;
  readonly renderRoot: HTMLElement | DocumentFragment;
}

/** A tile: a <remote-stream> or <media-capture> child of the room (`pin` shows its pin button). */
type Tile = HTMLElement & { userid?: string | null; kind?: string | null; pin?: boolean | null };

const GAP = 8;

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
  private observed: Element | null = null;
  /** What render() chose: grid cells (with the waiting tile), or tiles in the strip. */
  private count = 0;
  private speakerMode = false;
  private copied = false;
  private copyTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly update = () => this.host.requestUpdate();
  private readonly on = (e: Event) => {
    const detail = (e as CustomEvent<{ userid?: string }>).detail;
    if (e.type === 'room-joined') this.self = detail.userid ?? null;
    if (e.type === 'active-speaker') this.speaker = detail.userid ?? null;
    this.update();
  };
  /** A click on a tile's pin button pins that tile's user (or unpins it). */
  private readonly onClick = (e: Event) => {
    const path = e.composedPath() as Tile[];
    if (!path.some((n) => n.part?.contains('pin-button'))) return;
    const tile = path.find((n) => n.parentElement === this.host);
    const userid = tile && this.userid(tile);
    if (userid) this.host.pinned = this.host.pinned === userid ? null : userid;
  };

  constructor(private readonly host: StageHost) {
    host.addController(this);
  }

  get active(): boolean {
    return this.host.controls !== null || this.host.layout !== null;
  }

  hostConnected(): void {
    for (const type of ['room-joined', 'active-speaker', 'peer-join', 'peer-leave', 'stream', 'stream-end']) this.host.addEventListener(type, this.on);
    this.host.addEventListener('click', this.onClick);
  }

  hostDisconnected(): void {
    for (const type of ['room-joined', 'active-speaker', 'peer-join', 'peer-leave', 'stream', 'stream-end']) this.host.removeEventListener(type, this.on);
    this.host.removeEventListener('click', this.onClick);
    this.observer.disconnect();
    this.observed = null;
    clearTimeout(this.copyTimer);
    this.copied = false;
  }

  hostUpdated(): void {
    const stage = this.active ? this.host.renderRoot.querySelector('[part~="stage"]') : null;
    if (stage === this.observed) return this.place();
    this.observer.disconnect();
    this.observed = stage;
    if (stage) this.observer.observe(stage);
  }

  private userid(tile: Tile): string | null {
    return tile.localName === 'remote-stream' ? (tile.userid ?? null) : this.self;
  }

  /** The stage in place of the room's plain slot; it picks the large tile (as `slot="main"`) when there is one. */
  render(t: Translate): TemplateResult {
    const host = this.host;
    const tiles = [...host.children].filter((e) => !(e as HTMLElement).hidden && (!e.slot || e.slot === 'main') && !/^(script|style|template)$/.test(e.localName)) as Tile[];
    const active = this.active;
    const waiting = active && host.controls !== null && host.state === 'joined' && !host.peers.size;
    const pinned = host.pinned;
    const mine = (id: string | null) => tiles.filter((e) => id && this.userid(e) === id);
    const screen = (list: Tile[]) => list.filter((e) => e.kind === 'screen').pop();
    const pinnedTile = screen(mine(pinned)) ?? mine(pinned)[0];
    const remote = tiles.filter((e) => e.localName === 'remote-stream');
    let main =
      pinnedTile ?? screen(tiles) ?? (host.layout === 'speaker' ? (remote.find((e) => this.userid(e) === this.speaker) ?? remote[0] ?? tiles[0]) : undefined);
    this.speakerMode = active && !waiting && !!main && tiles.length > 1;
    if (!this.speakerMode) main = undefined;
    for (const tile of tiles) {
      if (tile === main) tile.slot = 'main';
      else if (tile.slot) tile.removeAttribute('slot');
      if ('pin' in tile) {
        const id = this.userid(tile);
        tile.pin = active && id ? id === pinned : null;
      }
    }
    if (!active) return html`<slot></slot>`;
    this.count = this.speakerMode ? tiles.length - 1 : tiles.length + (waiting ? 1 : 0);
    return html`<div part="stage" layout=${this.speakerMode ? 'speaker' : 'grid'} @slotchange=${this.update}>
      ${this.speakerMode
        ? html`<div part="main"><slot name="main"></slot></div><div part="strip"><slot></slot></div>`
        : html`<slot></slot>${waiting ? waitingTemplate(location.href, this.copied, this.copy, t) : nothing}`}
    </div>`;
  }

  /** Sizes the grid (gridFor) or the strip (speakerLayout) for the measured box. */
  private place(): void {
    const stage = this.observed as HTMLElement | null;
    const box = this.box;
    if (!stage || !box) return;
    const set = (name: string, px: number) => stage.style.setProperty(name, `${px}px`);
    if (this.speakerMode) {
      const s = speakerLayout(this.count, box.width, box.height, { gap: GAP });
      stage.setAttribute('direction', s.direction);
      set('--rtc-strip', s.direction === 'row' ? s.strip.width : s.strip.height);
      set('--rtc-strip-w', s.stripTile.width);
    } else {
      const g = gridFor(this.count, box.width, box.height, { gap: GAP });
      stage.removeAttribute('direction');
      stage.style.setProperty('--rtc-cols', String(g.columns || 1));
      set('--rtc-tile-w', g.tileWidth);
      set('--rtc-tile-h', g.tileHeight);
    }
  }

  /** Copies the invite link; where the clipboard refuses, selects it for the person to copy. */
  private readonly copy = (e: Event) => {
    const input = (e.currentTarget as Element).parentElement!.querySelector('input')!;
    Promise.resolve()
      .then(() => navigator.clipboard.writeText(input.value))
      .then(
        () => {
          this.copied = true;
          this.update();
          clearTimeout(this.copyTimer);
          this.copyTimer = setTimeout(() => {
            this.copied = false;
            this.update();
          }, 3000);
        },
        () => input.select(),
      );
  };
}
