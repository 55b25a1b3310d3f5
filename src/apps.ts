import { z } from "zod";
import { UsageError } from "./errors.ts";
import { splitList } from "./watchlists.ts";

/**
 * The one validator of an app's fields (names and store ids), used by the API's zod schemas and
 * by the CLI's options alike. Each problem reads the same in both; only the field's name differs
 * (`appstoreId` in JSON, `appstore-id` on the command line).
 */

function checked<T>(test: (v: string) => T | undefined, problem: (v: string) => string) {
  return z.string().transform((v, ctx): T => {
    const out = test(v);
    if (out === undefined) {
      ctx.addIssue({ code: "custom", message: problem(v), input: v });
      return z.NEVER;
    }
    return out;
  });
}

const show = (v: string) => JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);

const countryCode = checked(
  (v) => (/^[a-z]{2}$/i.test(v.trim()) ? v.trim().toLowerCase() : undefined),
  (v) => `${show(v)} is not a two-letter storefront code such as cn, us or jp`,
);

const playLang = checked(
  (v) => {
    const l = v.trim().toLowerCase().replace("_", "-");
    return /^[a-z]{2,3}-[a-z]{2}$/.test(l) ? l : undefined;
  },
  (v) => `${show(v)} is not a language and country such as en-us, ja-jp or zh-tw`,
);

/** Each app field as a zod schema; every message names the problem and quotes the value. */
export const appFields = {
  name: z.string().trim().min(1, "give the app's name").max(100, "is longer than 100 characters"),
  aliases: z.array(z.string().trim().min(1, "an empty alias matches nothing").max(100, "is longer than 100 characters")).max(20, "at most 20 aliases"),
  appstoreId: checked(
    (v) => /^(?:id)?(\d{6,12})$/i.exec(v.trim())?.[1],
    (v) => `${show(v)} is not an App Store id (digits, as in apps.apple.com/app/id414478124)`,
  ).nullable(),
  appstoreCountries: z.array(countryCode).min(1, "give at least one storefront, such as cn").max(60, "at most 60 storefronts").transform((l) => [...new Set(l)]),
  playPackage: checked(
    (v) => (/^[a-zA-Z]\w*(\.[a-zA-Z]\w*)+$/.test(v.trim()) ? v.trim() : undefined),
    (v) => `${show(v)} is not an Android package name such as com.tencent.mm`,
  ).nullable(),
  playLangs: z.array(playLang).min(1, "give at least one language, such as en-us").max(30, "at most 30 languages").transform((l) => [...new Set(l)]),
  // A link to the app's page is as good as its id.
  taptapId: checked(
    (v) => /^(?:(?:https?:\/\/)?(?:www\.)?taptap\.(?:cn|io)\/app\/)?(\d{1,12})\/?$/.exec(v.trim())?.[1],
    (v) => `${show(v)} is not a TapTap app id (digits, as in taptap.cn/app/168332)`,
  ).nullable(),
  taptapRegion: checked(
    (v) => {
      const r = v.trim().toLowerCase();
      return r === "cn" || r === "intl" ? r : undefined;
    },
    (v) => `${show(v)} must be cn (taptap.cn) or intl (taptap.io)`,
  ),
};

export type AppField = keyof typeof appFields;
export type AppFieldsInput = { [K in AppField]?: z.output<(typeof appFields)[K]> };

/** The command-line option of each field, for the CLI's messages. */
export const appFieldOptions: Record<AppField, string> = {
  name: "app",
  aliases: "aliases",
  appstoreId: "appstore-id",
  appstoreCountries: "countries",
  playPackage: "play-package",
  playLangs: "play-langs",
  taptapId: "taptap-id",
  taptapRegion: "taptap-region",
};

const listFields = new Set<AppField>(["aliases", "appstoreCountries", "playLangs"]);

/** "field: problem" for the first problem of one field's value; `label` names the field. */
function problemOf(error: z.ZodError, label: string): string {
  const issue = error.issues[0]!;
  return `${label}: ${issue.message}`;
}

/**
 * The app fields given as command-line options (lists comma-separated), validated by the same
 * schemas as the API. A bad value is a UsageError naming the option.
 */
export function appFieldsFromOptions(opts: Partial<Record<AppField, string | undefined>>): AppFieldsInput {
  const out: Record<string, unknown> = {};
  for (const field of Object.keys(appFields) as AppField[]) {
    const raw = opts[field];
    if (raw === undefined) continue;
    const r = appFields[field].safeParse(listFields.has(field) ? splitList(raw) : raw);
    if (!r.success) throw new UsageError(problemOf(r.error, appFieldOptions[field]));
    out[field] = r.data;
  }
  return out as AppFieldsInput;
}
