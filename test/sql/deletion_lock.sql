--
-- deletion_lock: lock create, modify, delete, expire (at the expiry, with
-- no write by a user) and effective lock change (the lock in force on an
-- entity, also through the collections of an item)
--
SET client_min_messages = warning;
DELETE FROM notify.notification;
TRUNCATE notify.outbox;
DELETE FROM notify.deletion_lock;
DELETE FROM notify.collection_item;
DELETE FROM notify.collection;
DELETE FROM notify.item;
RESET client_min_messages;
SET TimeZone = 'UTC';

CREATE TABLE note (label text PRIMARY KEY, id text);
CREATE FUNCTION define(label text, trig text) RETURNS void LANGUAGE sql AS $$
	INSERT INTO note VALUES (label, notify.create_notification('deletion-lock',
		'<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action>'
		|| '<http synchronous="false"><url>http://127.0.0.1:1/hook</url><method>POST</method><timeout>5</timeout><retry>3</retry></http>'
		|| '</action><trigger>' || trig || '</trigger></NotificationDocument>'));
$$;
CREATE VIEW captured AS
	SELECT n.label, o.entity_id, o.payload::text AS payload
	  FROM notify.outbox o JOIN note n ON n.id = o.notification_id
	 ORDER BY o.id;

INSERT INTO notify.item (id) VALUES ('VX-I1'), ('VX-I2');
INSERT INTO notify.collection (id) VALUES ('VX-C1');
INSERT INTO notify.collection_item (collection_id, item_id) VALUES ('VX-C1', 'VX-I1');

-- no notification: locks are still kept (state), nothing in the outbox
INSERT INTO notify.deletion_lock (id, entity_type, entity_id, expiry_time)
	VALUES ('VX-L0', 'item', 'VX-I2', '2100-01-01 00:00+00');
SELECT lock_id, entity_type, entity_id, expiry_time, expired FROM notify.deletion_lock_state;
DELETE FROM notify.deletion_lock;
SELECT count(*) AS outbox FROM notify.outbox;

SELECT define('create', '<deletionLock><create/></deletionLock>');
SELECT define('modify', '<deletionLock><modify/></deletionLock>');
SELECT define('delete', '<deletionLock><delete/></deletionLock>');
SELECT define('expire', '<deletionLock><expire/></deletionLock>');
SELECT define('effective', '<deletionLock><effective/></deletionLock>');
TRUNCATE notify.outbox;

-- create: the lock and the first effective lock of the item
INSERT INTO notify.deletion_lock (id, entity_type, entity_id, expiry_time)
	VALUES ('VX-L1', 'item', 'VX-I1', '2100-01-01 00:00+00');
SELECT * FROM captured;

-- a lock that expires later takes over; one without expiry takes over again
TRUNCATE notify.outbox;
INSERT INTO notify.deletion_lock (id, entity_type, entity_id, expiry_time)
	VALUES ('VX-L2', 'item', 'VX-I1', '2100-06-01 00:00+00');
INSERT INTO notify.deletion_lock (id, entity_type, entity_id)
	VALUES ('VX-L3', 'item', 'VX-I2');
SELECT * FROM captured;

-- modify: old and new expiry; the effective lock's expiry changes with it
TRUNCATE notify.outbox;
UPDATE notify.deletion_lock SET expiry_time = '2100-07-01 00:00+00' WHERE id = 'VX-L2';
SELECT * FROM captured;
-- an update that changes none of lock, entity, expiry: nothing
TRUNCATE notify.outbox;
UPDATE notify.deletion_lock SET created_by = created_by WHERE id = 'VX-L2';
SELECT count(*) AS no_change FROM captured;

-- a lock on a collection applies to its items: VX-I1 gets it (expires last)
INSERT INTO notify.deletion_lock (id, entity_type, entity_id, expiry_time)
	VALUES ('VX-L4', 'collection', 'VX-C1', '2101-01-01 00:00+00');
SELECT * FROM captured;
-- an item joining the locked collection gets its lock; leaving, loses it
TRUNCATE notify.outbox;
INSERT INTO notify.collection_item (collection_id, item_id) VALUES ('VX-C1', 'VX-I2');
SELECT count(*) AS no_lock_change FROM captured;  -- VX-L3 (no expiry) stays in force
DELETE FROM notify.deletion_lock WHERE id = 'VX-L3';
SELECT * FROM captured;
TRUNCATE notify.outbox;
DELETE FROM notify.collection_item WHERE item_id = 'VX-I2';
SELECT * FROM captured;

-- expire: nothing before the expiry; at it, the expire event once and the
-- effective lock change that follows; never again
TRUNCATE notify.outbox;
SELECT notify.expire_deletion_locks('2099-12-31 23:59:59+00') AS expired;
SELECT notify.expire_deletion_locks('2101-01-01 00:00+00') AS expired;
SELECT * FROM captured;
SELECT notify.expire_deletion_locks('2101-01-01 00:00+00') AS expired_again;
SELECT lock_id, expired FROM notify.deletion_lock_state ORDER BY lock_id;
SELECT entity_type, entity_id, lock_id FROM notify.deletion_lock_effective ORDER BY 1, 2;

-- a lock modified before its expiry does not fire the old expiry; a new
-- expiry on an expired lock arms it again
TRUNCATE notify.outbox;
INSERT INTO notify.deletion_lock (id, entity_type, entity_id, expiry_time)
	VALUES ('VX-L5', 'file', 'VX-F9', '2102-01-01 00:00+00');
UPDATE notify.deletion_lock SET expiry_time = '2103-01-01 00:00+00' WHERE id = 'VX-L5';
SELECT notify.expire_deletion_locks('2102-06-01 00:00+00') AS old_expiry_passed;
UPDATE notify.deletion_lock SET expiry_time = '2104-01-01 00:00+00' WHERE id = 'VX-L1';
SELECT notify.expire_deletion_locks('2104-01-01 00:00+00') AS expired;
SELECT label, entity_id, payload FROM captured WHERE label IN ('expire', 'effective');

-- delete
TRUNCATE notify.outbox;
DELETE FROM notify.deletion_lock WHERE id = 'VX-L5';
SELECT * FROM captured;
SELECT count(*) AS state_rows FROM notify.deletion_lock_state WHERE lock_id = 'VX-L5';

-- an application role (notify_admin) needs no right on the lock state
TRUNCATE notify.outbox;
CREATE ROLE regress_lock_app IN ROLE notify_admin;
SET ROLE regress_lock_app;
INSERT INTO notify.deletion_lock (id, entity_type, entity_id) VALUES ('VX-L7', 'item', 'VX-I2');
DELETE FROM notify.deletion_lock WHERE id = 'VX-L7';
SELECT notify.expire_deletion_locks('2200-01-01');   -- refused: the worker's
RESET ROLE;
DROP ROLE regress_lock_app;
SELECT label, entity_id FROM captured;

-- a lock must name its entity
\set VERBOSITY terse
INSERT INTO notify.deletion_lock (id, entity_type, entity_id) VALUES ('VX-L6', 'item', NULL);

SET client_min_messages = warning;
DROP VIEW captured;
DROP FUNCTION define(text, text);
DROP TABLE note;
DELETE FROM notify.notification;
DELETE FROM notify.deletion_lock;
DELETE FROM notify.collection_item;
DELETE FROM notify.collection;
DELETE FROM notify.item;
TRUNCATE notify.outbox;
