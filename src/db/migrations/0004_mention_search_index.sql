-- Full-text search that works for Chinese without a server-side segmenter: CJK runs are indexed as
-- overlapping character bigrams (一打开就闪退了 → 一打 打开 开就 就闪 闪退 退了), other scripts as
-- lower-cased words. A two-character word such as 闪退 is then one indexed lexeme (pg_trgm cannot
-- index terms under three characters). The API rechecks each term as a substring on the rows found.
CREATE FUNCTION earshot_search_terms(doc text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT tok), '{}'::text[]) FROM (
    SELECT CASE WHEN char_length(r.run) = 1 THEN r.run ELSE substr(r.run, i, 2) END AS tok
    FROM regexp_matches(lower(doc), '([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+)', 'g') AS r0(m),
         LATERAL (SELECT r0.m[1] AS run) r,
         generate_series(1, greatest(char_length(r.run) - 1, 1)) AS i
    UNION ALL
    SELECT w.m[1] FROM regexp_matches(lower(doc), '([a-z0-9\u00c0-\u024f]+)', 'g') AS w(m)
  ) t
$$;
--> statement-breakpoint
CREATE FUNCTION earshot_search_vector(title text, body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  -- Schema-qualified: Postgres 17 runs index maintenance with a search_path of pg_catalog only.
  SELECT array_to_tsvector(public.earshot_search_terms(coalesce(title, '') || ' ' || coalesce(body, '')))
$$;
--> statement-breakpoint
CREATE INDEX "mentions_search_idx" ON "mentions" USING gin (earshot_search_vector("title", "text"));
--> statement-breakpoint
-- Keyset pagination and date filters order by the published date, or the fetch date when a site gives none.
CREATE INDEX "mentions_when_idx" ON "mentions" USING btree ((coalesce("published_at", "fetched_at")) DESC, "id" DESC);
