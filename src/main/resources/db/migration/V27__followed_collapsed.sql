-- A follower's unread notification about a thread stands for the comments after it: while they have one they may
-- still see, later comments there make no other (parley.notification.Notifier). The notifier asks for it per
-- follower and comment, and the inbox finds the reader's next one in the thread to count what it stands for
-- (Notifications.MORE): both by reader, thread and id. Only 'followed' rows are indexed.
CREATE INDEX notifications_followed ON notifications (user_id, post_id, id) WHERE kind = 'followed';
