--
-- attach: capture on the tables of an asset database that predates the
-- extension
--
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DELETE FROM notify.notification;
TRUNCATE notify.outbox;
RESET client_min_messages;

CREATE SCHEMA legacy;
CREATE TABLE legacy.asset (
	asset_id	bigint PRIMARY KEY,
	name		text,
	status		text,
	modified	timestamptz DEFAULT now()
);
CREATE TABLE legacy.media_file (
	fid			uuid PRIMARY KEY,
	volume		text NOT NULL,
	asset		bigint,
	location	text,
	st			text,
	checksum	text
);

SELECT notify.attach('legacy.asset', 'item', 'asset_id', '{"ignore_columns": ["modified"]}');
SELECT notify.attach('legacy.media_file', 'file', 'fid',
	'{"storage_column": "volume", "item_column": "asset", "path_column": "location",
	  "state_column": "st", "hash_column": "checksum"}');

SELECT notify.create_notification('item', '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action><channel><name>assets</name></channel></action><trigger><item><create/></item></trigger></NotificationDocument>') IS NOT NULL AS created;
SELECT notify.create_notification('item', '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action><channel><name>assets</name></channel></action><trigger><metadata><modify/></metadata></trigger></NotificationDocument>') IS NOT NULL AS created;
SELECT notify.create_notification('file', '{"action": {"channel": {"name": "files"}}, "trigger": {"file": {"close": ""}}}') IS NOT NULL AS created;
SELECT notify.create_notification('file', '{"action": {"channel": {"name": "files"}}, "trigger": {"file": {"hash": ""}}}') IS NOT NULL AS created;

INSERT INTO legacy.asset (asset_id, name, status) VALUES (42, 'clip', 'new');
UPDATE legacy.asset SET status = 'ready', modified = now() WHERE asset_id = 42;
UPDATE legacy.asset SET modified = now() WHERE asset_id = 42;	-- ignored column only
INSERT INTO legacy.media_file VALUES ('00000000-0000-0000-0000-000000000001', 'vol1', 42, 'x/y.mov', 'OPEN', NULL);
UPDATE legacy.media_file SET st = 'CLOSED', checksum = 'abc' WHERE asset = 42;
SELECT event, entity_id, regexp_replace(payload::text, '"changeSetId":\["VX-[0-9]+"\]', '"changeSetId":["VX-n"]') AS payload
  FROM notify.outbox ORDER BY id;

-- bad input: nothing is installed
SELECT notify.attach('legacy.asset', 'clip', 'asset_id');
SELECT notify.attach('legacy.asset', 'item', 'no_such_column');
SELECT notify.attach('legacy.asset', 'item', 'asset_id', '{"state_column": "status"}');
SELECT notify.attach('legacy.asset', 'item', 'asset_id', '{"ignore_columns": ["nope"]}');
SELECT notify.attach('legacy.asset', 'item', 'asset_id', '[]');
SELECT notify.attach('legacy.no_such_table', 'item', 'asset_id');
-- a change set table without its fields column is refused at attach, not at
-- its first insert
CREATE TABLE legacy.change (cid text, entity text, body jsonb);
SELECT notify.attach('legacy.change', 'metadata-change-set', 'entity');
SELECT notify.attach('legacy.change', 'metadata-change-set', 'entity', '{"fields_column": "cid"}');
SELECT tgname FROM pg_trigger WHERE tgrelid = 'legacy.change'::regclass;
SELECT notify.attach('legacy.change', 'metadata-change-set', 'entity', '{"fields_column": "body"}');
SELECT tgname FROM pg_trigger WHERE tgrelid = 'legacy.change'::regclass;

-- a column renamed under the trigger is reported, not silently skipped
ALTER TABLE legacy.media_file RENAME COLUMN st TO file_state;
UPDATE legacy.media_file SET checksum = 'def';
ALTER TABLE legacy.media_file RENAME COLUMN file_state TO st;

-- the trigger must be a row AFTER trigger
CREATE TRIGGER wrong BEFORE INSERT ON legacy.asset FOR EACH ROW EXECUTE FUNCTION notify.capture('item', 'id=asset_id');
INSERT INTO legacy.asset (asset_id) VALUES (43);
DROP TRIGGER wrong ON legacy.asset;
CREATE TRIGGER wrong AFTER INSERT ON legacy.asset FOR EACH ROW EXECUTE FUNCTION notify.capture('item');
INSERT INTO legacy.asset (asset_id) VALUES (43);
DROP TRIGGER wrong ON legacy.asset;
-- a role the kind does not read is refused, not ignored
CREATE TRIGGER wrong AFTER INSERT ON legacy.asset FOR EACH ROW EXECUTE FUNCTION notify.capture('item', 'id=asset_id', 'state=status');
INSERT INTO legacy.asset (asset_id) VALUES (43);
DROP TRIGGER wrong ON legacy.asset;
CREATE TRIGGER wrong AFTER INSERT ON legacy.asset FOR EACH ROW EXECUTE FUNCTION notify.capture('item', 'id=asset_id', 'id=name');
INSERT INTO legacy.asset (asset_id) VALUES (43);
DROP TRIGGER wrong ON legacy.asset;
CREATE TRIGGER wrong AFTER INSERT ON legacy.asset FOR EACH ROW EXECUTE FUNCTION notify.capture('clip', 'id=asset_id');
INSERT INTO legacy.asset (asset_id) VALUES (43);
DROP TRIGGER wrong ON legacy.asset;

-- a file table: column options default to the shipped table's column names
-- when the table has them; a needed one missing is named, not left empty
CREATE TABLE legacy.vfile (id text PRIMARY KEY, storage_id text, item_id text,
	path text, state text, hash text, note text);
SELECT notify.attach('legacy.vfile', 'file', 'id');
SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'legacy.vfile'::regclass;
CREATE TABLE legacy.bare_file (fid text PRIMARY KEY, volume text, location text);
SELECT notify.attach('legacy.bare_file', 'file', 'fid');
SELECT notify.attach('legacy.bare_file', 'file', 'fid', '{"storage_column": "volume"}');
SELECT notify.attach('legacy.bare_file', 'file', 'fid',
	'{"storage_column": "volume", "path_column": "location"}');
SELECT tgname FROM pg_trigger WHERE tgrelid = 'legacy.bare_file'::regclass;
-- attaching again replaces nothing unless asked
SELECT notify.attach('legacy.vfile', 'file', 'id', '{"path_column": "note"}');
SELECT notify.attach('legacy.vfile', 'file', 'id', '{"path_column": "note"}', replace => true);
SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'legacy.vfile'::regclass;

-- detach: no more events
SELECT notify.detach('legacy.asset');
TRUNCATE notify.outbox;
INSERT INTO legacy.asset (asset_id) VALUES (44);
SELECT count(*) AS after_detach FROM notify.outbox;

DROP SCHEMA legacy CASCADE;

-- attaching is not for notify_admin; it can be delegated to the owner of
-- the application's tables with the grants the README gives
CREATE ROLE regress_app_owner;
CREATE ROLE regress_attach_admin IN ROLE notify_admin;
CREATE SCHEMA app AUTHORIZATION regress_app_owner;
CREATE TABLE app.clip (clip_id bigint PRIMARY KEY, name text);
ALTER TABLE app.clip OWNER TO regress_app_owner;
GRANT USAGE ON SCHEMA app TO regress_attach_admin;
SET ROLE regress_attach_admin;
SELECT notify.attach('app.clip', 'item', 'clip_id');
RESET ROLE;
GRANT USAGE ON SCHEMA notify TO regress_app_owner;
GRANT EXECUTE ON FUNCTION notify.attach(regclass, text, name, jsonb, boolean), notify.detach(regclass),
  notify.capture(), notify.check_column(regclass, text),
  notify.capture_kind_options(text), notify.capture_check_args(regclass, text[]),
  notify.capture_kind_trigger(text) TO regress_app_owner;
SET ROLE regress_app_owner;
SELECT notify.attach('app.clip', 'item', 'clip_id');
SELECT notify.detach('app.clip');
RESET ROLE;
DROP SCHEMA app CASCADE;
REVOKE ALL ON SCHEMA notify FROM regress_app_owner;
REVOKE ALL ON FUNCTION notify.attach(regclass, text, name, jsonb, boolean), notify.detach(regclass),
  notify.capture(), notify.check_column(regclass, text),
  notify.capture_kind_options(text), notify.capture_check_args(regclass, text[]),
  notify.capture_kind_trigger(text) FROM regress_app_owner;
DROP ROLE regress_app_owner, regress_attach_admin;
