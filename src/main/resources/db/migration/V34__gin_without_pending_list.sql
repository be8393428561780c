-- The full-text and tag indexes write a new row's entries into the index at once (fastupdate off), not into
-- PostgreSQL's default pending list (up to gin_pending_list_limit, 4 MB). With the list, every search through the
-- index read the whole list too (a rare word's search 2.6 ms with the list empty, 3.7 ms with 3,000 new comments in
-- it), and the insert that filled it moved it all into the index in its own statement (a new comment's group stalled
-- for 100-200 ms once a few thousand comments). Without it, the write benchmark's rate is the same and its slowest
-- comment about half as slow; the search's cost no longer depends on how long ago the list was emptied
-- (docs/benchmarks/P10.md). What the list holds now is moved into each index before the change is relied on.
ALTER INDEX comments_search SET (fastupdate = off);
ALTER INDEX posts_search SET (fastupdate = off);
ALTER INDEX posts_tags SET (fastupdate = off);
SELECT gin_clean_pending_list('comments_search'::regclass);
SELECT gin_clean_pending_list('posts_search'::regclass);
SELECT gin_clean_pending_list('posts_tags'::regclass);
