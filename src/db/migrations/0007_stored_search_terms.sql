ALTER TABLE "mentions" ADD COLUMN "search_terms" "tsvector";--> statement-breakpoint
-- Rows stored before this migration get the same lexemes the store stage now computes.
UPDATE "mentions" SET "search_terms" = public.earshot_search_vector("title", "text");--> statement-breakpoint
CREATE INDEX "mentions_search_terms_idx" ON "mentions" USING gin ("search_terms");--> statement-breakpoint
DROP INDEX IF EXISTS "mentions_search_idx";
