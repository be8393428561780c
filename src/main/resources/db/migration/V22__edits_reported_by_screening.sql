-- An edit of published content that the moderators' hold rules would hold (a hold filter entry it newly matches,
-- more links than PARLEY_HOLD_LINKS) stays published and is reported to the moderators by Parley itself: a report
-- with no reporter and the reason 'screening', its details saying what matched. Spammers post something harmless,
-- wait for it to be approved or trusted, then edit their links in; before this, only refusing entries applied to
-- edits. One open report of Parley's per target: a second such edit before a moderator looks adds nothing.
ALTER TABLE reports ALTER COLUMN reporter_id DROP NOT NULL;
ALTER TABLE reports DROP CONSTRAINT reports_reason_check;
ALTER TABLE reports ADD CONSTRAINT reports_reason_check
  CHECK (reason IN ('spam', 'harassment', 'hate', 'misinformation', 'off_topic', 'other', 'screening'));
-- People give the reasons people give; Parley gives 'screening', and only Parley does.
ALTER TABLE reports ADD CONSTRAINT reports_screening_is_parleys CHECK ((reporter_id IS NULL) = (reason = 'screening'));
CREATE UNIQUE INDEX reports_one_open_screening ON reports (target_type, target_id)
  WHERE status = 'open' AND reporter_id IS NULL;
