// The call stage's geometry: the chosen grid makes tiles largest for every count and screen, and the speaker layout fits its box.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gridFor, speakerLayout, tileSize } from '../../src/ui/layout.js';

const SCREENS: [number, number][] = [
  [1280, 720],
  [390, 844],
  [3840, 2160],
];
const GAP = 8;

describe('gridFor', () => {
  for (const [w, h] of SCREENS) {
    it(`1..50 tiles at ${w}x${h}: no other rows × columns gives larger tiles, and the grid fits`, () => {
      for (let n = 1; n <= 50; n++) {
        const g = gridFor(n, w, h, { aspect: 16 / 9, gap: GAP });
        assert.ok(g.columns * g.rows >= n, `${n}: ${g.columns}x${g.rows} holds every tile`);
        assert.ok(g.columns * g.rows - n < g.columns, `${n}: no empty row`);
        assert.ok(g.columns * g.tileWidth + (g.columns - 1) * GAP <= w, `${n}: fits the width`);
        assert.ok(g.rows * g.tileHeight + (g.rows - 1) * GAP <= h, `${n}: fits the height`);
        assert.ok(Math.abs(g.tileWidth / g.tileHeight - 16 / 9) < 0.05 || g.tileHeight < 20, `${n}: 16:9`);
        for (let columns = 1; columns <= n; columns++) {
          for (let rows = Math.ceil(n / columns); rows <= n; rows++) {
            const other = tileSize(columns, rows, w, h, 16 / 9, GAP);
            assert.ok(
              other.tileWidth * other.tileHeight <= g.tileWidth * g.tileHeight,
              `${n} tiles: ${columns}x${rows} (${other.tileWidth}px) beats ${g.columns}x${g.rows} (${g.tileWidth}px)`,
            );
          }
        }
      }
    });
  }

  it('chooses the expected shapes people know', () => {
    assert.deepEqual([gridFor(1, 1280, 720).columns, gridFor(1, 1280, 720).rows], [1, 1]);
    assert.deepEqual([gridFor(2, 1280, 720).columns, gridFor(2, 1280, 720).rows], [2, 1]);
    assert.deepEqual([gridFor(2, 390, 844).columns, gridFor(2, 390, 844).rows], [1, 2]);
    assert.deepEqual([gridFor(4, 1280, 720).columns, gridFor(4, 1280, 720).rows], [2, 2]);
    assert.ok(gridFor(1, 1280, 720).tileWidth >= 1270, 'one tile fills a 1280 px stage');
  });

  it('never throws on bad input', () => {
    for (const args of [
      [0, 1280, 720],
      [-3, 1280, 720],
      [NaN, 1280, 720],
      [4, 0, 0],
      [4, NaN, Infinity],
      [Infinity, 100, 100],
    ] as [number, number, number][]) {
      const g = gridFor(...args);
      assert.ok(Number.isFinite(g.tileWidth) && g.tileWidth >= 0, JSON.stringify(args));
    }
    assert.equal(gridFor(0, 1280, 720).columns, 0);
  });
});

describe('speakerLayout', () => {
  it('puts the strip on the right of a landscape box and below a portrait one, inside the box', () => {
    for (const [w, h] of SCREENS) {
      const s = speakerLayout(3, w, h);
      assert.equal(s.direction, w >= h ? 'row' : 'column');
      assert.ok(s.main.width > 0 && s.main.height > 0);
      assert.ok(s.main.width * s.main.height > s.strip.width * s.strip.height, 'the main tile area is larger');
      assert.ok(s.strip.x + s.strip.width <= w && s.strip.y + s.strip.height <= h, 'the strip is inside');
      if (s.direction === 'row') assert.ok(s.main.width + s.strip.width <= w);
      else assert.ok(s.main.height + s.strip.height <= h);
      assert.ok(s.stripTile.width >= 96 || s.stripTile.height >= 96, 'strip tiles stay recognisable');
    }
  });

  it('gives the whole box to the main tile when nobody else is there, and survives bad input', () => {
    assert.deepEqual(speakerLayout(0, 1280, 720).main, { x: 0, y: 0, width: 1280, height: 720 });
    const bad = speakerLayout(2, NaN, -1);
    assert.ok(Number.isFinite(bad.main.width) && Number.isFinite(bad.strip.height));
  });
});
