CREATE TABLE "apps" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"aliases" text[] DEFAULT '{}'::text[] NOT NULL,
	"appstore_id" text,
	"appstore_countries" text[] DEFAULT '{us}'::text[] NOT NULL,
	"play_package" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "apps_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "crawl_runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"watchlist_id" integer NOT NULL,
	"source" text NOT NULL,
	"job_id" text,
	"attempt" integer DEFAULT 1 NOT NULL,
	"trigger" text DEFAULT 'schedule' NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"requests" integer DEFAULT 0 NOT NULL,
	"pages_fetched" integer DEFAULT 0 NOT NULL,
	"items_seen" integer DEFAULT 0 NOT NULL,
	"items_new" integer DEFAULT 0 NOT NULL,
	"duplicates" integer DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "fetch_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" bigint,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"method" text DEFAULT 'GET' NOT NULL,
	"url" text NOT NULL,
	"status" integer,
	"bytes" integer,
	"ms" integer,
	"retries" integer DEFAULT 0 NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "mention_matches" (
	"mention_id" bigint NOT NULL,
	"watchlist_id" integer NOT NULL,
	"keyword" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"seen_count" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "mention_matches_mention_id_watchlist_id_keyword_pk" PRIMARY KEY("mention_id","watchlist_id","keyword")
);
--> statement-breakpoint
CREATE TABLE "mentions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"external_id" text NOT NULL,
	"url" text,
	"author" text,
	"title" text,
	"text" text NOT NULL,
	"language" text,
	"published_at" timestamp with time zone,
	"published_raw" text,
	"fetched_at" timestamp with time zone DEFAULT now() NOT NULL,
	"rating" smallint,
	"app_version" text,
	"sentiment_score" real,
	"sentiment_label" text,
	"complaint" boolean,
	"complaint_category" text,
	"fingerprint" text NOT NULL,
	"simhash" bigint NOT NULL,
	"sim_bands" integer[] NOT NULL,
	"duplicate_of" bigint,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "source_cursors" (
	"watchlist_id" integer NOT NULL,
	"source" text NOT NULL,
	"scope" text NOT NULL,
	"last_external_id" text,
	"last_published_at" timestamp with time zone,
	"state" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "source_cursors_watchlist_id_source_scope_pk" PRIMARY KEY("watchlist_id","source","scope")
);
--> statement-breakpoint
CREATE TABLE "source_health" (
	"source" text NOT NULL,
	"host" text NOT NULL,
	"state" text NOT NULL,
	"reason" text,
	"since" timestamp with time zone DEFAULT now() NOT NULL,
	"blocked_until" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "source_health_source_host_pk" PRIMARY KEY("source","host")
);
--> statement-breakpoint
CREATE TABLE "watchlists" (
	"id" serial PRIMARY KEY NOT NULL,
	"app_id" integer NOT NULL,
	"keywords" text[] NOT NULL,
	"sources" text[] NOT NULL,
	"interval_sec" integer NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" text NOT NULL,
	"updated_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "crawl_runs" ADD CONSTRAINT "crawl_runs_watchlist_id_watchlists_id_fk" FOREIGN KEY ("watchlist_id") REFERENCES "public"."watchlists"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fetch_log" ADD CONSTRAINT "fetch_log_run_id_crawl_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."crawl_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mention_matches" ADD CONSTRAINT "mention_matches_mention_id_mentions_id_fk" FOREIGN KEY ("mention_id") REFERENCES "public"."mentions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mention_matches" ADD CONSTRAINT "mention_matches_watchlist_id_watchlists_id_fk" FOREIGN KEY ("watchlist_id") REFERENCES "public"."watchlists"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "source_cursors" ADD CONSTRAINT "source_cursors_watchlist_id_watchlists_id_fk" FOREIGN KEY ("watchlist_id") REFERENCES "public"."watchlists"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "watchlists" ADD CONSTRAINT "watchlists_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "crawl_runs_watchlist_idx" ON "crawl_runs" USING btree ("watchlist_id","source","started_at");--> statement-breakpoint
CREATE INDEX "crawl_runs_job_idx" ON "crawl_runs" USING btree ("job_id");--> statement-breakpoint
CREATE INDEX "fetch_log_run_idx" ON "fetch_log" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "mention_matches_watchlist_idx" ON "mention_matches" USING btree ("watchlist_id","first_seen_at");--> statement-breakpoint
CREATE UNIQUE INDEX "mentions_source_external_uq" ON "mentions" USING btree ("source","external_id");--> statement-breakpoint
CREATE INDEX "mentions_fingerprint_idx" ON "mentions" USING btree ("fingerprint");--> statement-breakpoint
CREATE INDEX "mentions_sim_bands_idx" ON "mentions" USING gin ("sim_bands");--> statement-breakpoint
CREATE INDEX "mentions_published_idx" ON "mentions" USING btree ("published_at");--> statement-breakpoint
CREATE INDEX "mentions_duplicate_of_idx" ON "mentions" USING btree ("duplicate_of");--> statement-breakpoint
CREATE INDEX "watchlists_app_idx" ON "watchlists" USING btree ("app_id");