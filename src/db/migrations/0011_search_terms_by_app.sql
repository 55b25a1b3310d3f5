DROP INDEX "mentions_search_terms_idx";--> statement-breakpoint
ALTER TABLE "mentions" ADD COLUMN "app_ids" integer[] DEFAULT '{}'::int[] NOT NULL;--> statement-breakpoint
UPDATE "mentions" m SET "app_ids" = a.app_ids
FROM (
  SELECT mm.mention_id, array_agg(DISTINCT w.app_id ORDER BY w.app_id) AS app_ids
  FROM "mention_matches" mm JOIN "watchlists" w ON w.id = mm.watchlist_id
  GROUP BY mm.mention_id
) a
WHERE m.id = a.mention_id;--> statement-breakpoint
CREATE INDEX "mentions_search_app_idx" ON "mentions" USING gin ("search_terms","app_ids");
