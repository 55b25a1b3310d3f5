DROP INDEX "mentions_search_terms_idx";--> statement-breakpoint
ALTER TABLE "mentions" ADD COLUMN "app_ids" integer[] DEFAULT '{}'::int[] NOT NULL;--> statement-breakpoint
UPDATE "mentions" m SET "app_ids" = a.app_ids
FROM (
  SELECT mm.mention_id, array_agg(DISTINCT w.app_id ORDER BY w.app_id) AS app_ids
  FROM "mention_matches" mm JOIN "watchlists" w ON w.id = mm.watchlist_id
  GROUP BY mm.mention_id
) a
WHERE m.id = a.mention_id;--> statement-breakpoint
-- New matches add their watchlist's app to the mention, once per statement; the store writes it
-- with the row already, so for a new mention this only reads.
CREATE FUNCTION earshot_add_match_apps() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE public.mentions m SET app_ids = ARRAY(SELECT DISTINCT x FROM unnest(m.app_ids || n.app_ids) x ORDER BY x)
  FROM (SELECT nm.mention_id, array_agg(DISTINCT w.app_id) AS app_ids
        FROM added nm JOIN public.watchlists w ON w.id = nm.watchlist_id GROUP BY nm.mention_id) n
  WHERE m.id = n.mention_id AND NOT (m.app_ids @> n.app_ids);
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "mention_matches_add_apps" AFTER INSERT ON "mention_matches"
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION earshot_add_match_apps();--> statement-breakpoint
CREATE INDEX "mentions_search_app_idx" ON "mentions" USING gin ("search_terms","app_ids");
