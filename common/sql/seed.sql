-- Deterministic seed data for the `items` table (see schema.sql).
--
--   psql -v ON_ERROR_STOP=1 -v items=N -f common/sql/seed.sql     (N defaults to 800)
--
-- Replaces the table's contents with rows id = 1..N, generated purely from arithmetic on the
-- row id (no random()): the same N always yields byte-identical data. With N = 800 the shape
-- mimics the original study's data set: 721 distinct `number`s, 18 types, ~half dual-typed,
-- stats 20..200, 8 generations, ~2% legendary. Names are made up from syllables and unique
-- for N <= 14400 (larger N appends a " <k>" suffix, so they stay unique).

\if :{?items}
\else
  \set items 800
\endif

BEGIN;

TRUNCATE items;

INSERT INTO items (id, number, name, type1, type2, total,
                   hp, attack, defense, sp_attack, sp_defense, speed, generation, legendary)
SELECT id, number, name, type1, type2,
       hp + attack + defense + sp_attack + sp_defense + speed,
       hp, attack, defense, sp_attack, sp_defense, speed,
       ((number - 1) * 8) / max_number + 1,   -- generation 1..8, growing with number
       legendary
FROM (
    SELECT g.i AS id,
           (((g.i - 1) * 721) / 800 + 1)::integer AS number,   -- non-decreasing, ~0.9*N distinct
           c.max_number,
           -- (i-1)*7919 mod 14400 is a bijection on 0..14399 (7919 is prime, coprime to 14400),
           -- decomposed into (prefix, middle, suffix) = 30 x 20 x 24 syllable indices.
           c.pre[n.k % 30 + 1] || c.mid[(n.k / 30) % 20 + 1] || c.suf[n.k / 600 + 1]
             || CASE WHEN g.i > 14400 THEN ' ' || ((g.i - 1) / 14400 + 1)::text ELSE '' END AS name,
           c.types[h.t1 + 1] AS type1,
           CASE WHEN (h.h / 65536) % 2 = 0 THEN NULL
                ELSE c.types[(h.t1 + 1 + (h.h / 131072) % 17) % 18 + 1] END AS type2,  -- never = type1
           (((g.i * 7919 + 1 * 104729) % 65521) * ((g.i * 31 + 1 * 17) % 65519) % 181 + 20)::integer AS hp,
           (((g.i * 7919 + 2 * 104729) % 65521) * ((g.i * 31 + 2 * 17) % 65519) % 181 + 20)::integer AS attack,
           (((g.i * 7919 + 3 * 104729) % 65521) * ((g.i * 31 + 3 * 17) % 65519) % 181 + 20)::integer AS defense,
           (((g.i * 7919 + 4 * 104729) % 65521) * ((g.i * 31 + 4 * 17) % 65519) % 181 + 20)::integer AS sp_attack,
           (((g.i * 7919 + 5 * 104729) % 65521) * ((g.i * 31 + 5 * 17) % 65519) % 181 + 20)::integer AS sp_defense,
           (((g.i * 7919 + 6 * 104729) % 65521) * ((g.i * 31 + 6 * 17) % 65519) % 181 + 20)::integer AS speed,
           (g.i * 48271) % 2147483647 % 50 = 0 AS legendary   -- ~2%
    FROM generate_series(1::bigint, (:items)::bigint) AS g(i)
    CROSS JOIN LATERAL (SELECT ((g.i - 1) * 7919) % 14400 AS k) AS n
    CROSS JOIN LATERAL (SELECT (g.i * 2654435761) % 4294967296 AS h) AS h0
    CROSS JOIN LATERAL (SELECT h0.h, (h0.h / 256) % 18 AS t1) AS h
    CROSS JOIN (
        SELECT ARRAY['Bul','Char','Squir','Pid','Rat','Spear','Ek','Pika','Sand','Nido',
                     'Vul','Jiggly','Zu','Odd','Para','Veno','Dig','Meo','Psy','Man',
                     'Grow','Poli','Aba','Mach','Bel','Tenta','Geo','Pony','Slow','Mag'] AS pre,
               ARRAY['ba','man','tor','li','do','ra','chu','ve','ny','fe',
                     'glu','pe','zo','ki','ro','sa','me','ta','go','lu'] AS mid,
               ARRAY['saur','der','tle','gey','tata','row','kans','slash','rina','tales',
                     'puff','bat','mish','lure','duck','ape','lith','ta','bro','nite',
                     'don','zard','pod','mite'] AS suf,
               ARRAY['Normal','Fire','Water','Grass','Electric','Ice','Fighting','Poison','Ground',
                     'Flying','Psychic','Bug','Rock','Ghost','Dragon','Dark','Steel','Fairy'] AS types,
               (((:items)::bigint - 1) * 721) / 800 + 1 AS max_number
    ) AS c
) AS s;

COMMIT;

ANALYZE items;
