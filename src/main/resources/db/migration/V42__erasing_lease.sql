-- Whose erasing of a deleted account's content is under way, for the cluster: the party erasing it (the deletion's
-- request, or the cluster's job for a deletion cut off) holds it until this time and moves it on while it works
-- (AccountDeletion.LEASE); the job passes over an account held, and takes it up once the time has passed (the
-- holder stopped). Without it a node's job walked the pieces of an account another node was erasing, beside it. A
-- column with no default: added without rewriting the table.
ALTER TABLE users ADD COLUMN erasing_until timestamptz;
