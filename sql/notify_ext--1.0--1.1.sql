/* notify_ext--1.0--1.1.sql: from 1.0 to 1.1 (ALTER EXTENSION notify_ext UPDATE) */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION notify_ext UPDATE TO '1.1'" to load this file. \quit

/*
 * Every change to sql/notify_ext.sql since 1.0, in the same order.
 * test/t/012_upgrade.pl checks that 1.0 plus this script gives the same
 * objects as a fresh 1.1.
 */

/* ------------------------------------------------------------------------
 * Quota usage and deletion-lock state, kept by capture
 * (src/capture/quota.c, src/capture/deletion_lock.c) and, for lock
 * expiry, by the delivery worker.  README "Quotas and deletion locks".
 * ------------------------------------------------------------------------ */

/* One row per quota rule: its limits, the current usage and whether it is over. */
CREATE TABLE notify.quota_usage (
	rule_relid		regclass NOT NULL,	-- the table the rule is a row of
	rule_id			text NOT NULL,
	item_limit		bigint,
	storage_limit	bigint,
	item_usage		bigint NOT NULL,
	storage_usage	bigint NOT NULL,
	exceeded			boolean NOT NULL,
	PRIMARY KEY (rule_relid, rule_id)
);
COMMENT ON TABLE notify.quota_usage IS
	'API: public (read). Usage of each quota rule, kept by the capture of item and file changes.';

-- API: private.  The capture triggers' tables and arguments (kind first).
CREATE FUNCTION notify.capture_tables(OUT relation regclass, OUT args text[])
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT tg.tgrelid::pg_catalog.regclass,
		   (pg_catalog.string_to_array(pg_catalog.encode(tg.tgargs, 'escape'), '\000'))[1:tg.tgnargs]
	  FROM pg_catalog.pg_trigger tg
	 WHERE tg.tgfoid OPERATOR(pg_catalog.=) 'notify.capture()'::pg_catalog.regprocedure
	 ORDER BY tg.tgrelid
$$;

-- API: private.  The column of a role in capture trigger arguments.
CREATE FUNCTION notify.capture_role_column(args text[], role text)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT pg_catalog.substr(a, pg_catalog.length(role) OPERATOR(pg_catalog.+) 2)
	  FROM pg_catalog.unnest(args) a
	 WHERE pg_catalog.starts_with(a, role OPERATOR(pg_catalog.||) '=')
	 LIMIT 1
$$;

-- API: private.  Usage now: rows of the tables captured as items, sum of
-- the size column of the tables captured as files.  Locks those tables in
-- SHARE mode first, so that no change is counted twice or lost.
CREATE FUNCTION notify.quota_scan(OUT items bigint, OUT bytes bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
	col text;
	n bigint;
BEGIN
	items := 0;
	bytes := 0;
	FOR t IN SELECT * FROM notify.capture_tables() c
			  WHERE c.args[1] OPERATOR(pg_catalog.=) ANY (ARRAY['item', 'file']) LOOP
		col := notify.capture_role_column(t.args, 'size');
		IF t.args[1] OPERATOR(pg_catalog.=) 'file' AND col IS NULL THEN
			CONTINUE;
		END IF;
		EXECUTE pg_catalog.format('LOCK TABLE %s IN SHARE MODE', t.relation);
		IF t.args[1] OPERATOR(pg_catalog.=) 'item' THEN
			EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %s', t.relation) INTO n;
			items := items OPERATOR(pg_catalog.+) n;
		ELSE
			EXECUTE pg_catalog.format('SELECT COALESCE(pg_catalog.sum(%I), 0)::bigint FROM %s', col, t.relation) INTO n;
			bytes := bytes OPERATOR(pg_catalog.+) n;
		END IF;
	END LOOP;
END
$$;

-- API: private.  Is a usage over a rule's limits?
-- (no SET clause: inlined into the statements that call it; every name
-- in it is qualified)
CREATE FUNCTION notify.quota_over(item_limit bigint, storage_limit bigint,
								  item_usage bigint, storage_usage bigint)
RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$
	SELECT COALESCE(item_usage OPERATOR(pg_catalog.>) item_limit, false)
		OR COALESCE(storage_usage OPERATOR(pg_catalog.>) storage_limit, false)
$$;

-- API: private.  A quota rule row was inserted, updated or deleted (op):
-- keep its usage row.  Returns the usage and whether the rule went over.
CREATE FUNCTION notify.quota_rule_sync(rule_relid regclass, op text, old_id text, new_id text,
									   new_item_limit bigint, new_storage_limit bigint,
									   OUT item_usage bigint, OUT storage_usage bigint,
									   OUT crossed boolean)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	u notify.quota_usage;
	now_over boolean;
BEGIN
	crossed := false;
	IF op OPERATOR(pg_catalog.=) 'insert' THEN
		SELECT s.items, s.bytes INTO item_usage, storage_usage FROM notify.quota_scan() s;
		crossed := notify.quota_over(new_item_limit, new_storage_limit, item_usage, storage_usage);
		INSERT INTO notify.quota_usage
			VALUES (rule_relid, new_id, new_item_limit, new_storage_limit,
					item_usage, storage_usage, crossed);
		RETURN;
	END IF;
	SELECT * INTO u FROM notify.quota_usage q
	 WHERE q.rule_relid OPERATOR(pg_catalog.=) quota_rule_sync.rule_relid
	   AND q.rule_id OPERATOR(pg_catalog.=) old_id FOR UPDATE;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	item_usage := u.item_usage;
	storage_usage := u.storage_usage;
	IF op OPERATOR(pg_catalog.=) 'delete' THEN
		DELETE FROM notify.quota_usage q
		 WHERE q.rule_relid OPERATOR(pg_catalog.=) u.rule_relid AND q.rule_id OPERATOR(pg_catalog.=) u.rule_id;
		RETURN;
	END IF;
	now_over := notify.quota_over(new_item_limit, new_storage_limit, u.item_usage, u.storage_usage);
	crossed := now_over AND NOT u.exceeded;
	UPDATE notify.quota_usage q
	   SET rule_id = new_id, item_limit = new_item_limit, storage_limit = new_storage_limit,
		   exceeded = now_over
	 WHERE q.rule_relid OPERATOR(pg_catalog.=) u.rule_relid AND q.rule_id OPERATOR(pg_catalog.=) u.rule_id;
END
$$;

/* One row per deletion lock: what it locks, its expiry, whether it expired. */
CREATE TABLE notify.deletion_lock_state (
	lock_relid		regclass NOT NULL,	-- the table the lock is a row of
	lock_id			text NOT NULL,
	entity_type		text NOT NULL,
	entity_id		text NOT NULL,
	expiry_time		timestamptz,	-- NULL: never expires
	expired			boolean NOT NULL DEFAULT false,
	PRIMARY KEY (lock_relid, lock_id)
);
-- the worker's timer: the nearest expiry not fired yet
CREATE INDEX deletion_lock_state_due ON notify.deletion_lock_state (expiry_time) WHERE NOT expired;
CREATE INDEX deletion_lock_state_entity ON notify.deletion_lock_state (entity_type, entity_id);
COMMENT ON TABLE notify.deletion_lock_state IS
	'API: public (read). Every deletion lock as capture saw it; expired is set, with the expire event written, by the delivery worker.';

/* The lock in force on each locked entity, as last announced. */
CREATE TABLE notify.deletion_lock_effective (
	entity_type		text NOT NULL,
	entity_id		text NOT NULL,
	lock_id			text NOT NULL,
	expiry_time		timestamptz,
	PRIMARY KEY (entity_type, entity_id)
);
COMMENT ON TABLE notify.deletion_lock_effective IS
	'API: public (read). The effective deletion lock of each entity that has one.';
SELECT pg_catalog.pg_extension_config_dump('notify.quota_usage', '');
SELECT pg_catalog.pg_extension_config_dump('notify.deletion_lock_state', '');
SELECT pg_catalog.pg_extension_config_dump('notify.deletion_lock_effective', '');

-- API: private.  The lock in force on an entity: of the unexpired locks on
-- it and, for an item, on the collections it is a member of (tables
-- captured as collection-member with an item column), the one that
-- expires last (never first), then the greatest lock id.
CREATE FUNCTION notify.deletion_lock_in_force(etype text, eid text,
											  OUT lock_id text, OUT expiry_time timestamptz)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
	parents text[] := '{}';
	p text[];
BEGIN
	IF etype OPERATOR(pg_catalog.=) 'item' THEN
		FOR t IN SELECT * FROM notify.capture_tables() c
				  WHERE c.args[1] OPERATOR(pg_catalog.=) 'collection-member'
					AND notify.capture_role_column(c.args, 'item') IS NOT NULL LOOP
			EXECUTE pg_catalog.format('SELECT pg_catalog.array_agg(%I::text) FROM %s WHERE %I::text OPERATOR(pg_catalog.=) $1',
									  notify.capture_role_column(t.args, 'id'), t.relation,
									  notify.capture_role_column(t.args, 'item'))
			   INTO p USING eid;
			parents := parents OPERATOR(pg_catalog.||) COALESCE(p, '{}');
		END LOOP;
	END IF;
	SELECT s.lock_id, s.expiry_time INTO lock_id, expiry_time
	  FROM notify.deletion_lock_state s
	 WHERE NOT s.expired
	   AND ((s.entity_type OPERATOR(pg_catalog.=) etype AND s.entity_id OPERATOR(pg_catalog.=) eid)
			OR (s.entity_type OPERATOR(pg_catalog.=) 'collection'
				AND s.entity_id OPERATOR(pg_catalog.=) ANY (parents)))
	 ORDER BY s.expiry_time DESC NULLS FIRST, s.lock_id DESC
	 LIMIT 1;
END
$$;

-- API: private.  Recompute the effective lock of an entity and, for a
-- collection, of its member items; returns those whose lock changed.
CREATE FUNCTION notify.deletion_lock_refresh(etype text, eid text,
											 OUT entity_type text, OUT entity_id text,
											 OUT old_lock_id text, OUT old_expiry_time timestamptz,
											 OUT new_lock_id text, OUT new_expiry_time timestamptz)
RETURNS SETOF record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
	m text[];
	members text[] := '{}';
	e record;
	cur notify.deletion_lock_effective;
BEGIN
	IF etype OPERATOR(pg_catalog.=) 'collection' THEN
		FOR t IN SELECT * FROM notify.capture_tables() c
				  WHERE c.args[1] OPERATOR(pg_catalog.=) 'collection-member'
					AND notify.capture_role_column(c.args, 'item') IS NOT NULL LOOP
			EXECUTE pg_catalog.format('SELECT pg_catalog.array_agg(%I::text) FROM %s WHERE %I::text OPERATOR(pg_catalog.=) $1',
									  notify.capture_role_column(t.args, 'item'), t.relation,
									  notify.capture_role_column(t.args, 'id'))
			   INTO m USING eid;
			members := members OPERATOR(pg_catalog.||) COALESCE(m, '{}');
		END LOOP;
	END IF;
	FOR e IN SELECT etype AS typ, eid AS id
			 UNION ALL
			 SELECT DISTINCT 'item', x FROM pg_catalog.unnest(members) x LOOP
		-- one refresh of an entity at a time
		PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('notify.deletion_lock:' OPERATOR(pg_catalog.||) e.typ),
												 pg_catalog.hashtext(e.id));
		SELECT * INTO cur FROM notify.deletion_lock_effective f
		 WHERE f.entity_type OPERATOR(pg_catalog.=) e.typ AND f.entity_id OPERATOR(pg_catalog.=) e.id;
		SELECT f.lock_id, f.expiry_time INTO new_lock_id, new_expiry_time
		  FROM notify.deletion_lock_in_force(e.typ, e.id) f;
		IF cur.lock_id IS NOT DISTINCT FROM new_lock_id
		   AND cur.expiry_time IS NOT DISTINCT FROM new_expiry_time THEN
			CONTINUE;
		END IF;
		IF new_lock_id IS NULL THEN
			DELETE FROM notify.deletion_lock_effective f
			 WHERE f.entity_type OPERATOR(pg_catalog.=) e.typ AND f.entity_id OPERATOR(pg_catalog.=) e.id;
		ELSE
			INSERT INTO notify.deletion_lock_effective AS f VALUES (e.typ, e.id, new_lock_id, new_expiry_time)
			ON CONFLICT ON CONSTRAINT deletion_lock_effective_pkey
			DO UPDATE SET lock_id = excluded.lock_id, expiry_time = excluded.expiry_time;
		END IF;
		entity_type := e.typ;
		entity_id := e.id;
		old_lock_id := cur.lock_id;
		old_expiry_time := cur.expiry_time;
		RETURN NEXT;
	END LOOP;
END
$$;

-- API: private.  A deletion lock row was inserted, updated or deleted
-- (op): keep its state row and return the effective lock changes.
CREATE FUNCTION notify.deletion_lock_sync(lock_relid regclass, op text, old_id text, new_id text,
										  old_type text, old_entity text,
										  new_type text, new_entity text,
										  old_expiry timestamptz, new_expiry timestamptz,
										  OUT entity_type text, OUT entity_id text,
										  OUT old_lock_id text, OUT old_expiry_time timestamptz,
										  OUT new_lock_id text, OUT new_expiry_time timestamptz)
RETURNS SETOF record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF op OPERATOR(pg_catalog.=) 'insert' THEN
		INSERT INTO notify.deletion_lock_state
			VALUES (lock_relid, new_id, new_type, new_entity, new_expiry, false);
	ELSIF op OPERATOR(pg_catalog.=) 'delete' THEN
		DELETE FROM notify.deletion_lock_state s
		 WHERE s.lock_relid OPERATOR(pg_catalog.=) deletion_lock_sync.lock_relid
		   AND s.lock_id OPERATOR(pg_catalog.=) old_id;
	ELSE
		-- waits for the worker if it is expiring this lock right now; a new
		-- expiry arms the timer again
		UPDATE notify.deletion_lock_state s
		   SET lock_id = new_id, entity_type = new_type, entity_id = new_entity,
			   expiry_time = new_expiry,
			   expired = s.expired AND s.expiry_time IS NOT DISTINCT FROM new_expiry
		 WHERE s.lock_relid OPERATOR(pg_catalog.=) deletion_lock_sync.lock_relid
		   AND s.lock_id OPERATOR(pg_catalog.=) old_id;
	END IF;
	IF op OPERATOR(pg_catalog.<>) 'insert' THEN
		RETURN QUERY SELECT * FROM notify.deletion_lock_refresh(old_type, old_entity);
	END IF;
	IF op OPERATOR(pg_catalog.<>) 'delete' AND
	   (op OPERATOR(pg_catalog.=) 'insert' OR old_type IS DISTINCT FROM new_type
		OR old_entity IS DISTINCT FROM new_entity) THEN
		RETURN QUERY SELECT * FROM notify.deletion_lock_refresh(new_type, new_entity);
	END IF;
END
$$;

-- API: private.  Marks expired the locks whose expiry is at or before
-- now, skipping those a transaction is changing (tried again shortly).
-- Returns one row per expired lock (is_expire) and one per effective lock
-- change that follows.
CREATE FUNCTION notify.deletion_lock_expire_due(now timestamptz,
												OUT is_expire boolean,
												OUT entity_type text, OUT entity_id text,
												OUT old_lock_id text, OUT old_expiry_time timestamptz,
												OUT new_lock_id text, OUT new_expiry_time timestamptz)
RETURNS SETOF record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	d record;
	touched text[] := '{}';
BEGIN
	FOR d IN SELECT s.lock_relid, s.lock_id, s.entity_type, s.entity_id, s.expiry_time
			   FROM notify.deletion_lock_state s
			  WHERE NOT s.expired AND s.expiry_time OPERATOR(pg_catalog.<=) now
			  ORDER BY s.expiry_time, s.lock_id
				FOR UPDATE SKIP LOCKED LOOP
		UPDATE notify.deletion_lock_state s SET expired = true
		 WHERE s.lock_relid OPERATOR(pg_catalog.=) d.lock_relid
		   AND s.lock_id OPERATOR(pg_catalog.=) d.lock_id;
		is_expire := true;
		entity_type := d.entity_type;
		entity_id := d.entity_id;
		old_lock_id := d.lock_id;
		old_expiry_time := d.expiry_time;
		new_lock_id := NULL;
		new_expiry_time := NULL;
		RETURN NEXT;
		touched := touched OPERATOR(pg_catalog.||) ARRAY[d.entity_type, d.entity_id];
	END LOOP;
	is_expire := false;
	FOR i IN 1 .. COALESCE(pg_catalog.array_length(touched, 1), 0) / 2 LOOP
		RETURN QUERY SELECT false, r.* FROM notify.deletion_lock_refresh(touched[2 * i - 1], touched[2 * i]) r;
	END LOOP;
END
$$;

-- API: private.  The nearest expiry not fired yet (NULL: none).
CREATE FUNCTION notify.deletion_lock_next_expiry()
RETURNS timestamptz
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT pg_catalog.min(s.expiry_time) FROM notify.deletion_lock_state s WHERE NOT s.expired
$$;

-- API: private.  What the delivery worker does at a lock expiry, callable
-- with another "now" (tests): writes the expire and effective events of
-- the locks that expired by now; returns the number of expired locks.
CREATE FUNCTION notify.expire_deletion_locks(now timestamptz DEFAULT pg_catalog.clock_timestamp())
RETURNS integer
AS 'MODULE_PATHNAME', 'notify_ext_expire_deletion_locks'
LANGUAGE C STRICT VOLATILE;

-- the shipped assets' capture: file size, membership item, quota rules, deletion locks
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
		 ARRAY['collection-member', 'id=collection_id', 'item=item_id']),
		('notify.storage'::regclass, 'INSERT OR UPDATE OR DELETE',
		 ARRAY['storage', 'id=id']),
		('notify.file'::regclass, 'INSERT OR UPDATE OR DELETE',
		 ARRAY['file', 'id=id', 'storage=storage_id', 'item=item_id', 'path=path',
			   'state=state', 'hash=hash', 'ignore=updated_at', 'size=size']),
		('notify.metadata_change_set'::regclass, 'INSERT',
		 ARRAY['metadata-change-set', 'id=entity_id', 'resource=resource',
			   'fields=fields', 'changeset=id']),
		-- tables of notify_ext_assets 1.1: skipped while it is 1.0
		(pg_catalog.to_regclass('notify.quota_rule'), 'INSERT OR UPDATE OR DELETE',
		 ARRAY['quota', 'id=id', 'item_limit=item_limit', 'storage_limit=storage_limit']),
		(pg_catalog.to_regclass('notify.deletion_lock'), 'INSERT OR UPDATE OR DELETE',
		 ARRAY['deletion-lock', 'id=id', 'entity_type=entity_type', 'entity=entity_id',
			   'expiry=expiry_time'])) AS v(rel, events, args)
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

REVOKE ALL ON notify.quota_usage, notify.deletion_lock_state, notify.deletion_lock_effective FROM PUBLIC;
REVOKE ALL ON FUNCTION notify.capture_tables(), notify.capture_role_column(text[], text),
	notify.quota_scan(), notify.quota_over(bigint, bigint, bigint, bigint),
	notify.quota_rule_sync(regclass, text, text, text, bigint, bigint),
	notify.deletion_lock_in_force(text, text), notify.deletion_lock_refresh(text, text),
	notify.deletion_lock_sync(regclass, text, text, text, text, text, text, text, timestamptz, timestamptz),
	notify.deletion_lock_expire_due(timestamptz), notify.deletion_lock_next_expiry(),
	notify.expire_deletion_locks(timestamptz) FROM PUBLIC;

-- quota usage and deletion-lock state: read by the roles that read the outbox
GRANT SELECT ON notify.quota_usage, notify.deletion_lock_state, notify.deletion_lock_effective
	TO notify_admin, notify_monitor;
