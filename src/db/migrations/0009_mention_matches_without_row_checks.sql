ALTER TABLE "mention_matches" DROP CONSTRAINT "mention_matches_mention_id_mentions_id_fk";
--> statement-breakpoint
ALTER TABLE "mention_matches" DROP CONSTRAINT "mention_matches_watchlist_id_watchlists_id_fk";
--> statement-breakpoint
-- The cascades the foreign keys did, once per deleting statement instead of once per row.
CREATE FUNCTION earshot_delete_matches_of_mentions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM public.mention_matches mm USING gone g WHERE mm.mention_id = g.id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "mentions_delete_matches" AFTER DELETE ON "mentions"
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION earshot_delete_matches_of_mentions();
--> statement-breakpoint
CREATE FUNCTION earshot_delete_matches_of_watchlists() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM public.mention_matches mm USING gone g WHERE mm.watchlist_id = g.id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "watchlists_delete_matches" AFTER DELETE ON "watchlists"
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION earshot_delete_matches_of_watchlists();
