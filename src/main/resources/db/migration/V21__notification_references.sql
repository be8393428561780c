-- A notification's post, comment and actor are kept in step by triggers on delete instead of foreign keys.
--
-- The notifier inserts about one notification per reader per comment, and each of those three foreign keys ran a
-- look-up with a KEY SHARE lock on the referenced row for every one of them (on a post row that the thread's comment
-- writers hold at the same time): measured in isolation, 8.6 of the 21.4 ms of a batch of 42 comments and their 378
-- notifications (docs/benchmarks/P5-round-trips.md). Every notification names a post, comment and actor that existed
-- when the write that caused it committed (the comments' statement reads them; the others take them from that
-- write), and Parley never deletes a post, comment or account (they are marked deleted), so the checks guarded
-- against nothing Parley does; what the keys did on a delete made by hand (an operator purging a row) the triggers
-- below still do: the post's or comment's notifications go with it, an actor's name is forgotten. The reader's own
-- key (user_id) stays: it is the inbox's owner. A purge that races the notifier could leave a notification naming
-- a row that is gone: the inbox's reads leave such a notification out.
ALTER TABLE notifications
  DROP CONSTRAINT notifications_post_id_fkey,
  DROP CONSTRAINT notifications_comment_id_fkey,
  DROP CONSTRAINT notifications_actor_id_fkey;

CREATE FUNCTION notifications_of_deleted_posts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM notifications n USING gone WHERE n.post_id = gone.id;
  RETURN NULL;
END $$;
CREATE TRIGGER posts_deleted_notifications AFTER DELETE ON posts REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION notifications_of_deleted_posts();

CREATE FUNCTION notifications_of_deleted_comments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM notifications n USING gone WHERE n.comment_id = gone.id;
  RETURN NULL;
END $$;
CREATE TRIGGER comments_deleted_notifications AFTER DELETE ON comments REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION notifications_of_deleted_comments();

CREATE FUNCTION notifications_of_deleted_actors() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE notifications n SET actor_id = NULL FROM gone WHERE n.actor_id = gone.id;
  RETURN NULL;
END $$;
CREATE TRIGGER users_deleted_notifications AFTER DELETE ON users REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION notifications_of_deleted_actors();
