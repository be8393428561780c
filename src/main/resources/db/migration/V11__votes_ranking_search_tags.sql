-- Votes, ranking, search and tags.

-- One vote per account per post or comment: 1 (up) or -1 (down, where the community allows it).
CREATE TABLE post_votes (
  post_id    bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  value      smallint NOT NULL CHECK (value IN (-1, 1)),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (post_id, user_id)
);
CREATE TABLE comment_votes (
  comment_id bigint NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
  user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  value      smallint NOT NULL CHECK (value IN (-1, 1)),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (comment_id, user_id)
);
-- "Your vote" on a page of items.
CREATE INDEX post_votes_by_user ON post_votes (user_id, post_id);
CREATE INDEX comment_votes_by_user ON comment_votes (user_id, comment_id);

-- The counts, kept exact by the vote's transaction, and the ranks derived from them (set by the triggers below,
-- so every write that changes a count or creates a row ranks it the same way).
ALTER TABLE posts
  ADD COLUMN upvotes integer NOT NULL DEFAULT 0 CHECK (upvotes >= 0),
  ADD COLUMN downvotes integer NOT NULL DEFAULT 0 CHECK (downvotes >= 0),
  ADD COLUMN score integer GENERATED ALWAYS AS (upvotes - downvotes) STORED,
  ADD COLUMN hot double precision NOT NULL DEFAULT 0,
  ADD COLUMN last_activity_at timestamptz,
  ADD COLUMN tags text[] NOT NULL DEFAULT '{}',
  ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')) STORED;
ALTER TABLE comments
  ADD COLUMN upvotes integer NOT NULL DEFAULT 0 CHECK (upvotes >= 0),
  ADD COLUMN downvotes integer NOT NULL DEFAULT 0 CHECK (downvotes >= 0),
  ADD COLUMN score integer GENERATED ALWAYS AS (upvotes - downvotes) STORED,
  ADD COLUMN best double precision NOT NULL DEFAULT 0,
  ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED;

-- hot: Reddit's formula, sign(score) * log10(max(|score|, 1)) + (created - 2005-12-08 07:46:43 UTC) / 45000 s.
-- Every tenfold of score is worth 12.5 hours of age. It does not change with time, so it is stored and indexed.
CREATE FUNCTION parley_hot(score integer, created timestamptz) RETURNS double precision
  LANGUAGE sql IMMUTABLE AS $$
    SELECT sign(score) * log(greatest(abs(score), 1)) + (extract(epoch FROM created AT TIME ZONE 'UTC') - 1134028003) / 45000
  $$;
-- best: the lower bound of the Wilson score interval (95 %) for the share of up votes, so 2 of 2 ranks below 90 of
-- 100; 0 without votes.
CREATE FUNCTION parley_wilson(up integer, down integer) RETURNS double precision
  LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN up + down = 0 THEN 0 ELSE
      ((up::float8 / (up + down)) + 1.9208 / (up + down)
        - 1.96 * sqrt(((up::float8 / (up + down)) * (1 - up::float8 / (up + down)) + 0.9604 / (up + down)) / (up + down)))
      / (1 + 3.8416 / (up + down)) END
  $$;

CREATE FUNCTION posts_rank() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.hot := parley_hot(NEW.upvotes - NEW.downvotes, NEW.created_at);
  IF NEW.last_activity_at IS NULL THEN NEW.last_activity_at := NEW.created_at; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER posts_rank BEFORE INSERT OR UPDATE OF upvotes, downvotes ON posts
  FOR EACH ROW EXECUTE FUNCTION posts_rank();

CREATE FUNCTION comments_rank() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.best := parley_wilson(NEW.upvotes, NEW.downvotes);
  RETURN NEW;
END $$;
CREATE TRIGGER comments_rank BEFORE INSERT OR UPDATE OF upvotes, downvotes ON comments
  FOR EACH ROW EXECUTE FUNCTION comments_rank();

-- Existing rows: ranked, and active as of their latest comment.
UPDATE posts p SET hot = parley_hot(0, p.created_at),
  last_activity_at = COALESCE((SELECT max(c.created_at) FROM comments c WHERE c.post_id = p.id
                                AND c.deleted_at IS NULL AND c.pending_at IS NULL), p.created_at);
ALTER TABLE posts ALTER COLUMN last_activity_at SET NOT NULL, ALTER COLUMN last_activity_at SET DEFAULT now();

-- Every feed sort reads its own index, each with the listed rule (Visibility.listed) as its predicate.
CREATE INDEX posts_hot ON posts (hot DESC, id DESC) WHERE deleted_at IS NULL AND hidden_at IS NULL AND pending_at IS NULL;
CREATE INDEX posts_top ON posts (score DESC, id DESC) WHERE deleted_at IS NULL AND hidden_at IS NULL AND pending_at IS NULL;
CREATE INDEX posts_active ON posts (last_activity_at DESC, id DESC)
  WHERE deleted_at IS NULL AND hidden_at IS NULL AND pending_at IS NULL;
CREATE INDEX posts_tags ON posts USING gin (tags) WHERE deleted_at IS NULL AND hidden_at IS NULL AND pending_at IS NULL;
-- A thread's comments by best.
CREATE INDEX comments_best ON comments (post_id, best DESC, id DESC);
-- Search.
CREATE INDEX posts_search ON posts USING gin (search);
CREATE INDEX comments_search ON comments USING gin (search);
CREATE INDEX users_username_prefix ON users (lower(username) text_pattern_ops);
