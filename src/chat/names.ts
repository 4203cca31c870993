// Display names, cleaned once when a socket connects, so that the name a message is broadcast
// with, the one SQLite stores and the one presence lists are the same string, and a name cannot
// reorder, hide or fake the text around it on a reader's screen.
//
// `cleanName(raw)`, in this order:
// 1. Not a string → undefined (the caller gives a guest name).
// 2. Format characters (\p{Cf}: bidi controls and marks, zero-width space / joiners, word joiner,
//    BOM, soft hyphen, tag characters...) are removed, except a zero-width joiner between two
//    pictographs (an emoji ZWJ sequence such as the family 👨‍👩‍👧‍👦, kept whole: without it the
//    family would fall apart into four people). Tag characters go, so a subdivision flag such as
//    England's 🏴󠁧󠁢󠁥󠁮󠁧󠁿 becomes a plain black flag 🏴.
// 3. Whitespace (\p{White_Space}: tab, newlines, NEL, U+2028/2029, NBSP, the Zs spaces) becomes a
//    space; every other control character (\p{Cc}: NUL, BEL, ESC, DEL, C1 controls) and every lone
//    surrogate is removed. SQLite would store a lone surrogate as U+FFFD, so it could not be kept
//    byte for byte anyway.
// 4. Unicode NFC, so 'e\u0301' and 'é' are one name. Done after the removals, which could bring a
//    base letter and its combining mark together.
// 5. Runs of spaces become one space; the ends are trimmed.
// 6. At most MAX_NAME_CODE_POINTS code points, taken as whole grapheme clusters (Intl.Segmenter):
//    a cut never splits a surrogate pair, an emoji sequence or a letter from its accents. A
//    first grapheme longer than the limit on its own (a letter under dozens of stacked marks) gives
//    an empty name. Trimmed again, since the cut can end on a space.
// 7. Empty → undefined.

/** Most code points in a display name. */
export const MAX_NAME_CODE_POINTS = 32;
/**
 * Only this many UTF-16 units of what a client sends are looked at, so a megabyte of name (the
 * handshake allows that much) costs no more than a short one. A cut pair becomes a lone
 * surrogate, which step 3 removes.
 */
export const MAX_RAW_NAME_UNITS = 1024;

const ZWJ = '\u200D';
const FORMAT = /\p{Cf}/gu;
/** A pictograph, possibly with an emoji presentation selector or a skin tone, right before a ZWJ. */
const PICTOGRAPH_BEFORE = /\p{Extended_Pictographic}[\u{FE0F}\p{Emoji_Modifier}]?$/u;
const PICTOGRAPH_AFTER = /^\p{Extended_Pictographic}/u;
const WHITESPACE = /\p{White_Space}/gu;
/** \p{Cs} only matches lone surrogates in a `u` regex: a well-formed pair is one code point. */
const CONTROL_OR_LONE_SURROGATE = /[\p{Cc}\p{Cs}]/gu;
const SPACES = / {2,}/g;

const graphemes = new Intl.Segmenter('und', { granularity: 'grapheme' });

/** Whether the ZWJ at `offset` is part of an emoji ZWJ sequence (a pictograph and a skin tone: 4 units). */
function joinsPictographs(text: string, offset: number): boolean {
  return (
    PICTOGRAPH_BEFORE.test(text.slice(Math.max(0, offset - 4), offset)) &&
    PICTOGRAPH_AFTER.test(text.slice(offset + 1, offset + 3))
  );
}

/** The number of code points in `s`. */
function codePoints(s: string): number {
  let count = 0;
  for (const _ of s) count++;
  return count;
}

/** The longest run of whole graphemes from the start of `s` within `max` code points. */
function takeGraphemes(s: string, max: number): string {
  if (s.length <= max) return s; // never more code points than UTF-16 units
  let total = 0;
  let end = 0;
  for (const { segment } of graphemes.segment(s)) {
    total += codePoints(segment);
    if (total > max) break;
    end += segment.length;
  }
  return s.slice(0, end);
}

/** The display name `raw` gives, cleaned as described above; undefined when nothing usable is left. */
export function cleanName(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const bounded = raw.length > MAX_RAW_NAME_UNITS ? raw.slice(0, MAX_RAW_NAME_UNITS) : raw;
  const name = bounded
    .replace(FORMAT, (ch: string, offset: number, whole: string) =>
      ch === ZWJ && joinsPictographs(whole, offset) ? ch : '',
    )
    .replace(WHITESPACE, ' ')
    .replace(CONTROL_OR_LONE_SURROGATE, '')
    .normalize('NFC')
    .replace(SPACES, ' ')
    .trim();
  const cut = takeGraphemes(name, MAX_NAME_CODE_POINTS).trim();
  return cut.length > 0 ? cut : undefined;
}
