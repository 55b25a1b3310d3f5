/** The languages earshot scores; everything else is "other" and comes out neutral. */
export type Language = "zh" | "en" | "other";

// Function words of the Latin-script languages most often met besides English; a text that has
// more of these than English ones is "other".
const englishFunctionWords = new Set(
  (
    "the a an is are was were be been am i you he she it we they me my your our this that these those " +
    "to of and or but in on at for with not so if do does did don't can can't cannot will won't " +
    "have has had just very really too all any what why how when there"
  ).split(" "),
);
const otherFunctionWords = new Set(
  (
    "el la los las de del que y en es un una por para con muy pero le les des est et du une pas sont " +
    "der die das und ist nicht ein eine mit auf dem den il di che non per della sono ja ei og er det " +
    "não uma com para mais het een van ook niet"
  ).split(" "),
);

const LATIN = 1;
const HAN = 2;
const KANA = 3;
const HANGUL = 4;
const ACCENTED = 5;

/** The script class of every UTF-16 unit, so counting scripts is one table read a character. */
const SCRIPT = new Uint8Array(0x10000);
SCRIPT.fill(LATIN, 0x41, 0x5b);
SCRIPT.fill(LATIN, 0x61, 0x7b);
SCRIPT.fill(ACCENTED, 0xc0, 0x250);
SCRIPT.fill(KANA, 0x3040, 0x3100);
SCRIPT.fill(HAN, 0x3400, 0x4dc0);
SCRIPT.fill(HAN, 0x4e00, 0xa000);
SCRIPT.fill(HANGUL, 0xac00, 0xd7b0);
SCRIPT.fill(HANGUL, 0x1100, 0x1200);
SCRIPT.fill(HAN, 0xf900, 0xfb00);

/**
 * zh when the text has Han characters (mixed Chinese-English counts as zh) and is not Japanese or
 * Korean; en when it is Latin-script, not heavy with accented letters, and has no more Spanish,
 * French, German... function words than English ones; other for the rest (emoji only, numbers,
 * other scripts, other Latin-script languages).
 */
export function detectLanguage(text: string): Language {
  let han = 0;
  let kana = 0;
  let hangul = 0;
  let latin = 0;
  let accented = 0;
  const n = Math.min(text.length, 2000);
  for (let i = 0; i < n; i++) {
    switch (SCRIPT[text.charCodeAt(i)]) {
      case LATIN:
        latin++;
        break;
      case HAN:
        han++;
        break;
      case KANA:
        kana++;
        break;
      case HANGUL:
        hangul++;
        break;
      case ACCENTED:
        accented++;
        break;
    }
  }
  if (han > 0 && kana * 2 < han + kana && hangul < han) return "zh";
  if (latin === 0 || kana + hangul > latin) return "other";
  if (accented >= 2 && accented * 10 > latin) return "other";
  const words = text.toLowerCase().match(/[a-z']+/g) ?? [];
  let english = 0;
  let foreign = 0;
  for (const w of words) {
    if (englishFunctionWords.has(w)) english++;
    else if (otherFunctionWords.has(w)) foreign++;
  }
  return foreign > english ? "other" : "en";
}
