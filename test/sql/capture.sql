--
-- capture: row triggers turn changes into outbox rows, one per
-- (event, matching notification), in the changing transaction
--
SET client_min_messages = warning;
DELETE FROM notify.notification;
TRUNCATE notify.outbox;
RESET client_min_messages;

-- a label for every notification, so that output does not depend on ids
CREATE TABLE note (label text PRIMARY KEY, id text);
CREATE FUNCTION define(label text, resource text, trig text,
					   action text DEFAULT '<http synchronous="false"><url>http://127.0.0.1:1/hook</url><method>POST</method><timeout>5</timeout><retry>3</retry></http>')
RETURNS void LANGUAGE sql AS $$
	INSERT INTO note VALUES (label, notify.create_notification(resource,
		'<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action>'
		|| action || '</action><trigger>' || trig || '</trigger></NotificationDocument>'));
$$;
CREATE VIEW captured AS
	SELECT n.label, o.event, o.payload::text AS payload, o.status, o.attempts
	  FROM notify.outbox o JOIN note n ON n.id = o.notification_id
	 ORDER BY o.id;

SELECT define('item-create', 'item', '<item><create/></item>');
SELECT define('item-delete', 'item', '<item><delete/></item>');
SELECT define('item-md', 'item', '<metadata><modify/></metadata>');
SELECT define('item-md-title', 'item', '<metadata><modify><field>title:name</field></modify></metadata>');

-- item create, metadata (column) modify, delete
INSERT INTO notify.item (id, title) VALUES ('VX-1001', 'first');
UPDATE notify.item SET title = 'renamed' WHERE id = 'VX-1001';
UPDATE notify.item SET title = 'renamed' WHERE id = 'VX-1001';   -- no change, no event
DELETE FROM notify.item WHERE id = 'VX-1001';
SELECT label, event, regexp_replace(payload, 'VX-[0-9]+"\]', 'VX-n"]', 'g') AS payload, status, attempts
  FROM captured;

-- a metadata event gets a fresh change set id, the same for every match
SELECT count(DISTINCT payload::json->'changeSetId'->>0) AS change_sets
  FROM notify.outbox WHERE event = 'metadata.modify';

-- a rolled-back change leaves nothing
TRUNCATE notify.outbox;
BEGIN;
INSERT INTO notify.item (id, title) VALUES ('VX-1002', 'gone');
ROLLBACK;
SELECT count(*) AS after_rollback FROM notify.outbox;

-- a subtransaction rolled back loses its events, the rest stays
BEGIN;
INSERT INTO notify.item (id, title) VALUES ('VX-1003', 'kept');
SAVEPOINT s;
INSERT INTO notify.item (id, title) VALUES ('VX-1004', 'undone');
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT label, payload FROM captured;

-- entity-scoped notification: fires only for its entity
TRUNCATE notify.outbox;
INSERT INTO note VALUES ('scoped', notify.create_notification('item', 'VX-2001',
	'{"action": {"http": {"url": "http://127.0.0.1:1/scoped", "method": "PUT"}},
	  "trigger": {"item": {"delete": ""}}}'));
INSERT INTO notify.item (id, title) VALUES ('VX-2001', 'a'), ('VX-2002', 'b');
DELETE FROM notify.item WHERE id IN ('VX-2001', 'VX-2002');
SELECT label, event, payload FROM captured WHERE event = 'item.delete';

-- metadata change sets with the field, interval, language and track filters
TRUNCATE notify.outbox;
DELETE FROM notify.notification;
DELETE FROM note;
SELECT define('all', 'item', '<metadata><modify/></metadata>');
SELECT define('fields', 'item', '<metadata><modify><field>title, tags:keywords, -secret</field></modify></metadata>');
SELECT define('only-excl', 'item', '<metadata><modify><field>-secret</field></modify></metadata>');
SELECT define('path', 'item', '<metadata><modify><field>goal_scored,/game/first_half/goal_scored</field></modify></metadata>');
SELECT define('generic', 'item', '<metadata><modify><interval>generic</interval></modify></metadata>');
SELECT define('span', 'item', '<metadata><modify><interval>10-20</interval></modify></metadata>');
SELECT define('lang', 'item', '<metadata><modify><language>en_*</language></modify></metadata>');
SELECT define('track', 'item', '<metadata><modify><track>A1</track></modify></metadata>');
SELECT define('coll-md', 'collection', '<collection><metadata><modify/></metadata></collection>');
INSERT INTO notify.item (id) VALUES ('VX-3001');
INSERT INTO notify.metadata_change_set (id, resource, entity_id, fields) VALUES
  ('VX-9001', 'item', 'VX-3001', '[{"name": "title", "value": "Match"},
								   {"name": "tags", "value": ["news", "sport"]},
								   {"name": "secret", "value": "x"}]'),
  ('VX-9002', 'item', 'VX-3001', '[{"name": "goal_scored", "path": "/game/first_half", "value": "1"},
								   {"name": "goal_scored", "path": "/game/second_half", "value": "2"}]'),
  ('VX-9003', 'item', 'VX-3001', '[{"name": "comment", "value": "timed", "start": 15, "end": 30},
								   {"name": "comment", "value": "late", "start": 40, "end": "+INF"}]'),
  ('VX-9004', 'item', 'VX-3001', '[{"name": "subtitle", "value": "hello", "language": "en_US", "track": "A1"},
								   {"name": "subtitle", "value": "hej", "language": "sv_SE", "track": "A2"}]');
SELECT label, payload FROM captured ORDER BY payload::json->'changeSetId'->>0, label;

-- a malformed change set is refused and nothing is stored
INSERT INTO notify.metadata_change_set (resource, entity_id, fields) VALUES ('item', 'VX-3001', '[{"value": "no name"}]');
INSERT INTO notify.metadata_change_set (resource, entity_id, fields) VALUES ('item', 'VX-3001', '[1, 2]');
INSERT INTO notify.metadata_change_set (resource, entity_id, fields) VALUES ('item', 'VX-3001', '[{"name": "t", "start": "soon"}]');
SELECT count(*) AS change_sets FROM notify.metadata_change_set WHERE id NOT LIKE 'VX-900_';

-- collections: create, metadata, membership, delete
TRUNCATE notify.outbox;
DELETE FROM notify.notification;
DELETE FROM note;
SELECT define('c-create', 'collection', '<collection><create/></collection>');
SELECT define('c-delete', 'collection', '<collection><delete/></collection>');
SELECT define('c-modify', 'collection', '<collection><modify/></collection>');
SELECT define('c-md', 'collection', '<collection><metadata><modify><field>title</field></modify></metadata></collection>');
INSERT INTO notify.collection (id, title) VALUES ('VX-4001', 'news');
INSERT INTO notify.item (id) VALUES ('VX-4101');
INSERT INTO notify.collection_item VALUES ('VX-4001', 'VX-4101');
UPDATE notify.collection SET title = 'sport' WHERE id = 'VX-4001';
INSERT INTO notify.metadata_change_set (id, resource, entity_id, fields)
	VALUES ('VX-9101', 'collection', 'VX-4001', '[{"name": "title", "value": "weekly"}]');
DELETE FROM notify.collection_item WHERE collection_id = 'VX-4001';
DELETE FROM notify.collection WHERE id = 'VX-4001';
SELECT label, event, regexp_replace(payload, '"changeSetId":\["VX-[0-9]+"\]', '"changeSetId":["VX-n"]') AS payload
  FROM captured;

-- storages and files
TRUNCATE notify.outbox;
DELETE FROM notify.notification;
DELETE FROM note;
SELECT define('s-create', 'storage', '<storage><create/></storage>');
SELECT define('s-delete', 'storage', '<storage><delete/></storage>');
SELECT define('f-new', 'file', '<file><new/></file>');
SELECT define('f-change', 'file', '<file><change/></file>');
SELECT define('f-close', 'file', '<file><close/></file>');
SELECT define('f-delete', 'file', '<file><delete/></file>');
SELECT define('f-hash', 'file', '<file><hash/></file>');
SELECT define('f-lost', 'file', '<file><lost/></file>');
SELECT define('f-new-s2', 'file', '<file><new/><storage>VX-5002</storage></file>');
INSERT INTO notify.storage (id, name) VALUES ('VX-5001', 's1'), ('VX-5002', 's2');
INSERT INTO notify.item (id) VALUES ('VX-5101');
INSERT INTO notify.file (id, storage_id, item_id, path) VALUES ('VX-5201', 'VX-5001', 'VX-5101', 'a/b.mxf');
INSERT INTO notify.file (id, storage_id, path) VALUES ('VX-5202', 'VX-5002', 'c.mxf');
UPDATE notify.file SET size = 1024, updated_at = now() WHERE id = 'VX-5201';
UPDATE notify.file SET state = 'CLOSED' WHERE id = 'VX-5201';
UPDATE notify.file SET hash = 'd41d8cd98f00b204e9800998ecf8427e' WHERE id = 'VX-5201';
UPDATE notify.file SET updated_at = now() WHERE id = 'VX-5201';  -- bookkeeping only: nothing
UPDATE notify.file SET state = 'LOST', size = 0 WHERE id = 'VX-5202';
DELETE FROM notify.file WHERE id = 'VX-5201';
DELETE FROM notify.file;
DELETE FROM notify.storage WHERE id = 'VX-5002';
SELECT label, event, payload FROM captured;

-- definitions changed in this transaction are seen by the next statement
TRUNCATE notify.outbox;
BEGIN;
SELECT notify.delete_notification('storage', id) FROM note WHERE label = 's-delete';
DELETE FROM notify.storage;
COMMIT;
SELECT count(*) AS storage_deletes FROM notify.outbox WHERE event = 'storage.delete';

-- no notification at all: changes cost nothing and write nothing
DELETE FROM notify.notification;
INSERT INTO notify.item (title) SELECT 'bulk ' || g FROM generate_series(1, 1000) g;
SELECT count(*) AS outbox_rows FROM notify.outbox;

DROP VIEW captured;
DROP FUNCTION define(text, text, text, text);
DROP TABLE note;
