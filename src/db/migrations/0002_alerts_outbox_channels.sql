CREATE TABLE "alert_rules" (
	"id" serial PRIMARY KEY NOT NULL,
	"watchlist_id" integer,
	"kind" text NOT NULL,
	"severity" text DEFAULT 'warning' NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"channel_ids" integer[] DEFAULT '{}'::int[] NOT NULL,
	"cooldown_sec" integer DEFAULT 0 NOT NULL,
	"cooldown_by" text DEFAULT 'thread' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alert_settings" (
	"watchlist_id" integer PRIMARY KEY NOT NULL,
	"muted" boolean DEFAULT false NOT NULL,
	"digest_minutes" integer DEFAULT 0 NOT NULL,
	"quiet_start" text,
	"quiet_end" text,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"breakthrough" text DEFAULT 'critical' NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alerts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"rule_id" integer,
	"watchlist_id" integer,
	"kind" text NOT NULL,
	"severity" text NOT NULL,
	"mention_id" bigint,
	"dedup_key" text NOT NULL,
	"cooldown_key" text,
	"suppressed" text,
	"payload" jsonb NOT NULL,
	"state" text DEFAULT 'open' NOT NULL,
	"acked_by" text,
	"acked_at" timestamp with time zone,
	"resolved_by" text,
	"resolved_at" timestamp with time zone,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alerts_dedup_key_unique" UNIQUE("dedup_key")
);
--> statement-breakpoint
CREATE TABLE "channels" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"target" text NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"secret" text,
	"allow_private_targets" boolean DEFAULT false NOT NULL,
	"allow_insecure" boolean DEFAULT false NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "channels_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"alert_id" bigint NOT NULL,
	"channel_id" integer NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"digest_until" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_status" integer,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "delivery_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"delivery_id" bigint NOT NULL,
	"attempt" integer NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"status_code" integer,
	"latency_ms" integer,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "source_alert_state" (
	"source" text NOT NULL,
	"condition" text NOT NULL,
	"active" boolean DEFAULT false NOT NULL,
	"episode" integer DEFAULT 0 NOT NULL,
	"streak" integer DEFAULT 0 NOT NULL,
	"usual_items" real,
	"samples" integer DEFAULT 0 NOT NULL,
	"detail" text,
	"since" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "source_alert_state_source_condition_pk" PRIMARY KEY("source","condition")
);
--> statement-breakpoint
CREATE TABLE "spike_episodes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"rule_id" integer NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	"peak_count" integer NOT NULL,
	"baseline" real NOT NULL,
	"last_count" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "alert_rules" ADD CONSTRAINT "alert_rules_watchlist_id_watchlists_id_fk" FOREIGN KEY ("watchlist_id") REFERENCES "public"."watchlists"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alert_settings" ADD CONSTRAINT "alert_settings_watchlist_id_watchlists_id_fk" FOREIGN KEY ("watchlist_id") REFERENCES "public"."watchlists"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_rule_id_alert_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."alert_rules"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_watchlist_id_watchlists_id_fk" FOREIGN KEY ("watchlist_id") REFERENCES "public"."watchlists"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_mention_id_mentions_id_fk" FOREIGN KEY ("mention_id") REFERENCES "public"."mentions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_alert_id_alerts_id_fk" FOREIGN KEY ("alert_id") REFERENCES "public"."alerts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delivery_log" ADD CONSTRAINT "delivery_log_delivery_id_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."deliveries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "spike_episodes" ADD CONSTRAINT "spike_episodes_rule_id_alert_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."alert_rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "alert_rules_watchlist_idx" ON "alert_rules" USING btree ("watchlist_id");--> statement-breakpoint
CREATE INDEX "alerts_state_idx" ON "alerts" USING btree ("state","created_at");--> statement-breakpoint
CREATE INDEX "alerts_cooldown_idx" ON "alerts" USING btree ("rule_id","cooldown_key","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_alert_channel_uq" ON "deliveries" USING btree ("alert_id","channel_id");--> statement-breakpoint
CREATE INDEX "deliveries_pending_idx" ON "deliveries" USING btree ("created_at") WHERE state = 'pending';--> statement-breakpoint
CREATE INDEX "delivery_log_delivery_idx" ON "delivery_log" USING btree ("delivery_id");--> statement-breakpoint
CREATE UNIQUE INDEX "spike_episodes_open_uq" ON "spike_episodes" USING btree ("rule_id") WHERE ended_at is null;