-- A notification's post, comment and actor are kept in step by triggers on delete instead of foreign keys.
--
-- The notifier inserts about one notification per reader per comment, and each of those three foreign keys ran a
-- look-up with a KEY SHARE lock on the referenced row for every one of them (on a post row that the thread's comment
-- writers hold at the same time): measured in isolation, 11 of the 21 ms of a batch of 42 comments and their 378
-- notifications (docs/benchmarks/P5-round-trips.md). Every row the notifier inserts is read from the post, comment and
-- author it names in the same statement, and Parley never deletes a post, comment or account (they are marked
-- deleted), so the checks guarded nothing the statements do not; what the keys did on a delete made by hand (an
-- operator purging a row) the triggers below still do: the post's or comment's notifications go with it, an actor's
-- name is forgotten. The reader's own key (user_id) stays: its look-up is cheap and it is the inbox's owner.
-- The inbox's reads leave out a notification whose post or comment is gone, should one ever be.
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
