--
-- quota: quota rule create and delete, and a warning when usage crosses a
-- rule's limit (once per crossing, not per row)
--
SET client_min_messages = warning;
DELETE FROM notify.notification;
TRUNCATE notify.outbox;
DELETE FROM notify.quota_rule;
DELETE FROM notify.file;
DELETE FROM notify.item;
RESET client_min_messages;

CREATE TABLE note (label text PRIMARY KEY, id text);
CREATE FUNCTION define(label text, trig text) RETURNS void LANGUAGE sql AS $$
	INSERT INTO note VALUES (label, notify.create_notification('quota',
		'<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action>'
		|| '<http synchronous="false"><url>http://127.0.0.1:1/hook</url><method>POST</method><timeout>5</timeout><retry>3</retry></http>'
		|| '</action><trigger>' || trig || '</trigger></NotificationDocument>'));
$$;
CREATE VIEW captured AS
	SELECT n.label, o.event, o.entity_id, o.payload::text AS payload
	  FROM notify.outbox o JOIN note n ON n.id = o.notification_id
	 ORDER BY o.id;

-- no rule: item and file capture keep no usage
INSERT INTO notify.storage (id) VALUES ('VX-S1');
INSERT INTO notify.item (id) VALUES ('VX-I1'), ('VX-I2');
INSERT INTO notify.file (id, storage_id, path, size) VALUES ('VX-F1', 'VX-S1', 'a', 100);
SELECT count(*) AS usage_rows FROM notify.quota_usage;

SELECT define('create', '<quota><create/></quota>');
SELECT define('created', '<quota><created/></quota>');   -- Vidispine's other spelling
SELECT define('delete', '<quota><delete/></quota>');
SELECT define('warning', '<quota><warning/></quota>');

-- create: usage counted from the tables (2 items, 100 bytes); not over
INSERT INTO notify.quota_rule (id, item_limit, storage_limit) VALUES ('VX-Q1', 3, 1000);
INSERT INTO notify.quota_rule (id, storage_limit) VALUES ('VX-Q2', 150);
SELECT * FROM captured;
SELECT rule_id, item_limit, storage_limit, item_usage, storage_usage, exceeded
  FROM notify.quota_usage ORDER BY rule_id;

-- reaching the limit is not exceeding it: no warning
TRUNCATE notify.outbox;
INSERT INTO notify.item (id) VALUES ('VX-I3');
SELECT count(*) AS at_limit FROM captured;

-- one statement inserting three items crosses once: one warning
INSERT INTO notify.item (id) VALUES ('VX-I4'), ('VX-I5'), ('VX-I6');
SELECT * FROM captured;

-- still over: no new warning
TRUNCATE notify.outbox;
INSERT INTO notify.item (id) VALUES ('VX-I7');
SELECT count(*) AS still_over FROM captured;

-- back under, then over again: a second warning
DELETE FROM notify.item WHERE id IN ('VX-I4', 'VX-I5', 'VX-I6', 'VX-I7');
SELECT exceeded FROM notify.quota_usage WHERE rule_id = 'VX-Q1';
INSERT INTO notify.item (id) VALUES ('VX-I8'), ('VX-I9');
SELECT * FROM captured;

-- storage: file sizes (insert, update, delete) count for VX-Q2 (limit 150)
TRUNCATE notify.outbox;
INSERT INTO notify.file (id, storage_id, path, size) VALUES ('VX-F2', 'VX-S1', 'b', 40);
SELECT count(*) AS under_storage FROM captured;
UPDATE notify.file SET size = 60 WHERE id = 'VX-F2';
SELECT * FROM captured;
DELETE FROM notify.file WHERE id = 'VX-F2';
SELECT rule_id, item_usage, storage_usage, exceeded FROM notify.quota_usage ORDER BY rule_id;

-- a rolled-back change leaves usage as it was, and no warning
TRUNCATE notify.outbox;
BEGIN;
INSERT INTO notify.file (id, storage_id, path, size) VALUES ('VX-F3', 'VX-S1', 'c', 500);
ROLLBACK;
SELECT count(*) AS after_rollback FROM captured;
SELECT storage_usage FROM notify.quota_usage WHERE rule_id = 'VX-Q2';

-- lowering a limit under the usage is a crossing too
UPDATE notify.quota_rule SET storage_limit = 50 WHERE id = 'VX-Q2';
SELECT * FROM captured;

-- delete: the rule's last usage; its usage row goes
TRUNCATE notify.outbox;
DELETE FROM notify.quota_rule WHERE id = 'VX-Q2';
SELECT * FROM captured;
SELECT rule_id FROM notify.quota_usage ORDER BY rule_id;

-- the usage kept equals the tables' (after all of the above)
SELECT item_usage = (SELECT count(*) FROM notify.item) AS items_match
  FROM notify.quota_usage WHERE rule_id = 'VX-Q1';

-- a transaction holds the usage: savepoints rolled back take their usage
-- and warnings back; a rule changed or deleted in the same transaction
-- sees the usage of the transaction
TRUNCATE notify.outbox;
INSERT INTO notify.quota_rule (id, item_limit)
	SELECT 'VX-Q5', count(*) + 2 FROM notify.item;
BEGIN;
INSERT INTO notify.item (id) VALUES ('VX-J1');               -- limit - 1
SAVEPOINT s1;
INSERT INTO notify.item (id) VALUES ('VX-J2'), ('VX-J3');    -- over: warning
ROLLBACK TO SAVEPOINT s1;                                    -- taken back
INSERT INTO notify.item (id) VALUES ('VX-J4');               -- at the limit
SAVEPOINT s2;
INSERT INTO notify.item (id) VALUES ('VX-J5');               -- over: warning
RELEASE SAVEPOINT s2;
COMMIT;
SELECT label, event, payload::json->'itemUsage' AS usage, payload::json->'itemLimit' AS lim
  FROM captured WHERE entity_id = 'VX-Q5';
SELECT item_usage - item_limit AS over_by, exceeded,
	   item_usage = (SELECT count(*) FROM notify.item) AS items_match
  FROM notify.quota_usage WHERE rule_id = 'VX-Q5';
TRUNCATE notify.outbox;
BEGIN;
DELETE FROM notify.item WHERE id IN ('VX-J4', 'VX-J5');      -- under again
UPDATE notify.quota_rule SET item_limit = item_limit - 2 WHERE id = 'VX-Q5';   -- over: warning
INSERT INTO notify.item (id) VALUES ('VX-J6');               -- still over
DELETE FROM notify.quota_rule WHERE id = 'VX-Q5';
COMMIT;
SELECT label, event, payload::json->'itemUsage' AS usage, payload::json->'itemLimit' AS lim
  FROM captured WHERE entity_id = 'VX-Q5';
SELECT count(*) AS q5_rows FROM notify.quota_usage WHERE rule_id = 'VX-Q5';
SELECT item_usage = (SELECT count(*) FROM notify.item) AS items_match
  FROM notify.quota_usage WHERE rule_id = 'VX-Q1';

-- a rule scoped notification (entity VX-Q1) fires for that rule only
TRUNCATE notify.outbox;
INSERT INTO note VALUES ('scoped', notify.create_notification('quota', 'VX-Q1',
	'{"action": {"http": {"url": "http://127.0.0.1:1/scoped", "method": "PUT"}},
	  "trigger": {"quota": {"delete": {}}}}'));
INSERT INTO notify.quota_rule (id, item_limit) VALUES ('VX-Q3', 100);
DELETE FROM notify.quota_rule WHERE id IN ('VX-Q1', 'VX-Q3');
SELECT label, event, entity_id FROM captured;

-- an application role (notify_admin) needs no right on the usage table:
-- capture keeps it as the extension's owner; it may read it
CREATE ROLE regress_quota_app IN ROLE notify_admin;
SET ROLE regress_quota_app;
INSERT INTO notify.quota_rule (id, item_limit) VALUES ('VX-Q4', 0);
INSERT INTO notify.item (id) VALUES ('VX-I11');
SELECT rule_id, item_usage > item_limit AS over, exceeded FROM notify.quota_usage;
DELETE FROM notify.quota_rule WHERE id = 'VX-Q4';
UPDATE notify.quota_usage SET item_usage = 0;   -- refused
RESET ROLE;
DROP ROLE regress_quota_app;
SELECT label, event, entity_id FROM captured WHERE entity_id = 'VX-Q4';

-- no rule left: item capture does not touch usage again
SELECT count(*) AS usage_rows FROM notify.quota_usage;
INSERT INTO notify.item (id) VALUES ('VX-I10');
SELECT count(*) AS usage_rows FROM notify.quota_usage;

SET client_min_messages = warning;
DROP VIEW captured;
DROP FUNCTION define(text, text);
DROP TABLE note;
DELETE FROM notify.notification;
DELETE FROM notify.file;
DELETE FROM notify.item;
DELETE FROM notify.storage;
TRUNCATE notify.outbox;
