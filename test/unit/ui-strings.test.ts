// The UI strings table: every language complete, the language resolver's fallbacks, `strings` overrides; and remembered pre-join choices.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LANGS, langsLoading, loadLangs, pickLang, stringsOf, translator } from '../../src/ui/strings.js';
import { loadPrefs, PREFS_KEY, savePrefs } from '../../src/ui/prefs.js';
import { CONTROL_ITEMS, parseControls } from '../../src/ui/controls.js';

describe('strings table', () => {
  it('loads the languages other than English on first use; English meanwhile, and a callback once they are in', async () => {
    assert.equal(langsLoading(), null);
    assert.equal(stringsOf('de').mic, 'Microphone', 'not loaded yet: English');
    let reloads = 0;
    const t = translator('de', null, () => reloads++);
    assert.equal(t('leave'), 'Leave');
    assert.ok(langsLoading(), 'asking for German started the load');
    translator('fr', null, () => reloads++);
    await loadLangs();
    assert.equal(reloads, 2, 'each waiting lookup is told once');
    assert.equal(langsLoading(), null);
    assert.equal(translator('de', null, () => reloads++)('leave'), 'Verlassen');
    assert.equal(reloads, 2, 'nothing to wait for once loaded');
  });

  it('has the seven languages, each with every string filled and translated', () => {
    assert.deepEqual([...LANGS].sort(), ['de', 'en', 'es', 'fr', 'ja', 'pt', 'zh']);
    const en = stringsOf('en');
    const keys = Object.keys(en);
    assert.ok(keys.length >= 30);
    for (const lang of LANGS) {
      const table = stringsOf(lang);
      assert.deepEqual(Object.keys(table), keys, lang);
      for (const k of keys) {
        const s = table[k as keyof typeof table];
        assert.ok(s && s.trim() === s && !s.includes('\n'), `${lang}.${k} is one filled line`);
        assert.equal(s.includes('{name}'), en[k as keyof typeof en].includes('{name}'), `${lang}.${k} keeps its placeholder`);
      }
      if (lang !== 'en') {
        const same = keys.filter((k) => table[k as keyof typeof table] === en[k as keyof typeof en]);
        assert.ok(same.length <= 2, `${lang} is translated (same as English: ${same.join(', ')})`);
      }
    }
    // A miscounted block would shift every string after it: spot-check the ends of each block.
    assert.equal(stringsOf('de').mic, 'Mikrofon');
    assert.equal(stringsOf('de').dflt, 'Standard');
    assert.equal(stringsOf('ja').you, 'あなた');
    assert.equal(stringsOf('zh').dflt, '默认');
    assert.equal(stringsOf('fr').leave, 'Quitter');
    assert.equal(stringsOf('es').join, 'Unirse');
    assert.equal(stringsOf('pt').waiting, 'Aguardando outras pessoas');
    // The participants panel's block, at the end of each language.
    assert.equal(stringsOf('de').people, 'Teilnehmende');
    assert.equal(stringsOf('fr').knocking, '{name} demande à participer');
    assert.equal(stringsOf('ja').mutedCam, 'ホストがあなたのカメラをオフにしました');
    assert.equal(stringsOf('zh').mutedCam, '主持人已关闭你的摄像头');
  });

  it('picks the element lang, then the document, then the browser, with region fallbacks', () => {
    assert.equal(pickLang('de', 'fr', ['ja']), 'de');
    assert.equal(pickLang(null, 'fr-CA', ['ja']), 'fr');
    assert.equal(pickLang('', '', ['it-IT', 'pt-BR', 'en']), 'pt');
    assert.equal(pickLang(undefined, undefined, ['zh-CN']), 'zh');
    assert.equal(pickLang('zh-Hans', null, []), 'zh');
    assert.equal(pickLang('ZH_hans_cn', null, []), 'zh');
    assert.equal(pickLang('es-419', null, []), 'es');
    assert.equal(pickLang('it', 'de', ['de']), 'en', 'an unknown language asked for by the element gives English');
    assert.equal(pickLang(null, null, ['xx']), 'en');
    assert.equal(pickLang(null, null, []), 'en');
    assert.equal(pickLang('  ', undefined, ['ja-JP']), 'ja');
  });

  it('looks strings up with `strings` overrides winning and placeholders filled', () => {
    const t = translator('de', { leave: 'Tschüss', you: '' });
    assert.equal(t('leave'), 'Tschüss');
    assert.equal(t('you'), '', 'an empty override is honoured');
    assert.equal(t('join'), 'Beitreten');
    assert.equal(t('presenting', { name: '<b>Ada</b>' }), '<b>Ada</b> präsentiert', 'names go in as text; lit escapes them');
    assert.equal(translator('en', null)('presenting'), '{name} is presenting');
    const odd = translator('en', { join: 42 } as never);
    assert.equal(odd('join'), 'Join', 'a non-string override is ignored');
  });
});

describe('controls attribute', () => {
  it('missing or empty: every control in the default order', () => {
    assert.deepEqual(parseControls(null), { items: [...CONTROL_ITEMS], unknown: [] });
    assert.deepEqual(parseControls(''), { items: [...CONTROL_ITEMS], unknown: [] });
    assert.deepEqual(parseControls('  '), { items: [...CONTROL_ITEMS], unknown: [] });
  });
  it('a list: that subset in that order, once each, unknown words returned', () => {
    assert.deepEqual(parseControls('mic camera leave'), { items: ['mic', 'camera', 'leave'], unknown: [] });
    assert.deepEqual(parseControls('participants leave'), { items: ['participants', 'leave'], unknown: [] });
    assert.deepEqual(parseControls('leave  MIC\tmic chat'), { items: ['leave', 'mic'], unknown: ['chat'] });
    assert.deepEqual(parseControls('bogus'), { items: [], unknown: ['bogus'] });
  });
});

/**
 * Node has no localStorage: these stand in for the two shapes a browser gives,
 * a working Storage and one whose every access throws (sandboxed iframes).
 * The browser test (ui-kit) uses the real one.
 */
function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, String(v)),
  };
}

describe('remembered pre-join choices', () => {
  it('merge under one key and read back typed; garbage reads as nothing', () => {
    const s = memoryStorage();
    assert.deepEqual(loadPrefs(() => s), {});
    assert.equal(savePrefs({ name: 'Ada', micOn: false }, () => s), true);
    assert.equal(savePrefs({ camera: 'cam-2' }, () => s), true);
    assert.deepEqual(loadPrefs(() => s), { name: 'Ada', micOn: false, camera: 'cam-2' });
    assert.equal(s.length, 1);
    s.setItem(PREFS_KEY, JSON.stringify({ name: 5, micOn: 'yes', cameraOn: true, extra: 1 }));
    assert.deepEqual(loadPrefs(() => s), { cameraOn: true });
    for (const bad of ['{', 'null', '"x"', '[1]']) {
      s.setItem(PREFS_KEY, bad);
      assert.deepEqual(loadPrefs(() => s), {}, bad);
    }
  });

  it('storage that throws or is missing is survived', () => {
    const denied = () => {
      throw new DOMException('denied', 'SecurityError');
    };
    assert.deepEqual(loadPrefs(denied), {});
    assert.equal(savePrefs({ name: 'Ada' }, denied), false);
    assert.deepEqual(loadPrefs(() => null), {});
    assert.equal(savePrefs({ name: 'Ada' }, () => null), false);
    assert.deepEqual(loadPrefs(), {}, 'Node has no localStorage: the default reads nothing');
  });
});
