import { appstore } from "./appstore.ts";
import { googleplay } from "./googleplay.ts";
import { taptap } from "./taptap.ts";
import { weibo } from "./weibo.ts";
import { discourse } from "./discourse.ts";
import { forum } from "./forum.ts";
import { tieba } from "./tieba.ts";
import type { SourceAdapter } from "./types.ts";

/** Every source earshot can crawl. A new site: one file beside this one, one line here. */
const adapters: readonly SourceAdapter[] = [appstore, googleplay, taptap, weibo, discourse, forum, tieba];

export const sources: ReadonlyMap<string, SourceAdapter> = (() => {
  const map = new Map<string, SourceAdapter>();
  for (const a of adapters) {
    if (map.has(a.id)) throw new Error(`Two sources share the id "${a.id}"`);
    map.set(a.id, a);
  }
  return map;
})();

export function getSource(id: string): SourceAdapter | undefined {
  return sources.get(id);
}

export const sourceIds = (): string[] => [...sources.keys()];
