CREATE TABLE "mention_revisions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"mention_id" bigint NOT NULL,
	"title" text,
	"text" text NOT NULL,
	"rating" smallint,
	"app_version" text,
	"published_at" timestamp with time zone,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "play_langs" text[] DEFAULT '{en-us}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "taptap_id" text;--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "taptap_region" text DEFAULT 'cn' NOT NULL;--> statement-breakpoint
ALTER TABLE "mention_revisions" ADD CONSTRAINT "mention_revisions_mention_id_mentions_id_fk" FOREIGN KEY ("mention_id") REFERENCES "public"."mentions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "mention_revisions_mention_idx" ON "mention_revisions" USING btree ("mention_id","changed_at");