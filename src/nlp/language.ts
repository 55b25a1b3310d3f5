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

function isHan(c: number): boolean {
  return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0xf900 && c <= 0xfaff);
}
function isKana(c: number): boolean {
  return c >= 0x3040 && c <= 0x30ff;
}
function isHangul(c: number): boolean {
  return (c >= 0xac00 && c <= 0xd7af) || (c >= 0x1100 && c <= 0x11ff);
}
function isLatin(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

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
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      if (isLatin(c)) latin++;
    } else if (isHan(c)) han++;
    else if (isKana(c)) kana++;
    else if (isHangul(c)) hangul++;
    else if (c >= 0xc0 && c <= 0x24f) accented++;
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
