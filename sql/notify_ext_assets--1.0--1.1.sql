/* notify_ext_assets--1.0--1.1.sql: from 1.0 to 1.1 (ALTER EXTENSION notify_ext_assets UPDATE) */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION notify_ext_assets UPDATE TO '1.1'" to load this file. \quit

/*
 * Every change to sql/notify_ext_assets.sql since 1.0, in the same order.
 * test/t/012_upgrade.pl checks that 1.0 plus this script gives the same
 * objects as a fresh 1.1.
 */

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
