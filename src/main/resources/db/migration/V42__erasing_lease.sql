-- Who is erasing a deleted account's content, for the cluster: the party erasing it (the deletion's request, or the
-- cluster's job for a deletion cut off) claims it under an id of its own (erasing_by) until a time (erasing_until),
-- which it moves on while it works (AccountDeletion.LEASE); the job passes over an account claimed, and takes it up
-- once the time has passed (the holder stopped). The id, not the time, says whose the claim is: a move whose answer
-- was lost still moved the time. Without a claim a node's job walked the pieces of an account another node was
-- erasing, beside it. Columns with no default: added without rewriting the table.
ALTER TABLE users ADD COLUMN erasing_by uuid, ADD COLUMN erasing_until timestamptz;
