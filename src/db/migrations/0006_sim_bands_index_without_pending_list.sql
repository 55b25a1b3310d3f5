DROP INDEX "mentions_sim_bands_idx";--> statement-breakpoint
CREATE INDEX "mentions_sim_bands_idx" ON "mentions" USING gin ("sim_bands") WITH (fastupdate=false);