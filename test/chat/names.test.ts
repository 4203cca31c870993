/** Display names: what `cleanName` keeps, removes and cuts. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cleanName, MAX_NAME_CODE_POINTS, MAX_RAW_NAME_UNITS } from '../../src/chat/names.js';

const GRINNING = '\u{1F600}';
/** Man, woman, girl, boy joined by three ZWJs: 7 code points, 11 UTF-16 units, one grapheme. */
const FAMILY = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}';

function codePoints(s: string): number {
  return [...s].length;
}

describe('cleanName: characters that are removed', () => {
  test('NUL, BEL, ESC, DEL and C1 controls are removed', () => {
    assert.equal(cleanName('al\u0000ice'), 'alice');
    assert.equal(cleanName('\u0007bell'), 'bell');
    assert.equal(cleanName('\u001b[31mred\u001b[0m'), '[31mred[0m');
    assert.equal(cleanName('del\u007f\u0090\u009b'), 'del');
  });

  test('bidi overrides, embeddings, isolates and marks are removed', () => {
    assert.equal(cleanName('\u202Egnp.exe'), 'gnp.exe');
    assert.equal(cleanName('a\u202Ab\u202Bc\u202Cd\u202De'), 'abcde');
    assert.equal(cleanName('\u2066x\u2067y\u2068z\u2069'), 'xyz');
    assert.equal(cleanName('\u200Eltr\u200Frtl\u061C'), 'ltrrtl');
  });

  test('zero-width characters, the BOM, soft hyphens and tag characters are removed', () => {
    assert.equal(cleanName('ad\u200Bmin'), 'admin');
    assert.equal(cleanName('a\u200Cb\u200Dc\u2060d\uFEFFe\u00ADf'), 'abcdef');
    assert.equal(cleanName('tag\u{E0041}\u{E007F}s'), 'tags');
  });

  test('lone surrogates are removed, well-formed pairs kept', () => {
    assert.equal(cleanName('\uD83Dbob'), 'bob');
    assert.equal(cleanName('bob\uDE00'), 'bob');
    assert.equal(cleanName(`\uDC00${GRINNING}\uD800`), GRINNING);
  });
});

describe('cleanName: normalization and whitespace', () => {
  test("NFC: 'e' + combining acute is the same name as precomposed 'é'", () => {
    assert.equal(cleanName('Zoe\u0301'), 'Zo\u00E9');
    assert.equal(cleanName('Zoe\u0301'), cleanName('Zo\u00E9'));
  });

  test('a base letter and its mark brought together by a removal are composed', () => {
    assert.equal(cleanName('e\u200B\u0301'), '\u00E9');
  });

  test('whitespace runs of any kind become one space; the ends are trimmed', () => {
    assert.equal(cleanName('  alice  '), 'alice');
    assert.equal(cleanName('ada\t\n\r lovelace'), 'ada lovelace');
    assert.equal(cleanName('a\u2028b\u2029c\u0085d'), 'a b c d');
    assert.equal(cleanName('a\u00A0\u3000\u2003b'), 'a b');
  });

  test('a format character between spaces does not leave two spaces', () => {
    assert.equal(cleanName('a \u200B b'), 'a b');
  });

  test('a name of only whitespace, controls or format characters is no name', () => {
    for (const raw of ['', '   ', '\u200B\u200B', '\u0000\u001b', '\u202E \u2066', '\uD800']) {
      assert.equal(cleanName(raw), undefined, JSON.stringify(raw));
    }
  });
});

describe('cleanName: the length limit', () => {
  test(`is ${MAX_NAME_CODE_POINTS} code points, not UTF-16 units`, () => {
    assert.equal(MAX_NAME_CODE_POINTS, 32);
    assert.equal(cleanName('x'.repeat(40)), 'x'.repeat(32));
    const emoji = GRINNING.repeat(32);
    assert.equal(cleanName(emoji), emoji, '32 emoji (64 UTF-16 units) are not cut');
  });

  test('an emoji at the boundary is kept whole, never split into a lone surrogate', () => {
    const name = cleanName(`${'a'.repeat(31)}${GRINNING}tail`);
    assert.equal(name, `${'a'.repeat(31)}${GRINNING}`);
    assert.doesNotMatch(name!, /\p{Cs}/u);
  });

  test('a 40-emoji name becomes 32 emoji', () => {
    assert.equal(cleanName(GRINNING.repeat(40)), GRINNING.repeat(32));
  });

  test('the cut never separates a letter from its accents', () => {
    // 'a' + two marks that have no precomposed form with it stay one grapheme of 3 code points.
    const accented = 'a\u0316\u0317';
    const name = cleanName(`${'b'.repeat(30)}${accented}`);
    assert.equal(name, 'b'.repeat(30), 'the grapheme that does not fit goes whole');
  });

  test('a family ZWJ emoji is kept as one family, and dropped whole when it does not fit', () => {
    assert.equal(cleanName(`the ${FAMILY}s`), `the ${FAMILY}s`);
    assert.equal(codePoints(`${'a'.repeat(25)}${FAMILY}`), 32);
    assert.equal(cleanName(`${'a'.repeat(25)}${FAMILY}`), `${'a'.repeat(25)}${FAMILY}`);
    assert.equal(cleanName(`${'a'.repeat(26)}${FAMILY}`), 'a'.repeat(26));
  });

  test('ZWJs of other emoji sequences are kept; a ZWJ between letters is not', () => {
    const technologist = '\u{1F469}\u{1F3FD}\u200D\u{1F4BB}'; // skin tone before the ZWJ
    const rainbowFlag = '\u{1F3F3}\uFE0F\u200D\u{1F308}'; // presentation selector before the ZWJ
    assert.equal(cleanName(technologist), technologist);
    assert.equal(cleanName(rainbowFlag), rainbowFlag);
    assert.equal(cleanName('a\u200Db'), 'ab');
    assert.equal(cleanName(`a\u200D${GRINNING}`), `a${GRINNING}`);
  });

  test('the cut is trimmed again when it ends on a space', () => {
    assert.equal(cleanName(`${'a'.repeat(31)} bcd`), 'a'.repeat(31));
  });

  test('a single grapheme longer than the limit leaves no name', () => {
    assert.equal(cleanName(`a${'\u0301'.repeat(40)}`), undefined);
  });
});

describe('cleanName: what is not a string', () => {
  test('numbers, objects, arrays, null, undefined and booleans give no name', () => {
    for (const raw of [42, 0, { name: 'alice' }, ['alice'], null, undefined, true, Symbol('x')]) {
      assert.equal(cleanName(raw), undefined, String(raw?.toString()));
    }
  });
});

describe('cleanName: what it gives back', () => {
  test('is stable: cleaning a clean name changes nothing', () => {
    for (const raw of [
      ' Zoe\u0301 ',
      `${'a'.repeat(31)}${GRINNING}`,
      `\u202E${FAMILY}\u200B  x`,
      GRINNING.repeat(40),
      'ordinary name',
    ]) {
      const once = cleanName(raw)!;
      assert.equal(cleanName(once), once, JSON.stringify(raw));
      assert.equal(once, once.normalize('NFC'));
      assert.ok(codePoints(once) <= MAX_NAME_CODE_POINTS);
    }
  });

  test('keeps ordinary names of any script as they are', () => {
    for (const name of [
      'alice',
      'Zoë',
      '山田太郎',
      'Ångström',
      'محمد',
      'Дмитрий',
      'o\u0027brien',
      'a-b_c.d',
    ]) {
      assert.equal(cleanName(name), name);
    }
  });
});

describe('cleanName: bounded work', () => {
  test('only the first MAX_RAW_NAME_UNITS units of a huge name are looked at', () => {
    assert.equal(cleanName(`alice${'x'.repeat(1_000_000)}`), `alice${'x'.repeat(MAX_NAME_CODE_POINTS - 5)}`);
    // A name that is invisible for longer than the bound is a guest name, whatever follows.
    assert.equal(cleanName(`${'\u200B'.repeat(MAX_RAW_NAME_UNITS)}bob`), undefined);
    // A cut through a surrogate pair leaves no half of it.
    const name = cleanName(`${' '.repeat(MAX_RAW_NAME_UNITS - 1)}😀`);
    assert.equal(name, undefined);
  });
});
