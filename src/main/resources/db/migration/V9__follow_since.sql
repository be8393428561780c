-- A follow counts from the moment it was made: a comment written before someone followed the thread is not news to
-- them, even when the notifier reaches it after the follow (it works behind the commit, and catches up after a stop).
ALTER TABLE thread_follows ADD COLUMN since timestamptz NOT NULL DEFAULT now();
