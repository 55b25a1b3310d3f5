-- Words are indexed by their first five characters (battery → batte), so a search for a word of
-- five or more characters looks up one exact key instead of gathering every key with its prefix.
CREATE OR REPLACE FUNCTION earshot_search_terms(doc text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT tok), '{}'::text[]) FROM (
    SELECT CASE WHEN char_length(r.run) = 1 THEN r.run ELSE substr(r.run, i, 2) END AS tok
    FROM regexp_matches(lower(doc), '([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+)', 'g') AS r0(m),
         LATERAL (SELECT r0.m[1] AS run) r,
         generate_series(1, greatest(char_length(r.run) - 1, 1)) AS i
    UNION ALL
    SELECT substr(w.m[1], 1, 5) FROM regexp_matches(lower(doc), '([a-z0-9\u00c0-\u024f]+)', 'g') AS w(m)
  ) t
$$;
--> statement-breakpoint
-- Only rows holding a word longer than the key change.
UPDATE "mentions" SET "search_terms" = public.earshot_search_vector("title", "text")
WHERE (coalesce("title", '') || ' ' || "text") ~* '[a-z0-9\u00c0-\u024f]{6}';
