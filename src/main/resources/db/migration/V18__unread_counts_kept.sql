-- Every notification the notifier announces carries its reader's unread count. It counted it for every batch: up to
-- 100 of the reader's unread notifications, each checked against its post, its comment and the reader's blocks,
-- which for readers who never read cost PostgreSQL as much as making the batch's notifications did. The count it
-- last announced is kept here and used again while it still holds:
--
--  - a reader's own count goes stale (epoch -1) when their notifications are marked read, when they block or
--    unblock someone, and when a notification is made for them by anything but the notifier's own batches (a
--    node of an older version during a rolling upgrade, an operator's INSERT): triggers below;
--  - hiding, restoring, deleting, holding or approving a post or a comment, or deleting an unread notification,
--    may change what any reader sees of their inbox: each moves unread_epoch on, which makes every kept count stale
--    (these are rare next to new notifications).
--
-- Triggers, so every way those rows change keeps the rule. The notifier takes a reader's row here before it reads
-- the count (Notifier), and so does every trigger that marks one reader stale, so a count is never kept past a
-- change it did not see; a count is kept with the epoch its statement read, so one kept past a change of
-- visibility is stale at once. Rows here are taken in user id order by every statement that takes several.
CREATE TABLE unread_counts (
  user_id bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  unread  integer NOT NULL,
  epoch   bigint NOT NULL
);

CREATE TABLE unread_epoch (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  epoch    bigint NOT NULL
);
INSERT INTO unread_epoch (epoch) VALUES (0);

CREATE FUNCTION unread_epoch_next() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE unread_epoch SET epoch = epoch + 1;
  RETURN NULL;
END $$;

-- Moved on at commit (deferred), after everything else the transaction locks: a transaction never holds this row
-- while it waits for another, so the row cannot take part in a deadlock, and it is held only for the commit.
CREATE CONSTRAINT TRIGGER posts_unread_epoch AFTER UPDATE OF deleted_at, hidden_at, pending_at ON posts
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD.deleted_at IS DISTINCT FROM NEW.deleted_at OR OLD.hidden_at IS DISTINCT FROM NEW.hidden_at
        OR OLD.pending_at IS DISTINCT FROM NEW.pending_at)
  EXECUTE FUNCTION unread_epoch_next();
CREATE CONSTRAINT TRIGGER posts_deleted_unread_epoch AFTER DELETE ON posts
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION unread_epoch_next();
CREATE CONSTRAINT TRIGGER comments_unread_epoch AFTER UPDATE OF deleted_at, hidden_at, pending_at ON comments
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD.deleted_at IS DISTINCT FROM NEW.deleted_at OR OLD.hidden_at IS DISTINCT FROM NEW.hidden_at
        OR OLD.pending_at IS DISTINCT FROM NEW.pending_at)
  EXECUTE FUNCTION unread_epoch_next();
CREATE CONSTRAINT TRIGGER comments_deleted_unread_epoch AFTER DELETE ON comments
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION unread_epoch_next();
-- Read notifications (all the retention's prune deletes) never counted; an unread one goes only in a cascade.
CREATE CONSTRAINT TRIGGER notifications_unread_epoch AFTER DELETE ON notifications
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.read_at IS NULL) EXECUTE FUNCTION unread_epoch_next();

-- One reader's count stale: the rows of the statement's readers ($1 of the transition table), in id order.
CREATE FUNCTION unread_counts_stale(users bigint[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO unread_counts (user_id, unread, epoch)
    SELECT DISTINCT u, 0, -1 FROM unnest(users) AS u ORDER BY u
  ON CONFLICT (user_id) DO UPDATE SET epoch = -1;
$$;

-- Any update of a notification (only marking it read updates one) makes its reader's count stale; a trigger with a
-- transition table cannot name columns.
CREATE FUNCTION notifications_read() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM unread_counts_stale(ARRAY(SELECT user_id FROM marked));
  RETURN NULL;
END $$;
CREATE TRIGGER notifications_read AFTER UPDATE ON notifications REFERENCING NEW TABLE AS marked
  FOR EACH STATEMENT EXECUTE FUNCTION notifications_read();

-- A notification made outside the notifier's batches, which say so for their own transaction only
-- (SET LOCAL parley.unread_kept = 'on') and keep their readers' counts themselves.
CREATE FUNCTION notifications_made() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('parley.unread_kept', true) IS DISTINCT FROM 'on' THEN
    PERFORM unread_counts_stale(ARRAY(SELECT user_id FROM made));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER notifications_made AFTER INSERT ON notifications REFERENCING NEW TABLE AS made
  FOR EACH STATEMENT EXECUTE FUNCTION notifications_made();

-- A block or an unblock changes what the blocker sees, and nobody else.
CREATE FUNCTION blocks_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM unread_counts_stale(ARRAY(SELECT blocker_id FROM changed));
  RETURN NULL;
END $$;
CREATE TRIGGER blocks_added AFTER INSERT ON blocks REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION blocks_changed();
CREATE TRIGGER blocks_removed AFTER DELETE ON blocks REFERENCING OLD TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION blocks_changed();
