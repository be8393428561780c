-- The full-text and tag indexes write a new row's entries into the index at once (fastupdate off), not into
-- PostgreSQL's default pending list (up to gin_pending_list_limit, 4 MB). With the list, every search through the
-- index read the whole list too (a rare word's search 2.6 ms with the list empty, 3.7 ms with 3,000 new comments in
-- it), and the insert that filled it moved it all into the index in its own statement (a new comment's group stalled
-- for 100-200 ms every 6,000 comments or so). Without it, the write benchmark's rate is the same and its slowest
-- comment 93-103 ms against 157-202; the search's cost no longer depends on how long ago the list was emptied
-- (docs/benchmarks/P10.md). What the lists hold now is moved into each index.
--
-- The lists are emptied first (that takes only the lock an insert takes), then the option is set: setting it locks
-- each index against every use until the migration commits, so it comes last, and waits at most 10 s for a
-- transaction that holds the table (the node's start then fails, saying so, rather than queueing all traffic
-- behind the wait).
SET LOCAL lock_timeout = '10s';
SELECT gin_clean_pending_list('comments_search'::regclass);
SELECT gin_clean_pending_list('posts_search'::regclass);
SELECT gin_clean_pending_list('posts_tags'::regclass);
ALTER INDEX comments_search SET (fastupdate = off);
ALTER INDEX posts_search SET (fastupdate = off);
ALTER INDEX posts_tags SET (fastupdate = off);
-- What inserts put in the lists between the first cleaning and the lock (cheap: the lock is held already).
SELECT gin_clean_pending_list('comments_search'::regclass);
SELECT gin_clean_pending_list('posts_search'::regclass);
SELECT gin_clean_pending_list('posts_tags'::regclass);
