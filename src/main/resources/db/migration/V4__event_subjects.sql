-- What an event's content is about ('comment:12', 'post:3'), so that deleting or hiding content can also erase
-- it from the event log's stored copies: a replay must not bring back what its author deleted or what a
-- moderator hid from readers.
ALTER TABLE events ADD COLUMN subject text;
CREATE INDEX events_subject ON events (subject) WHERE subject IS NOT NULL;
