/* notify_ext--1.0--1.1.sql: from 1.0 to 1.1 (ALTER EXTENSION notify_ext UPDATE) */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION notify_ext UPDATE TO '1.1'" to load this file. \quit

/*
 * Every change to sql/notify_ext.sql since 1.0, in the same order.
 * test/t/012_upgrade.pl checks that 1.0 plus this script gives the same
 * objects as a fresh 1.1.
 */

/* Capture of access controls, shapes, documents, groups and filename events */
-- API: private.  The name, timing and events of a kind's capture trigger,
-- from the table of capture kinds (src/capture/kinds.c).
CREATE FUNCTION notify.capture_kind_trigger(kind text,
		OUT name text, OUT timing text, OUT events text)
RETURNS record
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'notify_ext_capture_kind_trigger';
REVOKE ALL ON FUNCTION notify.capture_kind_trigger(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION notify.attach(relation regclass, resource text, id_column name,
							  options jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	args text[];
	opt record;
	allowed text[];
	roles text[];
	multiple boolean[];
	required text[];
	i integer;
	col text;
	trig record;
BEGIN
	-- the kind's options come from the table of capture kinds
	-- (src/capture/kinds.c), which refuses an unknown kind
	SELECT COALESCE(pg_catalog.array_agg(k.option ORDER BY k.n), '{}'::text[]),
		   COALESCE(pg_catalog.array_agg(k.role ORDER BY k.n), '{}'::text[]),
		   COALESCE(pg_catalog.array_agg(k.multiple ORDER BY k.n), '{}'::boolean[]),
		   COALESCE(pg_catalog.array_agg(k.option ORDER BY k.n) FILTER (WHERE k.required), '{}'::text[])
	  INTO allowed, roles, multiple, required
	  FROM notify.capture_kind_options(resource) WITH ORDINALITY
		   AS k(option, role, multiple, required, n);
	PERFORM notify.check_column(relation, id_column);
	args := ARRAY[resource, 'id=' || id_column];

	IF pg_catalog.jsonb_typeof(options) IS DISTINCT FROM 'object' THEN
		RAISE EXCEPTION 'attach options must be a JSON object'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	FOR opt IN SELECT key, value FROM pg_catalog.jsonb_each_text(options) LOOP
		i := pg_catalog.array_position(allowed, opt.key);
		IF i IS NULL THEN
			RAISE EXCEPTION 'invalid attach option "%" for resource "%"', opt.key, resource
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = CASE WHEN pg_catalog.cardinality(allowed) OPERATOR(pg_catalog.=) 0
								  THEN 'This resource takes no options.'
								  ELSE 'Valid options are ' || pg_catalog.array_to_string(allowed, ', ') || '.' END;
		END IF;
		IF multiple[i] THEN
			FOR col IN SELECT pg_catalog.jsonb_array_elements_text(options -> opt.key) LOOP
				PERFORM notify.check_column(relation, col);
				args := args || (roles[i] || '=' || col);
			END LOOP;
		ELSE
			PERFORM notify.check_column(relation, opt.value);
			args := args || (roles[i] || '=' || opt.value);
		END IF;
	END LOOP;
	FOREACH col IN ARRAY required LOOP
		IF NOT options OPERATOR(pg_catalog.?) col THEN
			RAISE EXCEPTION 'attach option "%" is required for resource "%"', col, resource
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
	END LOOP;
	-- the trigger would resolve these arguments the same way when it fires
	PERFORM notify.capture_check_args(relation, args);

	-- the trigger's name, timing and events: the kind's (kinds.c)
	trig := notify.capture_kind_trigger(resource);
	EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', trig.name, relation);
	EXECUTE pg_catalog.format(
		'CREATE TRIGGER %I %s %s ON %s FOR EACH ROW EXECUTE FUNCTION notify.capture(%s)',
		trig.name, trig.timing, trig.events, relation,
		(SELECT pg_catalog.string_agg(pg_catalog.quote_literal(a), ', ') FROM pg_catalog.unnest(args) a));
END
$$;

CREATE OR REPLACE FUNCTION notify.attach_shipped_assets()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
	k record;
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
		('notify.item_access'::regclass, 'INSERT OR UPDATE OR DELETE',
		 ARRAY['access', 'id=id', 'item=item_id', 'permission=permission',
			   'user=user_name', 'group=group_name', 'ignore=created_at']),
		('notify.shape'::regclass, 'INSERT OR UPDATE OR DELETE',
		 ARRAY['shape', 'id=id', 'item=item_id', 'ignore=created_at']),
		('notify.document'::regclass, 'INSERT OR UPDATE OR DELETE',
		 ARRAY['document', 'id=name', 'ignore=created_at', 'ignore=created_by']),
		('notify.user_group'::regclass, 'INSERT OR DELETE',
		 ARRAY['group', 'id=name']),
		('notify.user_group_member'::regclass, 'INSERT OR DELETE',
		 ARRAY['group-member', 'id=group_name', 'user=member_user', 'group=member_group']),
		('notify.file'::regclass, 'INSERT',
		 ARRAY['filename', 'id=id', 'storage=storage_id', 'item=item_id',
			   'shape=shape_id', 'component=component_id'])) AS v(rel, events, args)
	LOOP
		PERFORM notify.capture_check_args(t.rel, t.args);
		-- the trigger's name and timing: its kind's (kinds.c)
		k := notify.capture_kind_trigger(t.args[1]);
		EXECUTE pg_catalog.format(
			'CREATE OR REPLACE TRIGGER %I %s %s ON %s FOR EACH ROW EXECUTE FUNCTION notify.capture(%s)',
			k.name, k.timing, t.events, t.rel,
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

-- the shipped asset tables of 1.1 are attached when they are there; an
-- update of notify_ext_assets from 1.0 attaches them otherwise
SELECT notify.attach_shipped_assets()
 WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_extension
				WHERE extname OPERATOR(pg_catalog.=) 'notify_ext_assets'
				  AND extversion OPERATOR(pg_catalog.<>) '1.0');

CREATE OR REPLACE FUNCTION notify.detach(relation regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t name;
BEGIN
	-- every capture trigger: a table may hold two kinds (file, filename)
	FOR t IN SELECT g.tgname FROM pg_catalog.pg_trigger g
			  WHERE g.tgrelid OPERATOR(pg_catalog.=) relation
				AND g.tgfoid OPERATOR(pg_catalog.=) 'notify.capture()'::pg_catalog.regprocedure
			  ORDER BY g.tgname LOOP
		EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', t, relation);
	END LOOP;
END
$$;
COMMENT ON FUNCTION notify.detach(regclass) IS 'API: public. Removes the capture triggers from a table.';
