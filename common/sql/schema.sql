-- Schema of the `items` database served by the item services.
-- Idempotent: applied by scripts/local-postgres at every start (and safe to re-run by hand).
-- Queries it is shaped for:
--   GetItem:        SELECT ... FROM items WHERE id = $1                                   (primary key)
--   ListItems:      SELECT ... FROM items ORDER BY number, id LIMIT $1                    (items_number_id_idx)
--   ListItems page: ... WHERE (number, id) > ($1, $2) ORDER BY number, id LIMIT $3       (items_number_id_idx)

CREATE TABLE IF NOT EXISTS items (
    id          bigint       PRIMARY KEY,
    number      integer      NOT NULL,
    name        varchar(100) NOT NULL,
    type1       varchar(50)  NOT NULL,
    type2       varchar(50)  NULL,      -- NULL for single-type items
    total       integer      NOT NULL,  -- hp + attack + defense + sp_attack + sp_defense + speed
    hp          integer      NOT NULL,
    attack      integer      NOT NULL,
    defense     integer      NOT NULL,
    sp_attack   integer      NOT NULL,
    sp_defense  integer      NOT NULL,
    speed       integer      NOT NULL,
    generation  integer      NOT NULL,
    legendary   boolean      NOT NULL
);

CREATE INDEX IF NOT EXISTS items_number_id_idx ON items (number, id);
