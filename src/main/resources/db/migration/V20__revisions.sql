-- Earlier versions of posts and comments: what each edit replaced, for moderators (a reported comment edited into
-- something harmless before anyone looked, a post's source link swapped after approval) and for the author. Kept by
-- triggers, so every path that edits records it (Parley's API and the RealWorld API alike); re-rendering HTML or
-- counting votes changes no title, body or source and records nothing.
CREATE TABLE post_revisions (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  post_id     bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  title       text NOT NULL,
  body        text NOT NULL,
  sources     text[] NOT NULL,
  -- When this version was written (the post's creation or the edit before), and when an edit replaced it.
  written_at  timestamptz NOT NULL,
  replaced_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX post_revisions_post ON post_revisions (post_id, id DESC);

-- A comment its author deletes loses its text (a tombstone) and, with it, its earlier versions (Comments.TOMBSTONE):
-- deleting is the author's way to take their words back. A rejected pending comment keeps both, as it keeps its body.
CREATE TABLE comment_revisions (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  comment_id  bigint NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
  body        text NOT NULL,
  written_at  timestamptz NOT NULL,
  replaced_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comment_revisions_comment ON comment_revisions (comment_id, id DESC);

CREATE FUNCTION post_revised() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO post_revisions (post_id, title, body, sources, written_at)
    VALUES (OLD.id, OLD.title, OLD.body, OLD.sources, COALESCE(OLD.edited_at, OLD.created_at));
  RETURN NULL;
END $$;
CREATE TRIGGER posts_revised AFTER UPDATE OF title, body, sources ON posts FOR EACH ROW
  WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.body IS DISTINCT FROM NEW.body
        OR OLD.sources IS DISTINCT FROM NEW.sources)
  EXECUTE FUNCTION post_revised();

CREATE FUNCTION comment_revised() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO comment_revisions (comment_id, body, written_at)
    VALUES (OLD.id, OLD.body, COALESCE(OLD.edited_at, OLD.created_at));
  RETURN NULL;
END $$;
-- The tombstone's erasure is not an edit.
CREATE TRIGGER comments_revised AFTER UPDATE OF body ON comments FOR EACH ROW
  WHEN (OLD.body IS DISTINCT FROM NEW.body AND NEW.deleted_at IS NULL)
  EXECUTE FUNCTION comment_revised();
