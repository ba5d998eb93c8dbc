/*
 * notify_ext_assets.sql
 *	The current version of notify_ext_assets.  The Makefile installs it as
 *	notify_ext_assets--<default_version>.sql; every change to it since the last
 *	release also goes into that release's upgrade script
 *	(notify_ext_assets--<previous>--<default_version>.sql).
 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION notify_ext_assets" to load this file. \quit

/*
 * The shipped asset tables: a working asset database out of the box.  They
 * are an extension of their own, so that DROP EXTENSION notify_ext (CASCADE)
 * keeps their rows; nothing here depends on notify_ext.  Capture, and the
 * default of notify.metadata_change_set.id (capture's change set ids), are attached
 * by whichever of notify_ext and notify_ext_assets is created second, with
 * notify.attach_shipped_assets() of notify_ext.  DROP EXTENSION
 * notify_ext_assets deletes the tables and their rows.
 */
DO $roles$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'notify_admin') THEN
		CREATE ROLE notify_admin NOLOGIN;
	END IF;
END
$roles$;

REVOKE ALL ON SCHEMA notify FROM PUBLIC;
GRANT USAGE ON SCHEMA notify TO notify_admin;

/* Identifiers: Vidispine-style "VX-<n>" ids. */
CREATE SEQUENCE notify.entity_id_seq;

CREATE TABLE notify.storage (
	id			text PRIMARY KEY
				DEFAULT 'VX-' OPERATOR(pg_catalog.||) pg_catalog.nextval('notify.entity_id_seq'::pg_catalog.regclass)::text,
	name		text,
	uri			text,
	state		text NOT NULL DEFAULT 'NONE',
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE notify.storage IS 'API: public. Storages; INSERT and DELETE raise storage create/delete events.';

CREATE TABLE notify.item (
	id			text PRIMARY KEY
				DEFAULT 'VX-' OPERATOR(pg_catalog.||) pg_catalog.nextval('notify.entity_id_seq'::pg_catalog.regclass)::text,
	title		text,
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	created_by	name NOT NULL DEFAULT CURRENT_USER
);
COMMENT ON TABLE notify.item IS
	'API: public. Items; INSERT and DELETE raise item create/delete, an UPDATE of a column raises item metadata modify with the changed columns as fields.';

CREATE TABLE notify.collection (
	id			text PRIMARY KEY
				DEFAULT 'VX-' OPERATOR(pg_catalog.||) pg_catalog.nextval('notify.entity_id_seq'::pg_catalog.regclass)::text,
	title		text,
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	created_by	name NOT NULL DEFAULT CURRENT_USER
);
COMMENT ON TABLE notify.collection IS
	'API: public. Collections; INSERT, DELETE and UPDATE raise collection create, delete and metadata modify events.';

CREATE TABLE notify.collection_item (
	collection_id text NOT NULL REFERENCES notify.collection (id) ON DELETE CASCADE,
	item_id		text NOT NULL REFERENCES notify.item (id) ON DELETE CASCADE,
	added_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (collection_id, item_id)
);
COMMENT ON TABLE notify.collection_item IS
	'API: public. Collection membership; adding or removing a member raises collection modify.';

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

CREATE TABLE notify.file (
	id			text PRIMARY KEY
				DEFAULT 'VX-' OPERATOR(pg_catalog.||) pg_catalog.nextval('notify.entity_id_seq'::pg_catalog.regclass)::text,
	storage_id	text NOT NULL REFERENCES notify.storage (id),
	item_id		text REFERENCES notify.item (id) ON DELETE SET NULL,
	path		text NOT NULL,
	state		text NOT NULL DEFAULT 'OPEN'
				CHECK (state IN ('NONE', 'OPEN', 'CLOSED', 'UNKNOWN', 'MISSING', 'LOST',
								 'TO_APPEAR', 'TO_BE_DELETED', 'BEING_READ', 'ARCHIVED', 'AWAITING_SYNC')),
	size		bigint,
	hash		text,
	updated_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	shape_id	text REFERENCES notify.shape (id) ON DELETE SET NULL,
	component_id text,
	UNIQUE (storage_id, path)
);
CREATE INDEX ON notify.file (item_id);
COMMENT ON TABLE notify.file IS
	'API: public. Files on storages; INSERT, UPDATE and DELETE raise file new/change/close/hash/lost/delete events, and an INSERT storage filename before the row is written.';

/*
 * Metadata change sets: the way to change timed, per-language, per-track or
 * grouped metadata of an item or collection.  fields is a JSON array of
 * {"name", "value" (string or array), "path", "language", "track", "start", "end"}.
 */
CREATE TABLE notify.metadata_change_set (
	id			text PRIMARY KEY,	-- default: notify_ext's change set ids (notify.attach_shipped_assets())
	resource	text NOT NULL CHECK (resource IN ('item', 'collection', 'document')),
	entity_id	text NOT NULL,
	fields		jsonb NOT NULL CHECK (pg_catalog.jsonb_typeof(fields) OPERATOR(pg_catalog.=) 'array'),
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	created_by	name NOT NULL DEFAULT CURRENT_USER
);
CREATE INDEX ON notify.metadata_change_set (resource, entity_id);
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

/* Every row travels with pg_dump (test/sql/dump_members.sql lists them). */
SELECT pg_catalog.pg_extension_config_dump('notify.storage', '');
SELECT pg_catalog.pg_extension_config_dump('notify.item', '');
SELECT pg_catalog.pg_extension_config_dump('notify.collection', '');
SELECT pg_catalog.pg_extension_config_dump('notify.collection_item', '');
SELECT pg_catalog.pg_extension_config_dump('notify.file', '');
SELECT pg_catalog.pg_extension_config_dump('notify.metadata_change_set', '');
SELECT pg_catalog.pg_extension_config_dump('notify.entity_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('notify.shape', '');
SELECT pg_catalog.pg_extension_config_dump('notify.item_access', '');
SELECT pg_catalog.pg_extension_config_dump('notify.document', '');
SELECT pg_catalog.pg_extension_config_dump('notify.user_group', '');
SELECT pg_catalog.pg_extension_config_dump('notify.user_group_member', '');

/* Privileges: nothing for PUBLIC; the tables are the application's. */
REVOKE ALL ON notify.storage, notify.item, notify.collection, notify.collection_item,
	notify.file, notify.metadata_change_set FROM PUBLIC;
REVOKE ALL ON SEQUENCE notify.entity_id_seq FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON notify.item, notify.collection, notify.collection_item,
	notify.storage, notify.file, notify.metadata_change_set TO notify_admin;
GRANT USAGE ON SEQUENCE notify.entity_id_seq TO notify_admin;
REVOKE ALL ON notify.shape, notify.item_access, notify.document, notify.user_group,
	notify.user_group_member FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON notify.shape, notify.item_access, notify.document,
	notify.user_group, notify.user_group_member TO notify_admin;

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

/* Capture, when notify_ext is installed already. */
DO $attach$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension
				WHERE extname OPERATOR(pg_catalog.=) 'notify_ext') THEN
		PERFORM notify.attach_shipped_assets();
	END IF;
END
$attach$;
