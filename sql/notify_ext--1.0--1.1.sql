/* notify_ext--1.0--1.1.sql: from 1.0 to 1.1 (ALTER EXTENSION notify_ext UPDATE) */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION notify_ext UPDATE TO '1.1'" to load this file. \quit

/*
 * Every change to sql/notify_ext.sql since 1.0, in the same order.
 * test/t/012_upgrade.pl checks that 1.0 plus this script gives the same
 * objects as a fresh 1.1.
 */

/* Capture on notify.job (notify_ext_assets 1.1): the shipped tables' list. */
-- API: private
CREATE OR REPLACE FUNCTION notify.attach_shipped_assets()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
BEGIN
	-- each trigger's arguments are checked against the table of capture
	-- kinds (src/capture/kinds.c) before the trigger is created
	FOR t IN SELECT * FROM (VALUES
		('notify.item'::regclass, 'INSERT OR UPDATE OR DELETE',
		 ARRAY['item', 'id=id', 'ignore=created_at', 'ignore=created_by']),
		('notify.collection'::regclass, 'INSERT OR UPDATE OR DELETE',
		 ARRAY['collection', 'id=id', 'ignore=created_at', 'ignore=created_by']),
		('notify.collection_item'::regclass, 'INSERT OR DELETE',
		 ARRAY['collection-member', 'id=collection_id']),
		('notify.storage'::regclass, 'INSERT OR UPDATE OR DELETE',
		 ARRAY['storage', 'id=id']),
		('notify.file'::regclass, 'INSERT OR UPDATE OR DELETE',
		 ARRAY['file', 'id=id', 'storage=storage_id', 'item=item_id', 'path=path',
			   'state=state', 'hash=hash', 'ignore=updated_at']),
		('notify.metadata_change_set'::regclass, 'INSERT',
		 ARRAY['metadata-change-set', 'id=entity_id', 'resource=resource',
			   'fields=fields', 'changeset=id']),
		-- NULL while notify_ext_assets is older than notify.job
		(pg_catalog.to_regclass('notify.job'), 'INSERT OR UPDATE',
		 ARRAY['job', 'id=id', 'state=status', 'type=type', 'step=current_step',
			   'step_status=step_status', 'total_steps=total_steps', 'item=item_id',
			   'data=data', 'error=error_message', 'notification=notification_id',
			   'notification_data=notification_data', 'user=started_by',
			   'start_time=started_at'])) AS v(rel, events, args)
	LOOP
		CONTINUE WHEN t.rel IS NULL;
		PERFORM notify.capture_check_args(t.rel, t.args);
		EXECUTE pg_catalog.format(
			'CREATE OR REPLACE TRIGGER notify_capture AFTER %s ON %s FOR EACH ROW EXECUTE FUNCTION notify.capture(%s)',
			t.events, t.rel,
			(SELECT pg_catalog.string_agg(pg_catalog.quote_literal(a), ', ') FROM pg_catalog.unnest(t.args) a));
	END LOOP;
	-- change set ids come from capture's sequence, so the two never collide
	ALTER TABLE notify.metadata_change_set ALTER COLUMN id
		SET DEFAULT 'VX-' OPERATOR(pg_catalog.||) pg_catalog.nextval('notify.change_set_id_seq'::pg_catalog.regclass)::text;
	-- reinstalled next to kept change sets: go on after their ids
	PERFORM pg_catalog.setval('notify.change_set_id_seq', x.m)
	   FROM (SELECT pg_catalog.max(pg_catalog.substr(c.id, 4)::bigint) AS m
			   FROM notify.metadata_change_set c WHERE c.id OPERATOR(pg_catalog.~) '^VX-[0-9]{1,18}$') x
	  WHERE x.m OPERATOR(pg_catalog.>) 0;
END
$$;

SELECT notify.attach_shipped_assets()
 WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_extension
				WHERE extname OPERATOR(pg_catalog.=) 'notify_ext_assets');
