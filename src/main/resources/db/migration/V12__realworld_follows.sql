-- People following people (the "Following" feed, RealWorld's profiles), a short description on posts, and a bio and
-- an image on accounts.

CREATE TABLE user_follows (
  follower_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  followee_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (follower_id, followee_id),
  CHECK (follower_id <> followee_id)
);
-- Who follows someone (a profile's followers; deleting an account).
CREATE INDEX user_follows_followee ON user_follows (followee_id);

-- The following feed reads posts by author, newest first: posts_by_author (author_id, id DESC) serves it.

ALTER TABLE posts ADD COLUMN description text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN bio text, ADD COLUMN image text;
