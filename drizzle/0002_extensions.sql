-- Trigram search over client names, emails and phones (pg_trgm), combined with the workspace id in
-- one GIN index (btree_gin). Both are trusted extensions: a database owner may create them.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS btree_gin;
