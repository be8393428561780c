-- Every notification the notifier announces carries its reader's unread count. It counted it for every batch: up to
-- 100 of the reader's unread notifications, each checked against its post, its comment and the reader's blocks,
-- which for readers who never read cost PostgreSQL as much as making the batch's notifications did. The count it
-- last announced is kept here and used again while it still holds:
--
--  - marking a reader's notifications read marks their kept count stale (epoch -1), by the trigger below;
--  - hiding, restoring, deleting, holding or approving a post or a comment, blocking or unblocking, and deleting
--    notifications may change what any reader sees of their inbox: each moves unread_epoch on, which makes every
--    kept count stale (these are rare next to new notifications).
--
-- Triggers, so every way those rows change keeps the rule. The notifier takes a reader's row here before it reads
-- the count (Notifier), and marking read takes it too, so a count is never kept past a mark it did not see; a count
-- is kept with the epoch its statement read, so one kept past a change of visibility is stale at once.
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
CREATE CONSTRAINT TRIGGER blocks_unread_epoch AFTER INSERT OR UPDATE OR DELETE ON blocks
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION unread_epoch_next();
-- Deleting notifications (the retention's prune, an account's) is a statement of its own or ends a cascade.
CREATE TRIGGER notifications_unread_epoch AFTER DELETE ON notifications
  FOR EACH STATEMENT EXECUTE FUNCTION unread_epoch_next();

CREATE FUNCTION notifications_read() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO unread_counts (user_id, unread, epoch)
    SELECT DISTINCT user_id, 0, -1 FROM marked ORDER BY user_id
  ON CONFLICT (user_id) DO UPDATE SET epoch = -1;
  RETURN NULL;
END $$;

-- Any update of a notification (only marking it read updates one) makes its reader's count stale; a trigger with a
-- transition table cannot name columns.
CREATE TRIGGER notifications_read AFTER UPDATE ON notifications REFERENCING NEW TABLE AS marked
  FOR EACH STATEMENT EXECUTE FUNCTION notifications_read();
