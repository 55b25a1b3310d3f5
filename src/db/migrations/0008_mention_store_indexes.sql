-- Indexes nothing reads cost every insert: the fingerprint (dedup goes through the SimHash bands;
-- equal fingerprints have equal bands), the bare published date (dates are filtered and ordered
-- through mentions_when_idx) and duplicate_of (only ever tested for null).
DROP INDEX "mentions_fingerprint_idx";--> statement-breakpoint
DROP INDEX "mentions_sim_bands_idx";--> statement-breakpoint
DROP INDEX "mentions_published_idx";--> statement-breakpoint
DROP INDEX "mentions_duplicate_of_idx";--> statement-breakpoint
CREATE INDEX "mentions_sim_band1_idx" ON "mentions" USING btree (("sim_bands"[1]));--> statement-breakpoint
CREATE INDEX "mentions_sim_band2_idx" ON "mentions" USING btree (("sim_bands"[2]));--> statement-breakpoint
CREATE INDEX "mentions_sim_band3_idx" ON "mentions" USING btree (("sim_bands"[3]));--> statement-breakpoint
CREATE INDEX "mentions_sim_band4_idx" ON "mentions" USING btree (("sim_bands"[4]));