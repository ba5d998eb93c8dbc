/* notify_ext_assets--1.0--1.1.sql: from 1.0 to 1.1 (ALTER EXTENSION notify_ext_assets UPDATE) */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION notify_ext_assets UPDATE TO '1.1'" to load this file. \quit

/*
 * Every change to sql/notify_ext_assets.sql since 1.0, in the same order.
 * test/t/012_upgrade.pl checks that 1.0 plus this script gives the same
 * objects as a fresh 1.1.
 */

/*
 * Jobs.  A job has a type (IMPORT, TRANSCODE, ...), a status (READY,
 * STARTED, ..., FINISHED, FINISHED_WARNING, FAILED_TOTAL, ABORTED), a current
 * step with its status, and job data (a JSON object of key/value pairs, such
 * as {"itemId": "VX-12"}; item_id is the item the job works on).  A job
 * started with a placeholder job notification names it in notification_id
 * (with notification_data, extra data for that job's notifications):
 * that notification then fires for this job.  INSERT raises job create, a
 * change of status job update, and stop, finished or fail when the job
 * stops running.
 */
CREATE TABLE notify.job (
	id			text PRIMARY KEY
				DEFAULT 'VX-' OPERATOR(pg_catalog.||) pg_catalog.nextval('notify.entity_id_seq'::pg_catalog.regclass)::text,
	type		text NOT NULL,
	status		text NOT NULL DEFAULT 'READY',
	current_step integer NOT NULL DEFAULT 0,
	step_status	text,
	total_steps	integer,
	item_id		text REFERENCES notify.item (id) ON DELETE SET NULL,
	data		jsonb NOT NULL DEFAULT '{}'
				CHECK (pg_catalog.jsonb_typeof(data) OPERATOR(pg_catalog.=) 'object'),
	error_message text,
	notification_id text,
	notification_data text,
	started_by	name NOT NULL DEFAULT CURRENT_USER,
	started_at	timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX ON notify.job (status);
COMMENT ON TABLE notify.job IS
	'API: public. Jobs; INSERT raises job create, a status change job update, and job stop, finished or fail when the job stops running.  notification_id names a placeholder job notification that fires for this job.';
SELECT pg_catalog.pg_extension_config_dump('notify.job', '');
REVOKE ALL ON notify.job FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON notify.job TO notify_admin;

/* capture on notify.job, when notify_ext is installed already */
DO $attach$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension
				WHERE extname OPERATOR(pg_catalog.=) 'notify_ext') THEN
		PERFORM notify.attach_shipped_assets();
	END IF;
END
$attach$;

/* Shapes, file shape and component, document change sets, access controls, documents, groups */
/* Shapes of items (sub-resource of /item): INSERT, UPDATE, DELETE raise shape create, modify, delete. */
CREATE TABLE notify.shape (
	id			text PRIMARY KEY
				DEFAULT 'VX-' OPERATOR(pg_catalog.||) pg_catalog.nextval('notify.entity_id_seq'::pg_catalog.regclass)::text,
	item_id		text NOT NULL REFERENCES notify.item (id) ON DELETE CASCADE,
	tags		text[] NOT NULL DEFAULT '{}',
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX ON notify.shape (item_id);
COMMENT ON TABLE notify.shape IS
	'API: public. Shapes of items; INSERT, UPDATE and DELETE raise shape create, modify and delete.';

ALTER TABLE notify.file ADD COLUMN shape_id text REFERENCES notify.shape (id) ON DELETE SET NULL;
ALTER TABLE notify.file ADD COLUMN component_id text;
COMMENT ON TABLE notify.file IS
	'API: public. Files on storages; INSERT, UPDATE and DELETE raise file new/change/close/hash/lost/delete events, and an INSERT storage filename before the row is written.';

ALTER TABLE notify.metadata_change_set DROP CONSTRAINT metadata_change_set_resource_check;
ALTER TABLE notify.metadata_change_set ADD CONSTRAINT metadata_change_set_resource_check
	CHECK (resource IN ('item', 'collection', 'document'));
COMMENT ON TABLE notify.metadata_change_set IS
	'API: public. Metadata change sets of items, collections and documents; each INSERT raises one metadata modify event.';

/* Access controls of items: a permission on an item for a user or a group. */
CREATE TABLE notify.item_access (
	id			text PRIMARY KEY
				DEFAULT 'VX-' OPERATOR(pg_catalog.||) pg_catalog.nextval('notify.entity_id_seq'::pg_catalog.regclass)::text,
	item_id		text NOT NULL REFERENCES notify.item (id) ON DELETE CASCADE,
	permission	text NOT NULL,
	user_name	text,
	group_name	text,
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CHECK ((user_name IS NULL) OPERATOR(pg_catalog.<>) (group_name IS NULL))
);
CREATE INDEX ON notify.item_access (item_id);
COMMENT ON TABLE notify.item_access IS
	'API: public. Access controls of items (a user or a group); INSERT, UPDATE and DELETE raise access create, change and delete.';

/* Metadata documents, identified by name; their metadata changes through change sets. */
CREATE TABLE notify.document (
	name		text PRIMARY KEY,
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	created_by	name NOT NULL DEFAULT CURRENT_USER
);
COMMENT ON TABLE notify.document IS
	'API: public. Metadata documents; INSERT and DELETE raise document create and delete, change sets with resource document raise document modify.';

/* Groups of users, identified by name, and their members (users and groups). */
CREATE TABLE notify.user_group (
	name		text PRIMARY KEY,
	description	text,
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE notify.user_group IS
	'API: public. Groups; INSERT and DELETE raise group create and delete.';

CREATE TABLE notify.user_group_member (
	group_name	text NOT NULL REFERENCES notify.user_group (name) ON DELETE CASCADE,
	member_user	text,
	member_group text REFERENCES notify.user_group (name) ON DELETE CASCADE,
	CHECK ((member_user IS NULL) OPERATOR(pg_catalog.<>) (member_group IS NULL)),
	UNIQUE NULLS NOT DISTINCT (group_name, member_user, member_group)
);
COMMENT ON TABLE notify.user_group_member IS
	'API: public. Members of groups (a user or a group); adding or removing one raises group modify (ADD, REMOVE).';

SELECT pg_catalog.pg_extension_config_dump('notify.shape', '');
SELECT pg_catalog.pg_extension_config_dump('notify.item_access', '');
SELECT pg_catalog.pg_extension_config_dump('notify.document', '');
SELECT pg_catalog.pg_extension_config_dump('notify.user_group', '');
SELECT pg_catalog.pg_extension_config_dump('notify.user_group_member', '');

REVOKE ALL ON notify.shape, notify.item_access, notify.document, notify.user_group,
	notify.user_group_member FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON notify.shape, notify.item_access, notify.document,
	notify.user_group, notify.user_group_member TO notify_admin;

/* Capture of the new tables, when notify_ext knows them (1.1 or later). */
DO $attach$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension
				WHERE extname OPERATOR(pg_catalog.=) 'notify_ext'
				  AND extversion OPERATOR(pg_catalog.<>) '1.0') THEN
		PERFORM notify.attach_shipped_assets();
	END IF;
END
$attach$;

/*
 * Quota rules: a rule limits the number of items (rows of the tables
 * captured as items) and the storage used (sum of file sizes), either
 * NULL for none.  INSERT and DELETE raise quota create/delete; usage
 * crossing a limit raises quota warning.
 */
CREATE TABLE notify.quota_rule (
	id			text PRIMARY KEY
				DEFAULT 'VX-' OPERATOR(pg_catalog.||) pg_catalog.nextval('notify.entity_id_seq'::pg_catalog.regclass)::text,
	item_limit	bigint CHECK (item_limit OPERATOR(pg_catalog.>=) 0),
	storage_limit bigint CHECK (storage_limit OPERATOR(pg_catalog.>=) 0),
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE notify.quota_rule IS
	'API: public. Quota rules (item and storage limits); raise quota create, delete and warning events.';

/*
 * Deletion locks on items, collections and files, with an optional expiry
 * time.  INSERT, UPDATE and DELETE raise lock create/modify/delete; the
 * delivery worker raises expire at the expiry; a change of the lock in
 * force on an entity raises effective.
 */
CREATE TABLE notify.deletion_lock (
	id			text PRIMARY KEY
				DEFAULT 'VX-' OPERATOR(pg_catalog.||) pg_catalog.nextval('notify.entity_id_seq'::pg_catalog.regclass)::text,
	entity_type	text NOT NULL CHECK (entity_type IN ('item', 'collection', 'file')),
	entity_id	text NOT NULL,
	expiry_time	timestamptz,
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	created_by	name NOT NULL DEFAULT CURRENT_USER
);
CREATE INDEX deletion_lock_entity ON notify.deletion_lock (entity_type, entity_id);
COMMENT ON TABLE notify.deletion_lock IS
	'API: public. Deletion locks; raise deletion lock create, modify, delete, expire and effective events.';

SELECT pg_catalog.pg_extension_config_dump('notify.quota_rule', '');
SELECT pg_catalog.pg_extension_config_dump('notify.deletion_lock', '');
REVOKE ALL ON notify.quota_rule, notify.deletion_lock FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON notify.quota_rule, notify.deletion_lock TO notify_admin;

/* Capture of the new tables, when notify_ext is installed already. */
DO $attach$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension
				WHERE extname OPERATOR(pg_catalog.=) 'notify_ext') THEN
		PERFORM notify.attach_shipped_assets();
	END IF;
END
$attach$;
