-- A profile lists and counts only what readers can see: neither deleted nor hidden. The author indexes carry the
-- same conditions, so those lists and counts read them directly.
DROP INDEX posts_by_author;
CREATE INDEX posts_by_author ON posts (author_id, id DESC) WHERE deleted_at IS NULL AND hidden_at IS NULL;
DROP INDEX comments_by_author;
CREATE INDEX comments_by_author ON comments (author_id, id DESC) WHERE deleted_at IS NULL AND hidden_at IS NULL;
