-- A name a member renamed away from stays theirs for a while (Accounts.RESERVED): links to /u/<old name> and the
-- @mentions rendered with it in posts and comments must not lead to a newcomer who took it the same day. Found by
-- the rename's audit entry (V3's mod_log, action 'user.renamed', details.from), through this index.
CREATE INDEX mod_log_renamed_from ON mod_log (lower(details ->> 'from'), created_at) WHERE action = 'user.renamed';
