--
-- triggers_job: job triggers captured from notify.job and from a user's own
-- job table: the change that raises each event, output keys, job filters,
-- content filters and placeholder notifications
--
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DELETE FROM notify.notification;
TRUNCATE notify.outbox;
RESET client_min_messages;
SET timezone = 'UTC';
SELECT notify.pause_delivery();

-- a label for every notification, so that output does not depend on ids
CREATE TABLE note (label text PRIMARY KEY, id text);
CREATE FUNCTION define(label text, trig text, entity text DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO note VALUES (label, CASE WHEN entity IS NULL
		THEN notify.create_notification('job',
			'<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action><channel><name>jobs</name></channel></action><trigger><job>'
			|| trig || '</job></trigger></NotificationDocument>')
		ELSE notify.create_notification('job', entity,
			'<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action><channel><name>jobs</name></channel></action><trigger><job>'
			|| trig || '</job></trigger></NotificationDocument>') END);
$$;
-- outbox rows in capture order, notifications named by their labels
CREATE VIEW captured AS
	SELECT n.label, o.event, o.entity_id, o.payload::text AS payload
	  FROM notify.outbox o JOIN note n ON n.id = o.notification_id
	 ORDER BY o.id;
-- which notifications fired, per event and job
CREATE VIEW fired AS
	SELECT o.entity_id AS job, o.event, string_agg(n.label, ', ' ORDER BY n.label) AS labels
	  FROM notify.outbox o JOIN note n ON n.id = o.notification_id
	 GROUP BY 1, 2 ORDER BY 1, 2;

-- the capture trigger of the shipped job table
SELECT tgname, pg_get_triggerdef(oid) LIKE '%AFTER INSERT OR UPDATE ON notify.job%' AS insert_or_update
  FROM pg_trigger WHERE tgrelid = 'notify.job'::regclass AND NOT tgisinternal;

INSERT INTO notify.item (id, title) VALUES ('VX-9001', 'imported');

/* ---- each event, and changes that raise none ---- */
SELECT define('create', '<create/>');
SELECT define('update', '<update/>');
SELECT define('stop', '<stop/>');
SELECT define('finished', '<finished/>');
SELECT define('fail', '<fail/>');

-- INSERT: create, with jobId, action, status, type and what the row has
INSERT INTO notify.job (id, type, started_by, started_at, item_id, data, total_steps)
	VALUES ('VX-J1', 'PLACEHOLDER_IMPORT', 'tester', '2026-01-02 03:04:05+00', 'VX-9001',
			'{"originalUri": "http://example.com/video.avi", "priority": 5, "tags": ["a", "b"]}', 3);
SELECT * FROM captured;
TRUNCATE notify.outbox;

-- status change: update
UPDATE notify.job SET status = 'STARTED', current_step = 1, step_status = 'STARTED' WHERE id = 'VX-J1';
SELECT * FROM captured;
TRUNCATE notify.outbox;

-- no status change: nothing (step, step status, job data, item, no-op)
UPDATE notify.job SET current_step = 2, step_status = 'WAITING' WHERE id = 'VX-J1';
UPDATE notify.job SET data = data || '{"more": "x"}', error_message = 'slow' WHERE id = 'VX-J1';
UPDATE notify.job SET status = 'STARTED' WHERE id = 'VX-J1';
-- a retrying job has not stopped: update only
UPDATE notify.job SET status = 'FAILED_RETRY', error_message = NULL WHERE id = 'VX-J1';
SELECT * FROM fired;
TRUNCATE notify.outbox;

-- it finishes: update, stop, finished, in that order, with the step keys
UPDATE notify.job SET status = 'FINISHED', current_step = 3, step_status = 'FINISHED' WHERE id = 'VX-J1';
SELECT label, event, payload FROM captured;
TRUNCATE notify.outbox;

-- from one stopped status to another: update only, no second stop
UPDATE notify.job SET status = 'FINISHED_WARNING' WHERE id = 'VX-J1';
-- DELETE raises nothing
DELETE FROM notify.job WHERE id = 'VX-J1';
SELECT * FROM fired;
TRUNCATE notify.outbox;

-- failing: update, stop, fail with the error message; aborting: update, stop
INSERT INTO notify.job (id, type, status, started_by, started_at) VALUES
	('VX-J2', 'TRANSCODE', 'STARTED', 'tester', '2026-01-02 03:04:05+00'),
	('VX-J3', 'EXPORT', 'STARTED', 'tester', '2026-01-02 03:04:05+00');
UPDATE notify.job SET status = 'FAILED_TOTAL', error_message = 'no such codec' WHERE id = 'VX-J2';
UPDATE notify.job SET status = 'ABORTED' WHERE id = 'VX-J3';
SELECT * FROM fired;
SELECT payload FROM captured WHERE label = 'fail';
TRUNCATE notify.outbox;

-- a job inserted as finished: create, stop, finished
INSERT INTO notify.job (id, type, status, started_by, started_at)
	VALUES ('VX-J4', 'THUMBNAIL', 'FINISHED', 'tester', '2026-01-02 03:04:05+00');
SELECT * FROM fired;
TRUNCATE notify.outbox;
SET client_min_messages = warning;
DELETE FROM notify.notification;
RESET client_min_messages;
DELETE FROM note;
DELETE FROM notify.job;

/* ---- job filters ---- */
SELECT define('all', '<update/>');
SELECT define('type-import', '<update/><filter><type>PLACEHOLDER_IMPORT</type></filter>');
SELECT define('type-either', '<update/><filter><type>TRANSCODE</type><type>EXPORT</type></filter>');
SELECT define('step-2', '<update/><filter><step>2</step></filter>');
SELECT define('data-plain', '<update/><filter><jobdata><key>priority</key><value>high</value></jobdata></filter>');
SELECT define('data-item', '<update/><filter><jobdata><key>itemId</key><value>VX-9001</value></jobdata></filter>');
SELECT define('data-regex', '<update/><filter><jobdata><key-regex>^orig</key-regex><value-regex>\.avi$</value-regex></jobdata></filter>');
SELECT define('type-and-data', '<update/><filter><type>PLACEHOLDER_IMPORT</type><jobdata><key>priority</key><value>high</value></jobdata></filter>');
SELECT define('two-data', '<update/><filter><jobdata><key>priority</key><value>high</value></jobdata><jobdata><key-regex>^orig</key-regex><value-regex>mov</value-regex></jobdata></filter>');

INSERT INTO notify.job (id, type, current_step, item_id, data) VALUES
	('VX-F1', 'PLACEHOLDER_IMPORT', 1, 'VX-9001', '{"priority": "high", "originalUri": "http://h/a.avi"}'),
	('VX-F2', 'PLACEHOLDER_IMPORT', 2, NULL, '{"priority": "low", "originalUri": "http://h/a.mov"}'),
	('VX-F3', 'TRANSCODE', 2, NULL, '{"priority": "high", "originalUri": "http://h/a.mov"}'),
	('VX-F4', 'EXPORT', 0, NULL, '{"Priority": "high", "origin": "x.avi "}'),
	('VX-F5', 'RAW_IMPORT', 0, NULL, '{}');
UPDATE notify.job SET status = 'STARTED';
SELECT job, labels FROM fired;
TRUNCATE notify.outbox;
SET client_min_messages = warning;
DELETE FROM notify.notification;
RESET client_min_messages;
DELETE FROM note;

/* ---- content filters: action and the named parts of the job only ---- */
SELECT define('full', '<stop/>');
SELECT define('cf-id-state', '<stop/><contentFilters><contentFilter>jobId</contentFilter><contentFilter>jobState</contentFilter></contentFilters>');
SELECT define('cf-item', '<stop/><contentFilters><contentFilter>itemId</contentFilter></contentFilters>');
SELECT define('cf-data', '<stop/><contentFilters><contentFilter>jobData</contentFilter></contentFilters>');
SELECT define('cf-rest', '<stop/><contentFilters><contentFilter>jobType</contentFilter><contentFilter>currentStep</contentFilter><contentFilter>totalSteps</contentFilter><contentFilter>user</contentFilter><contentFilter>startTime</contentFilter><contentFilter>errorMessage</contentFilter></contentFilters>');
UPDATE notify.job SET status = 'FAILED_TOTAL', step_status = 'FAILED_FATAL', total_steps = 4,
	error_message = 'disk full', started_by = 'tester', started_at = '2026-01-02 03:04:05+00',
	notification_data = 'ticket=77'
 WHERE id = 'VX-F1';
SELECT label, payload FROM captured;
TRUNCATE notify.outbox;
SET client_min_messages = warning;
DELETE FROM notify.notification;
RESET client_min_messages;
DELETE FROM note;
DELETE FROM notify.job;

/* ---- placeholder notifications ---- */
SELECT define('placeholder', '<stop/><placeholder>true</placeholder>');
SELECT define('placeholder-import', '<stop/><placeholder>true</placeholder><filter><type>PLACEHOLDER_IMPORT</type></filter>');
SELECT define('placeholder-create', '<create/><placeholder>true</placeholder>');
-- nothing fires for a job that names no notification, or another one
INSERT INTO notify.job (id, type, status) VALUES ('VX-P0', 'PLACEHOLDER_IMPORT', 'STARTED');
INSERT INTO notify.job (id, type, status, notification_id)
	VALUES ('VX-P1', 'PLACEHOLDER_IMPORT', 'STARTED', 'VX-999999');
UPDATE notify.job SET status = 'FINISHED' WHERE id IN ('VX-P0', 'VX-P1');
SELECT count(*) AS fired_for_others FROM notify.outbox;
-- started with a placeholder: it fires for that job, with the job's
-- notification data; a placeholder of another type does not fire
INSERT INTO notify.job (id, type, status, notification_id, notification_data)
	SELECT 'VX-P2', 'PLACEHOLDER_IMPORT', 'STARTED', id, 'ticket=42' FROM note WHERE label = 'placeholder';
INSERT INTO notify.job (id, type, status, notification_id)
	SELECT 'VX-P3', 'TRANSCODE', 'STARTED', id FROM note WHERE label = 'placeholder-import';
INSERT INTO notify.job (id, type, status, notification_id)
	SELECT 'VX-P4', 'PLACEHOLDER_IMPORT', 'STARTED', id FROM note WHERE label = 'placeholder-import';
INSERT INTO notify.job (id, type, status, notification_id)
	SELECT 'VX-P5', 'PLACEHOLDER_IMPORT', 'READY', id FROM note WHERE label = 'placeholder-create';
UPDATE notify.job SET status = 'FINISHED' WHERE id IN ('VX-P2', 'VX-P3', 'VX-P4', 'VX-P5');
SELECT * FROM fired;
SELECT payload::jsonb - 'startTime' - 'user' AS payload FROM captured WHERE entity_id = 'VX-P2';
TRUNCATE notify.outbox;

-- a normal notification fires for every job, placeholder or not; its
-- filter does not hold back the placeholder, nor the other way round
SELECT define('normal', '<stop/>');
SELECT define('normal-transcode', '<stop/><filter><type>TRANSCODE</type></filter>');
UPDATE notify.job SET status = 'STARTED';
UPDATE notify.job SET status = 'FINISHED' WHERE id IN ('VX-P0', 'VX-P2', 'VX-P3');
SELECT * FROM fired;
TRUNCATE notify.outbox;

-- an entity-scoped job notification fires for its job only
SELECT define('scoped', '<stop/>', 'VX-P3');
UPDATE notify.job SET status = 'STARTED';
UPDATE notify.job SET status = 'ABORTED' WHERE id IN ('VX-P0', 'VX-P3');
SELECT * FROM fired WHERE labels LIKE '%scoped%';
TRUNCATE notify.outbox;
SET client_min_messages = warning;
DELETE FROM notify.notification;
RESET client_min_messages;
DELETE FROM note;
DELETE FROM notify.job;

/* ---- a user's own job table ---- */
CREATE SCHEMA app;
CREATE TABLE app.task (
	task_no		bigint PRIMARY KEY,
	kind		text NOT NULL,
	phase		text NOT NULL,
	stepno		smallint,
	meta		jsonb,
	asset		text,
	notify_with	text,
	notify_data	text,
	note		text
);
-- required options, and the roles' types
SELECT notify.attach('app.task', 'job', 'task_no', '{"state_column": "phase"}');
SELECT notify.attach('app.task', 'job', 'task_no', '{"state_column": "phase", "type_column": "kind", "data_column": "note"}');
SELECT notify.attach('app.task', 'item', 'task_no', '{"type_column": "kind"}');
SELECT notify.attach('app.task', 'job', 'task_no',
	'{"state_column": "phase", "type_column": "kind", "step_column": "stepno",
	  "data_column": "meta", "item_column": "asset",
	  "notification_column": "notify_with", "notification_data_column": "notify_data"}');
SELECT option, role, required FROM notify.capture_kind_options('job');

SELECT define('app-update', '<update/>');
SELECT define('app-stop-step', '<stop/><filter><step>7</step><jobdata><key-regex>^cust</key-regex><value-regex>^acme$</value-regex></jobdata></filter>');
SELECT define('app-placeholder', '<finished/><placeholder>true</placeholder>');
INSERT INTO app.task (task_no, kind, phase, stepno, meta, asset, notify_with, notify_data)
	SELECT 7001, 'CONFORM', 'READY', 7, '{"customer": "acme"}', 'VX-77', id, 'k=v'
	  FROM note WHERE label = 'app-placeholder';
INSERT INTO app.task (task_no, kind, phase, stepno) VALUES (7002, 'CONFORM', 'READY', 7);
UPDATE app.task SET phase = 'FINISHED';
UPDATE app.task SET note = 'changed';		-- not a status change
SELECT * FROM captured;
SELECT notify.detach('app.task');
UPDATE app.task SET phase = 'STARTED';
SELECT count(*) AS after_detach FROM notify.outbox WHERE entity_id LIKE '700%' AND event = 'job.update'
   AND payload->'status'->>0 = 'STARTED';

SET client_min_messages = warning;
DROP SCHEMA app CASCADE;
DELETE FROM notify.notification;
RESET client_min_messages;
TRUNCATE notify.outbox;
SELECT notify.resume_delivery();
-- leave nothing behind for the tests after this one
DROP VIEW fired;
DROP VIEW captured;
DROP FUNCTION define(text, text, text);
DROP TABLE note;
