// Tile geometry for the call stage, without Lit: the grid that makes tiles largest, and the speaker layout.

/** A rectangle in CSS pixels, relative to the stage box. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GridOptions {
  /** Tile width / height (16/9 unless given). */
  aspect?: number;
  /** Space between tiles, in pixels (8 unless given). */
  gap?: number;
}

export interface Grid {
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
}

const finite = (n: number) => (Number.isFinite(n) && n > 0 ? n : 0);

/**
 * The columns × rows for `count` tiles of one aspect ratio in a box that make
 * each tile largest (like a tile view that fills the screen). On a tie the
 * grid with fewer empty cells wins. Bad input (0 tiles, NaN sizes) gives an
 * empty grid, never a throw.
 */
export function gridFor(count: number, boxWidth: number, boxHeight: number, options: GridOptions = {}): Grid {
  const aspect = finite(options.aspect ?? 16 / 9) || 16 / 9;
  const gap = finite(options.gap ?? 8);
  const n = Math.floor(finite(count));
  const w = finite(boxWidth);
  const h = finite(boxHeight);
  let best: Grid = { columns: 0, rows: 0, tileWidth: 0, tileHeight: 0 };
  if (!n) return best;
  let bestEmpty = Infinity;
  for (let columns = 1; columns <= n; columns++) {
    const rows = Math.ceil(n / columns);
    const size = tileSize(columns, rows, w, h, aspect, gap);
    const empty = columns * rows - n;
    if (size.tileWidth > best.tileWidth || (size.tileWidth === best.tileWidth && empty < bestEmpty)) {
      best = { columns, rows, ...size };
      bestEmpty = empty;
    }
  }
  return best;
}

/** The largest tile of `aspect` that `columns` × `rows` of them (with gaps) fit in the box. */
export function tileSize(
  columns: number,
  rows: number,
  boxWidth: number,
  boxHeight: number,
  aspect = 16 / 9,
  gap = 8,
): { tileWidth: number; tileHeight: number } {
  const cellW = Math.max(0, (boxWidth - gap * (columns - 1)) / columns);
  const cellH = Math.max(0, (boxHeight - gap * (rows - 1)) / rows);
  const tileWidth = Math.floor(Math.min(cellW, cellH * aspect));
  return { tileWidth, tileHeight: Math.floor(tileWidth / aspect) };
}

export interface SpeakerLayout {
  /** 'row': the strip is on the right (landscape box); 'column': it is below (portrait). */
  direction: 'row' | 'column';
  /** The area of the large tile (the tile itself is the largest `aspect` box centred in it). */
  main: Rect;
  /** The area of the strip of the other tiles (empty when there are none); it scrolls when they overflow. */
  strip: Rect;
  /** The size of each tile in the strip. */
  stripTile: { width: number; height: number };
}

/**
 * The speaker layout: one large tile and the `others` in a strip, on the
 * right of a landscape box, below a portrait one. The strip takes about a
 * fifth of the box (at least 96 px of tile where the box allows it).
 */
export function speakerLayout(others: number, boxWidth: number, boxHeight: number, options: GridOptions = {}): SpeakerLayout {
  const aspect = finite(options.aspect ?? 16 / 9) || 16 / 9;
  const gap = finite(options.gap ?? 8);
  const w = finite(boxWidth);
  const h = finite(boxHeight);
  const n = Math.floor(finite(others));
  const landscape = w >= h;
  const none = { x: 0, y: 0, width: 0, height: 0 };
  if (!n) return { direction: landscape ? 'row' : 'column', main: { x: 0, y: 0, width: w, height: h }, strip: none, stripTile: { width: 0, height: 0 } };
  if (landscape) {
    const stripW = Math.floor(Math.min(w / 3, Math.max(w / 5, 96 * aspect)));
    return {
      direction: 'row',
      main: { x: 0, y: 0, width: Math.max(0, w - stripW - gap), height: h },
      strip: { x: w - stripW, y: 0, width: stripW, height: h },
      stripTile: { width: stripW, height: Math.floor(stripW / aspect) },
    };
  }
  const stripH = Math.floor(Math.min(h / 4, Math.max(h / 6, 96)));
  return {
    direction: 'column',
    main: { x: 0, y: 0, width: w, height: Math.max(0, h - stripH - gap) },
    strip: { x: 0, y: h - stripH, width: w, height: stripH },
    stripTile: { width: Math.floor(stripH * aspect), height: stripH },
  };
}
