--
-- triggers_assets: access controls, shapes, documents, groups, the storage
-- filename event and the file trigger's storage restriction, captured
-- into the outbox (delivery paused), on the shipped asset tables and on
-- user tables attached with notify.attach()
--
SET client_min_messages = warning;
DELETE FROM notify.notification;
TRUNCATE notify.outbox;
RESET client_min_messages;
SELECT notify.pause_delivery();

CREATE TABLE note (label text PRIMARY KEY, id text);
CREATE FUNCTION define(label text, resource text, trig text, entity text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	doc text := '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action>'
		|| '<http synchronous="false"><url>http://127.0.0.1:1/hook</url></http>'
		|| '</action><trigger>' || trig || '</trigger></NotificationDocument>';
BEGIN
	INSERT INTO note VALUES (label, CASE WHEN entity IS NULL
		THEN notify.create_notification(resource, doc)
		ELSE notify.create_notification(resource, entity, doc) END);
END
$$;
CREATE VIEW captured AS
	SELECT n.label, o.event, o.entity_id, o.payload::text AS payload
	  FROM notify.outbox o JOIN note n ON n.id = o.notification_id
	 ORDER BY o.id;
CREATE FUNCTION reset() RETURNS void LANGUAGE sql AS $$
	TRUNCATE notify.outbox;
	DELETE FROM notify.notification;
	DELETE FROM note;
$$;

-- the capture triggers of the shipped tables: names, timing, events
SELECT tgrelid::regclass AS tab, tgname,
	   regexp_replace(pg_get_triggerdef(oid), '^.* (BEFORE|AFTER) (.*) ON .*$', '\1 \2') AS fires
  FROM pg_trigger
 WHERE tgrelid IN ('notify.item_access'::regclass, 'notify.shape'::regclass,
				   'notify.document'::regclass, 'notify.user_group'::regclass,
				   'notify.user_group_member'::regclass, 'notify.file'::regclass)
   AND NOT tgisinternal
 ORDER BY tgrelid::regclass::text, tgname;

---- access controls
SELECT define('acc-create', 'item', '<access><create/></access>');
SELECT define('acc-delete', 'item', '<access><delete/></access>');
SELECT define('acc-change', 'item', '<access><change/></access>');
SELECT define('acc-scoped', 'item', '<access><create/></access>', 'VX-7102');
SELECT define('item-create', 'item', '<item><create/></item>');
INSERT INTO notify.item (id) VALUES ('VX-7101'), ('VX-7102');
INSERT INTO notify.item_access (id, item_id, permission, user_name)
	VALUES ('VX-7201', 'VX-7101', 'READ', 'alice');
INSERT INTO notify.item_access (id, item_id, permission, group_name)
	VALUES ('VX-7202', 'VX-7102', 'WRITE', 'editors');
UPDATE notify.item_access SET permission = 'ALL' WHERE id = 'VX-7201';
UPDATE notify.item_access SET created_at = now() WHERE id = 'VX-7201';  -- ignored column: nothing
UPDATE notify.item_access SET permission = 'ALL' WHERE id = 'VX-7201';  -- no change: nothing
DELETE FROM notify.item_access WHERE id = 'VX-7202';
SELECT * FROM captured;
SELECT reset();

---- shapes
SELECT define('shape-create', 'item', '<shape><create/></shape>');
SELECT define('shape-modify', 'item', '<shape><modify/></shape>');
SELECT define('shape-delete', 'item', '<shape><delete/></shape>');
SELECT define('acc-create', 'item', '<access><create/></access>');
INSERT INTO notify.shape (id, item_id, tags) VALUES ('VX-7301', 'VX-7101', '{original}');
UPDATE notify.shape SET tags = '{original,lowres}' WHERE id = 'VX-7301';
UPDATE notify.shape SET created_at = now() WHERE id = 'VX-7301';  -- ignored column: nothing
DELETE FROM notify.shape WHERE id = 'VX-7301';
SELECT * FROM captured;
SELECT reset();

---- documents: create, delete, metadata through change sets and filters
SELECT define('doc-create', 'document', '<document><create/></document>');
SELECT define('doc-delete', 'document', '<document><delete/></document>');
SELECT define('doc-md', 'document', '<document><modify/></document>');
SELECT define('doc-md-field', 'document', '<document><modify><field>title:name</field></modify></document>');
SELECT define('doc-md-generic', 'document', '<document><modify><interval>generic</interval></modify></document>');
SELECT define('doc-md-lang', 'document', '<document><modify><language>en_*</language></modify></document>');
SELECT define('doc-md-track', 'document', '<document><modify><track>A1</track></modify></document>');
SELECT define('doc-md-scoped', 'document', '<document><modify/></document>', 'other');
SELECT define('item-md', 'item', '<metadata><modify/></metadata>');
INSERT INTO notify.document (name) VALUES ('rights');
INSERT INTO notify.metadata_change_set (id, resource, entity_id, fields) VALUES
	('VX-9701', 'document', 'rights', '[{"name": "title", "value": "Rights"}]'),
	('VX-9702', 'document', 'rights', '[{"name": "note", "value": "timed", "start": 0, "end": 10}]'),
	('VX-9703', 'document', 'rights', '[{"name": "desc", "value": "hello", "language": "en_US"}]'),
	('VX-9704', 'document', 'rights', '[{"name": "level", "value": ["-3", "-6"], "track": "A1"}]');
UPDATE notify.document SET created_at = now() WHERE name = 'rights';  -- ignored column: nothing
DELETE FROM notify.document WHERE name = 'rights';
SELECT * FROM captured;
SELECT reset();

---- groups: create, delete, membership (ADD/REMOVE), acting user
SELECT define('grp-create', 'group', '<group><create/></group>');
SELECT define('grp-delete', 'group', '<group><delete/></group>');
SELECT define('grp-modify', 'group', '<group><modify/></group>');
SELECT define('grp-modify-editors', 'group', '<group><modify/></group>', 'editors');
INSERT INTO notify.user_group (name) VALUES ('editors'), ('admins');
BEGIN;
SET LOCAL notify.acting_user = 'alice';
INSERT INTO notify.user_group_member (group_name, member_user) VALUES ('editors', 'bob');
COMMIT;
INSERT INTO notify.user_group_member (group_name, member_group) VALUES ('editors', 'admins');
UPDATE notify.user_group SET description = 'd' WHERE name = 'admins';  -- nothing
DELETE FROM notify.user_group_member WHERE member_user = 'bob';
DELETE FROM notify.user_group_member;
DELETE FROM notify.user_group WHERE name = 'admins';
SELECT label, event, entity_id,
	   replace(payload, '"' || current_user || '"', '"<current_user>"') AS payload
  FROM captured;
SELECT reset();

---- storage filename: BEFORE the file row is written, for its storage only
SELECT define('filename', 'storage', '<storage><filename/></storage>', 'VX-7401');
SELECT define('filename-other', 'storage', '<storage><filename/></storage>', 'VX-7499');
SELECT define('file-new', 'file', '<file><new/></file>');
SELECT define('file-new-s2', 'file', '<file><new/><storage>VX-7402</storage></file>');
INSERT INTO notify.storage (id) VALUES ('VX-7401'), ('VX-7402');
INSERT INTO notify.shape (id, item_id, tags) VALUES ('VX-7302', 'VX-7101', '{original}');
BEGIN;
SET LOCAL notify.acting_user = 'ingest';
INSERT INTO notify.file (id, storage_id, item_id, shape_id, component_id, path)
	VALUES ('VX-7501', 'VX-7401', 'VX-7101', 'VX-7302', 'VX-7601', 'a.mxf');
COMMIT;
INSERT INTO notify.file (id, storage_id, path) VALUES ('VX-7502', 'VX-7402', 'b.mxf');
UPDATE notify.file SET path = 'c.mxf' WHERE id = 'VX-7501';  -- an UPDATE: no filename
-- the filename event is in the outbox before the file.new event of the same row
SELECT * FROM captured;
-- a refused file row leaves no filename event
TRUNCATE notify.outbox;
INSERT INTO notify.file (id, storage_id, path) VALUES ('VX-7503', 'VX-7401', 'b.mxf'),
	('VX-7504', 'VX-7401', 'b.mxf');
SELECT count(*) AS after_refused_insert FROM notify.outbox;
SELECT reset();
DELETE FROM notify.file;
DELETE FROM notify.shape;

---- attach onto user tables with their own column names
CREATE SCHEMA app;
CREATE TABLE app.acl (acl_no int PRIMARY KEY, asset text, level text, who text, team text, noted timestamptz);
CREATE TABLE app.rendition (rid text PRIMARY KEY, asset text, labels text[]);
CREATE TABLE app.doc (doc_name text PRIMARY KEY, body text);
CREATE TABLE app.team (team_name text PRIMARY KEY);
CREATE TABLE app.team_member (team text, login text, subteam text);
CREATE TABLE app.blob (blob_id text PRIMARY KEY, volume text, asset text, rendition text,
	part text, labels text[], meta jsonb, location text, status text DEFAULT 'OPEN');
SELECT notify.attach('app.acl', 'access', 'acl_no',
	'{"item_column": "asset", "permission_column": "level", "user_column": "who", "group_column": "team", "ignore_columns": ["noted"]}');
SELECT notify.attach('app.rendition', 'shape', 'rid', '{"item_column": "asset"}');
SELECT notify.attach('app.doc', 'document', 'doc_name');
SELECT notify.attach('app.team', 'group', 'team_name');
SELECT notify.attach('app.team_member', 'group-member', 'team',
	'{"user_column": "login", "group_column": "subteam"}');
SELECT notify.attach('app.blob', 'file', 'blob_id', '{"storage_column": "volume", "path_column": "location", "state_column": "status"}');
SELECT notify.attach('app.blob', 'filename', 'blob_id',
	'{"storage_column": "volume", "item_column": "asset", "shape_column": "rendition", "component_column": "part", "tags_column": "labels", "metadata_column": "meta", "path_column": "location"}');
SELECT tgrelid::regclass AS tab, tgname,
	   regexp_replace(pg_get_triggerdef(oid), '^.* (BEFORE|AFTER) (.*) ON .*$', '\1 \2') AS fires
  FROM pg_trigger WHERE tgrelid::regclass::text LIKE 'app.%' ORDER BY tgrelid::regclass::text, tgname;
-- attach refuses what a kind does not take or must have
SELECT notify.attach('app.acl', 'access', 'acl_no', '{"item_column": "asset"}');
SELECT notify.attach('app.rendition', 'shape', 'rid', '{"item_column": "asset", "tags_column": "labels"}');
SELECT notify.attach('app.blob', 'filename', 'blob_id', '{"storage_column": "volume", "tags_column": "location"}');
SELECT notify.capture_kind_trigger('filename');
SELECT notify.capture_kind_trigger('nope');

SELECT define('acc-create', 'item', '<access><create/></access>');
SELECT define('acc-change', 'item', '<access><change/></access>');
SELECT define('shape-create', 'item', '<shape><create/></shape>');
SELECT define('shape-modify', 'item', '<shape><modify/></shape>');
SELECT define('doc-create', 'document', '<document><create/></document>');
SELECT define('doc-md', 'document', '<document><modify/></document>');
SELECT define('grp-create', 'group', '<group><create/></group>');
SELECT define('grp-modify', 'group', '<group><modify/></group>');
SELECT define('filename', 'storage', '<storage><filename/></storage>');
SELECT define('file-new-v2', 'file', '<file><new/><storage>v2</storage></file>');
INSERT INTO app.acl VALUES (1, 'A-1', 'READ', NULL, 'crew', now());
UPDATE app.acl SET noted = now();  -- ignored: nothing
UPDATE app.acl SET who = 'carol', team = NULL;
INSERT INTO app.rendition VALUES ('R-1', 'A-1', '{web}');
UPDATE app.rendition SET labels = '{web,hd}';
INSERT INTO app.doc VALUES ('terms', 'v1');
UPDATE app.doc SET body = 'v2';
INSERT INTO app.team VALUES ('crew');
BEGIN;
SET LOCAL notify.acting_user = 'dora';
INSERT INTO app.team_member VALUES ('crew', 'erin', NULL);
COMMIT;
INSERT INTO app.blob VALUES ('B-1', 'v1', 'A-1', 'R-1', 'C-1', '{web,hd}', '{"title": "t"}', 'x.mp4');
BEGIN;
SET LOCAL notify.acting_user = 'dora';
INSERT INTO app.blob VALUES ('B-2', 'v2', NULL, NULL, NULL, NULL, NULL, 'y.mp4');
COMMIT;
SELECT label, event, entity_id,
	   regexp_replace(replace(payload, '"' || current_user || '"', '"<current_user>"'),
					  '"changeSetId":\["VX-[0-9]+"\]', '"changeSetId":["VX-n"]') AS payload
  FROM captured;

-- a synchronous filename answer renames the attached path column: the
-- base name of its last component, directory and extension kept
CREATE FUNCTION app.name_blob(e jsonb) RETURNS text LANGUAGE sql
	AS $$ SELECT 'blob_' || pg_catalog.lower(e #>> '{fileId,0}') $$;
SELECT notify.create_notification('storage', 'v3',
	'<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action>'
	|| '<function synchronous="true"><name>app.name_blob</name></function>'
	|| '</action><trigger><storage><filename/></storage></trigger></NotificationDocument>') IS NOT NULL AS defined;
INSERT INTO app.blob (blob_id, volume, location) VALUES ('B-3', 'v3', 'in/raw.mp4') RETURNING blob_id, location;
INSERT INTO app.blob (blob_id, volume, location) VALUES ('B-4', 'v2', 'in/raw.mp4') RETURNING blob_id, location;

-- detach removes both capture triggers of a table of files
SELECT notify.detach('app.blob');
SELECT count(*) AS blob_triggers FROM pg_trigger WHERE tgrelid = 'app.blob'::regclass;

DROP SCHEMA app CASCADE;
SELECT reset();

---- JSON binding (npm @vidispine/types): a list element is an array even
---- with one element, booleans and numbers bare; both spellings accepted
SELECT notify.create_notification('job',
	'<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action>'
	|| '<http synchronous="true"><url>http://127.0.0.1:1/hook</url><retry>2</retry></http>'
	|| '</action><trigger><job><stop/><placeholder>true</placeholder><filter><step>3</step></filter>'
	|| '<contentFilters><contentFilter>jobId</contentFilter></contentFilters></job></trigger></NotificationDocument>') AS id \gset
SELECT notify.get_notification('job', :'id', 'json');
-- a lone string and a quoted boolean and number read the same
SELECT notify.create_notification('job',
	'{"action": {"http": {"synchronous": "true", "url": "http://127.0.0.1:1/hook", "retry": "2"}},
	  "trigger": {"job": {"stop": "", "placeholder": "true", "filter": {"step": "3"},
	  "contentFilters": {"contentFilter": "jobId"}}}}') AS id \gset
SELECT notify.get_notification('job', :'id', 'json');
SELECT notify.create_notification('job',
	'{"action": {"http": {"synchronous": true, "url": "http://127.0.0.1:1/hook", "retry": 2}},
	  "trigger": {"job": {"stop": "", "placeholder": true, "filter": {"step": 3},
	  "contentFilters": {"contentFilter": ["jobId"]}}}}') AS id \gset
SELECT notify.get_notification('job', :'id', 'json');
-- the file trigger's storage is a string
SELECT notify.create_notification('file',
	'{"action": {"http": {"url": "http://127.0.0.1:1/hook"}},
	  "trigger": {"file": {"new": "", "storage": "VX-12"}}}') AS id \gset
SELECT notify.get_notification('file', :'id', 'json');
DELETE FROM notify.notification;

DROP VIEW captured;
DROP FUNCTION reset();
DROP FUNCTION define(text, text, text, text);
DROP TABLE note;
DELETE FROM notify.item;
DELETE FROM notify.storage;
SELECT notify.resume_delivery();
