/* notify_ext--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION notify_ext" to load this file. \quit

/*
 * Roles.  Roles are cluster-wide, so they are created only when missing and
 * survive DROP EXTENSION (as pg_monitor-style roles do).
 *   notify_admin    defines notifications, attaches capture, steers delivery
 *   notify_monitor  reads definitions (credentials masked) and delivery status
 */
DO $roles$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'notify_admin') THEN
		CREATE ROLE notify_admin NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'notify_monitor') THEN
		CREATE ROLE notify_monitor NOLOGIN;
	END IF;
END
$roles$;

REVOKE ALL ON SCHEMA notify FROM PUBLIC;
GRANT USAGE ON SCHEMA notify TO notify_admin, notify_monitor;

/* ------------------------------------------------------------------------
 * Identifiers: Vidispine-style "VX-<n>" ids.
 * ------------------------------------------------------------------------ */
CREATE SEQUENCE notify.notification_id_seq;
-- ids of metadata change sets, those capture makes of an UPDATE on any
-- attached table and those of notify.metadata_change_set (notify_ext_assets)
CREATE SEQUENCE notify.change_set_id_seq;

-- API: private
CREATE FUNCTION notify.next_vx_id(seq regclass)
RETURNS text LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT 'VX-' OPERATOR(pg_catalog.||) pg_catalog.nextval(seq)::text $$;

/* ------------------------------------------------------------------------
 * Notification definitions
 * ------------------------------------------------------------------------ */
CREATE TABLE notify.notification (
	id			text PRIMARY KEY DEFAULT notify.next_vx_id('notify.notification_id_seq'),
	resource	text NOT NULL CHECK (resource IN ('item', 'collection', 'document',
								'group', 'job', 'storage', 'file', 'quota', 'deletion-lock')),
	entity_id	text,
	event		text NOT NULL,
	action_kind text NOT NULL,
	document	text NOT NULL,
	summary		text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	updated_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	created_by	name NOT NULL DEFAULT CURRENT_USER,
	ordering	text NOT NULL DEFAULT 'entity' CHECK (ordering IN ('entity', 'endpoint'))
);
CREATE INDEX ON notify.notification (resource, entity_id);
COMMENT ON TABLE notify.notification IS
	'API: private. Notification definitions: the canonical NotificationDocument (XML) and the facts the capture trigger matches on. Managed through notify.create_notification and friends.';
SELECT pg_catalog.pg_extension_config_dump('notify.notification', '');
SELECT pg_catalog.pg_extension_config_dump('notify.notification_id_seq', '');

/*
 * Credentials for <sqs> actions that name a stored secret (<secret>alias</secret>
 * without <accessKey>), the counterpart of Vidispine's secret store.
 */
CREATE TABLE notify.aws_credential (
	alias		text PRIMARY KEY,
	access_key	text NOT NULL,
	secret_key	text NOT NULL,
	region		text
);
COMMENT ON TABLE notify.aws_credential IS
	'API: private. AWS credentials referenced by alias from <sqs><secret>; readable by the extension owner only.';
SELECT pg_catalog.pg_extension_config_dump('notify.aws_credential', '');

/* ------------------------------------------------------------------------
 * C entry points
 * ------------------------------------------------------------------------ */

-- API: private.  Parse and validate a NotificationDocument for a resource.
CREATE FUNCTION notify.parse_document(resource text, document text,
	OUT document_xml text, OUT event text, OUT action_kind text, OUT summary text)
RETURNS record
AS 'MODULE_PATHNAME', 'notify_ext_parse_document'
LANGUAGE C STRICT STABLE;

-- API: private.  Render a stored document as 'xml' or 'json'.
CREATE FUNCTION notify.render_document(document text, format text)
RETURNS text
AS 'MODULE_PATHNAME', 'notify_ext_render_document'
LANGUAGE C STRICT IMMUTABLE;

-- API: private.  Statement trigger: definitions changed, drop cached copies.
CREATE FUNCTION notify.definitions_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'notify_ext_definitions_changed'
LANGUAGE C;

CREATE TRIGGER notification_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON notify.notification
	FOR EACH STATEMENT EXECUTE FUNCTION notify.definitions_changed();

-- API: private.  The capture row trigger; its arguments say what the table is.
CREATE FUNCTION notify.capture()
RETURNS trigger
AS 'MODULE_PATHNAME', 'notify_ext_capture'
LANGUAGE C;
COMMENT ON FUNCTION notify.capture() IS
	'API: private. Row trigger turning changes into trigger events and outbox rows; install it with notify.attach().';

/* ------------------------------------------------------------------------
 * Outbox: one row per (event, matching notification), written in the
 * transaction that made the change.
 * ------------------------------------------------------------------------ */
CREATE TABLE notify.outbox (
	id				bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	event_id		uuid NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
	notification_id text NOT NULL,
	resource		text NOT NULL,
	event			text NOT NULL,
	entity_id		text,
	payload			json NOT NULL,
	status			text NOT NULL DEFAULT 'pending'
					CHECK (status IN ('pending', 'in_flight', 'delivered', 'failed')),
	queued			boolean NOT NULL DEFAULT true,	-- waiting to be claimed
	attempts		integer NOT NULL DEFAULT 0,
	attempts_base	integer NOT NULL DEFAULT 0,	-- attempts before the last redeliver
	created_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	next_attempt_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	lease_until		timestamptz,
	last_attempt_at timestamptz,
	last_duration_ms integer,
	delivered_at	timestamptz,
	last_status		integer,
	last_error		text
) WITH (fillfactor = 80);
-- the worker claims queued rows in id order; the claim clears queued and
-- nothing else is indexed, so that recording an outcome is a HOT update
CREATE INDEX outbox_queued ON notify.outbox (id) WHERE queued;
COMMENT ON TABLE notify.outbox IS
	'API: public (read). Durable outbox: one row per captured event and matching notification, with its delivery state. in_flight means claimed by the delivery worker (being sent or waiting for its next attempt).';
SELECT pg_catalog.pg_extension_config_dump('notify.outbox', '');

/* Every attempt that did not deliver; the last attempt is also on the outbox row. */
CREATE TABLE notify.attempt (
	outbox_id		bigint NOT NULL,
	attempt			integer NOT NULL,
	attempted_at	timestamptz NOT NULL,
	duration_ms		integer,
	status_code		integer,
	error			text
);
CREATE INDEX attempt_outbox ON notify.attempt (outbox_id);
COMMENT ON TABLE notify.attempt IS
	'API: private. Failed delivery attempts; read them through notify.delivery_attempts.';

/* ------------------------------------------------------------------------
 * Attaching capture to tables
 * ------------------------------------------------------------------------ */

-- API: public (notify_admin)
CREATE FUNCTION notify.attach(relation regclass, resource text, id_column name,
							  options jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	args text[];
	opt record;
	allowed text[];
	col text;
	trigname text := 'notify_capture';
BEGIN
	IF resource IS NULL OR resource NOT IN ('item', 'collection', 'collection-member', 'file',
											 'storage', 'metadata-change-set') THEN
		RAISE EXCEPTION 'cannot attach capture for resource "%"', resource
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Supported resources are item, collection, collection-member, file, storage and metadata-change-set.';
	END IF;
	PERFORM notify.check_column(relation, id_column);
	args := ARRAY[resource, 'id=' || id_column];

	allowed := CASE resource
		WHEN 'file' THEN ARRAY['storage_column', 'item_column', 'path_column', 'state_column', 'hash_column']
		WHEN 'collection-member' THEN ARRAY[]::text[]
		WHEN 'metadata-change-set' THEN ARRAY['resource_column', 'fields_column']
		ELSE ARRAY['ignore_columns']
	END;
	IF pg_catalog.jsonb_typeof(options) IS DISTINCT FROM 'object' THEN
		RAISE EXCEPTION 'attach options must be a JSON object'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	FOR opt IN SELECT key, value FROM pg_catalog.jsonb_each_text(options) LOOP
		IF NOT opt.key = ANY (allowed) THEN
			RAISE EXCEPTION 'invalid attach option "%" for resource "%"', opt.key, resource
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = CASE WHEN pg_catalog.cardinality(allowed) OPERATOR(pg_catalog.=) 0
								  THEN 'This resource takes no options.'
								  ELSE 'Valid options are ' || pg_catalog.array_to_string(allowed, ', ') || '.' END;
		END IF;
		IF opt.key = 'ignore_columns' THEN
			FOR col IN SELECT pg_catalog.jsonb_array_elements_text(options -> 'ignore_columns') LOOP
				PERFORM notify.check_column(relation, col);
				args := args || ('ignore=' || col);
			END LOOP;
		ELSE
			PERFORM notify.check_column(relation, opt.value);
			args := args || (pg_catalog.replace(opt.key, '_column', '') || '=' || opt.value);
		END IF;
	END LOOP;

	EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', trigname, relation);
	EXECUTE pg_catalog.format(
		'CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION notify.capture(%s)',
		trigname, relation,
		(SELECT pg_catalog.string_agg(pg_catalog.quote_literal(a), ', ') FROM pg_catalog.unnest(args) a));
END
$$;
COMMENT ON FUNCTION notify.attach(regclass, text, name, jsonb) IS
	'API: public. Installs the capture trigger on a table of an existing asset database: which resource it holds and which column is the entity id.';

-- API: private
CREATE FUNCTION notify.check_column(relation regclass, col text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF col IS NULL OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
				   WHERE attrelid OPERATOR(pg_catalog.=) relation
					 AND attname OPERATOR(pg_catalog.=) col
					 AND attnum OPERATOR(pg_catalog.>) 0 AND NOT attisdropped) THEN
		RAISE EXCEPTION 'column "%" of relation % does not exist', col, relation
			USING ERRCODE = 'undefined_column';
	END IF;
END
$$;

-- API: public (notify_admin)
CREATE FUNCTION notify.detach(relation regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS notify_capture ON %s', relation);
END
$$;
COMMENT ON FUNCTION notify.detach(regclass) IS 'API: public. Removes the capture trigger from a table.';

/* ------------------------------------------------------------------------
 * Definition API
 * ------------------------------------------------------------------------ */

-- API: private.  The one place the insert happens, for both create overloads.
CREATE FUNCTION notify.store_notification(resource text, entity_id text, document text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p record;
	new_id text;
BEGIN
	p := notify.parse_document(resource, document);
	INSERT INTO notify.notification (resource, entity_id, event, action_kind, document, summary)
		VALUES (resource, entity_id, p.event, p.action_kind, p.document_xml, p.summary)
		RETURNING id INTO new_id;
	RETURN new_id;
END
$$;

-- API: public (notify_admin)
CREATE FUNCTION notify.create_notification(resource text, document text)
RETURNS text
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT notify.store_notification(resource, NULL, document) $$;
COMMENT ON FUNCTION notify.create_notification(text, text) IS
	'API: public. Creates a resource-wide notification from a NotificationDocument (XML or JSON); returns its id.';

-- API: public (notify_admin)
CREATE FUNCTION notify.create_notification(resource text, entity_id text, document text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF entity_id IS NULL OR entity_id = '' THEN
		RAISE EXCEPTION 'entity id must not be empty'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Use notify.create_notification(resource, document) for a resource-wide notification.';
	END IF;
	IF resource = 'file' THEN
		RAISE EXCEPTION 'file notifications cannot be scoped to one file'
			USING ERRCODE = 'feature_not_supported',
				  DETAIL = 'Only resource-wide file notifications exist.';
	END IF;
	RETURN notify.store_notification(resource, entity_id, document);
END
$$;
COMMENT ON FUNCTION notify.create_notification(text, text, text) IS
	'API: public. Creates a notification scoped to one entity (like /item/{id}/notification); returns its id.';

-- API: private
CREATE FUNCTION notify.find_notification(resource text, id text)
RETURNS notify.notification
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n notify.notification;
BEGIN
	SELECT * INTO n FROM notify.notification x
	 WHERE x.id OPERATOR(pg_catalog.=) find_notification.id
	   AND x.resource OPERATOR(pg_catalog.=) find_notification.resource;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'notification "%" does not exist for resource "%"', id, resource
			USING ERRCODE = 'undefined_object';
	END IF;
	RETURN n;
END
$$;

-- API: public (notify_admin)
CREATE FUNCTION notify.get_notification(resource text, id text, format text DEFAULT 'xml')
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT notify.render_document((notify.find_notification(resource, id)).document, format) $$;
COMMENT ON FUNCTION notify.get_notification(text, text, text) IS
	'API: public. Returns a stored NotificationDocument as XML (default) or JSON (format => ''json'').';

-- API: public (notify_admin)
CREATE FUNCTION notify.update_notification(resource text, id text, document text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p record;
	n notify.notification;
BEGIN
	n := notify.find_notification(resource, id);
	p := notify.parse_document(resource, document);
	UPDATE notify.notification x
	   SET event = p.event, action_kind = p.action_kind, document = p.document_xml,
		   summary = p.summary, updated_at = pg_catalog.now()
	 WHERE x.id OPERATOR(pg_catalog.=) n.id;
	RETURN p.document_xml;
END
$$;
COMMENT ON FUNCTION notify.update_notification(text, text, text) IS
	'API: public. Replaces the action and trigger of a notification; returns the stored document.';

-- API: public (notify_admin)
CREATE FUNCTION notify.delete_notification(resource text, id text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n notify.notification;
BEGIN
	n := notify.find_notification(resource, id);
	DELETE FROM notify.notification x WHERE x.id OPERATOR(pg_catalog.=) n.id;
END
$$;
COMMENT ON FUNCTION notify.delete_notification(text, text) IS
	'API: public. Deletes a notification; its undelivered events are marked failed by the worker (the action is gone) and kept for inspection.';

-- API: public (notify_admin, notify_monitor)
CREATE VIEW notify.notifications AS
	SELECT id, resource, entity_id, event AS trigger, action_kind AS action, summary,
		   created_at, updated_at, created_by
	  FROM notify.notification;
COMMENT ON VIEW notify.notifications IS
	'API: public. Every notification with a readable summary of its trigger and action; credentials masked.';

-- API: public (notify_admin, notify_monitor)
CREATE FUNCTION notify.list_notifications(resource text DEFAULT NULL)
RETURNS TABLE (id text, resource text, entity_id text, trigger text, action text, summary text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT n.id, n.resource, n.entity_id, n.trigger, n.action, n.summary
	  FROM notify.notifications n
	 WHERE list_notifications.resource IS NULL
		OR n.resource OPERATOR(pg_catalog.=) list_notifications.resource
	 ORDER BY pg_catalog.length(n.id), n.id
$$;
COMMENT ON FUNCTION notify.list_notifications(text) IS
	'API: public. One row per notification (optionally of one resource) with its id and a readable, credential-free summary.';

-- API: public (notify_admin)
CREATE FUNCTION notify.set_aws_credential(alias text, access_key text, secret_key text,
										  region text DEFAULT NULL)
RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	INSERT INTO notify.aws_credential AS c (alias, access_key, secret_key, region)
	VALUES (alias, access_key, secret_key, region)
	ON CONFLICT (alias) DO UPDATE
	   SET access_key = excluded.access_key, secret_key = excluded.secret_key, region = excluded.region
$$;
COMMENT ON FUNCTION notify.set_aws_credential(text, text, text, text) IS
	'API: public. Stores AWS credentials under an alias for <sqs><secret>alias</secret> actions.';


/* ------------------------------------------------------------------------
 * Delivery: steering and monitoring
 * ------------------------------------------------------------------------ */

-- API: private.  Wake this database's delivery worker when the transaction commits.
CREATE FUNCTION notify.wake()
RETURNS void
AS 'MODULE_PATHNAME', 'notify_ext_wake'
LANGUAGE C STRICT VOLATILE;

-- API: public (notify_admin)
CREATE FUNCTION notify.set_ordering(resource text, id text, ordering text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n notify.notification;
BEGIN
	IF ordering IS NULL OR ordering NOT IN ('entity', 'endpoint') THEN
		RAISE EXCEPTION 'invalid ordering "%"', ordering
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Use "entity" (one lane per entity and endpoint) or "endpoint" (one lane per endpoint).';
	END IF;
	n := notify.find_notification(resource, id);
	UPDATE notify.notification x SET ordering = set_ordering.ordering, updated_at = pg_catalog.now()
	 WHERE x.id OPERATOR(pg_catalog.=) n.id;
END
$$;
COMMENT ON FUNCTION notify.set_ordering(text, text, text) IS
	'API: public. Delivery order of a notification: "entity" (default: per entity and endpoint, entities in parallel) or "endpoint" (one lane per endpoint, as Vidispine''s one thread per endpoint).';

-- API: private.  Queue failed events again: the one place that does it.
CREATE FUNCTION notify.requeue_failed(ids bigint[])
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	UPDATE notify.outbox o
	   SET status = 'pending', queued = true, attempts_base = o.attempts,
		   next_attempt_at = pg_catalog.now(), lease_until = NULL
	 WHERE o.id OPERATOR(pg_catalog.=) ANY (ids) AND o.status OPERATOR(pg_catalog.=) 'failed';
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM notify.wake();
	RETURN n;
END
$$;

-- API: public (notify_admin)
CREATE FUNCTION notify.redeliver(outbox_id bigint)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	st text;
BEGIN
	SELECT o.status INTO st FROM notify.outbox o WHERE o.id OPERATOR(pg_catalog.=) redeliver.outbox_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'event % does not exist', outbox_id USING ERRCODE = 'undefined_object';
	END IF;
	IF st IS DISTINCT FROM 'failed' THEN
		RAISE EXCEPTION 'event % has not failed', outbox_id
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'Only failed events can be delivered again.';
	END IF;
	RETURN notify.requeue_failed(ARRAY[outbox_id]);
END
$$;
COMMENT ON FUNCTION notify.redeliver(bigint) IS
	'API: public. Queues one failed event (by outbox id) for delivery again, with a fresh retry budget; attempt numbers go on.';

-- API: public (notify_admin)
CREATE FUNCTION notify.redeliver(notification_id text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM notify.notification x WHERE x.id OPERATOR(pg_catalog.=) redeliver.notification_id) THEN
		RAISE EXCEPTION 'notification "%" does not exist', notification_id USING ERRCODE = 'undefined_object';
	END IF;
	RETURN notify.requeue_failed(ARRAY(
		SELECT o.id FROM notify.outbox o
		 WHERE o.notification_id OPERATOR(pg_catalog.=) redeliver.notification_id
		   AND o.status OPERATOR(pg_catalog.=) 'failed'));
END
$$;
COMMENT ON FUNCTION notify.redeliver(text) IS
	'API: public. Queues every failed event of a notification for delivery again; returns how many.';

-- API: public (notify_admin, notify_monitor)
CREATE VIEW notify.delivery_status AS
	SELECT coalesce(n.id, o.notification_id) AS notification_id,
		   n.resource, n.event AS trigger, n.action_kind AS action,
		   coalesce(o.pending, 0) AS pending, coalesce(o.in_flight, 0) AS in_flight,
		   coalesce(o.delivered, 0) AS delivered, coalesce(o.failed, 0) AS failed,
		   o.oldest_pending_age, o.last_attempt_at, o.last_error
	  FROM notify.notification n
	  FULL JOIN (
		SELECT x.notification_id,
			   pg_catalog.count(*) FILTER (WHERE x.status = 'pending') AS pending,
			   pg_catalog.count(*) FILTER (WHERE x.status = 'in_flight') AS in_flight,
			   pg_catalog.count(*) FILTER (WHERE x.status = 'delivered') AS delivered,
			   pg_catalog.count(*) FILTER (WHERE x.status = 'failed') AS failed,
			   pg_catalog.now() OPERATOR(pg_catalog.-)
				 pg_catalog.min(x.created_at) FILTER (WHERE x.status IN ('pending', 'in_flight')) AS oldest_pending_age,
			   pg_catalog.max(x.last_attempt_at) AS last_attempt_at,
			   (pg_catalog.array_agg(x.last_error ORDER BY x.last_attempt_at DESC)
				 FILTER (WHERE x.last_error IS NOT NULL))[1] AS last_error
		  FROM notify.outbox x GROUP BY x.notification_id) o
	  ON o.notification_id = n.id;
COMMENT ON VIEW notify.delivery_status IS
	'API: public. Per notification: events pending, in flight, delivered and failed, age of the oldest undelivered event, last error.';

-- API: public (notify_admin, notify_monitor)
CREATE VIEW notify.delivery_attempts AS
	SELECT a.outbox_id, o.event_id, o.notification_id, a.attempt, a.attempted_at,
		   a.duration_ms, a.status_code, a.error, false AS delivered
	  FROM notify.attempt a LEFT JOIN notify.outbox o ON o.id = a.outbox_id
	UNION ALL
	SELECT o.id, o.event_id, o.notification_id, o.attempts, o.last_attempt_at,
		   o.last_duration_ms, o.last_status, o.last_error, true
	  FROM notify.outbox o WHERE o.status = 'delivered';
COMMENT ON VIEW notify.delivery_attempts IS
	'API: public. One row per delivery attempt: when, how long, the HTTP status code or error, and whether it delivered.';

/* ------------------------------------------------------------------------
 * Delivery site: a restored or copied database does not deliver on its own.
 *
 * notify.delivery_site travels with every dump and clone.  CREATE EXTENSION
 * records this database (its cluster's system identifier and its oid); a
 * restore adds the source's row next to it, a clone (CREATE DATABASE ...
 * TEMPLATE) keeps the template's.  The worker delivers only while every row
 * names its own database and none is a pause (a row with paused set, written
 * by notify.pause_delivery()).  A promoted standby or a base backup has the
 * same identity as its primary and delivers.
 * ------------------------------------------------------------------------ */
CREATE TABLE notify.delivery_site (
	system_identifier bigint NOT NULL,
	database_oid	oid NOT NULL,
	recorded_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	paused			boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE notify.delivery_site IS
	'API: private. The database this one delivers as (cluster system identifier and database oid) and explicit pauses; read it through notify.delivery_state.';
SELECT pg_catalog.pg_extension_config_dump('notify.delivery_site', '');

-- API: private.  This database's site: the cluster's system identifier and its oid.
CREATE VIEW notify.current_site AS
	SELECT c.system_identifier, d.oid AS database_oid
	  FROM pg_catalog.pg_control_system() c, pg_catalog.pg_database d
	 WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database();

INSERT INTO notify.delivery_site (system_identifier, database_oid)
	SELECT system_identifier, database_oid FROM notify.current_site;

-- API: public (notify_admin, notify_monitor)
CREATE VIEW notify.delivery_state AS
	SELECT f.foreign_site IS NOT NULL OR p.paused_at IS NOT NULL AS paused,
		   CASE WHEN f.foreign_site IS NOT NULL THEN 'restored or copied from another database'
				WHEN p.paused_at IS NOT NULL THEN 'paused by notify.pause_delivery()' END AS reason,
		   f.foreign_site AS recorded_site,
		   'system identifier ' OPERATOR(pg_catalog.||) c.system_identifier::text
			 OPERATOR(pg_catalog.||) ', database OID ' OPERATOR(pg_catalog.||) c.database_oid::text AS this_site,
		   p.paused_at
	  FROM notify.current_site c
	  LEFT JOIN LATERAL (
		SELECT 'system identifier ' OPERATOR(pg_catalog.||) s.system_identifier::text
				 OPERATOR(pg_catalog.||) ', database OID ' OPERATOR(pg_catalog.||) s.database_oid::text
				 OPERATOR(pg_catalog.||) ', recorded at '
				 OPERATOR(pg_catalog.||) pg_catalog.to_char(s.recorded_at, 'YYYY-MM-DD HH24:MI:SS TZ') AS foreign_site
		  FROM notify.delivery_site s
		 WHERE (s.system_identifier, s.database_oid) IS DISTINCT FROM (c.system_identifier, c.database_oid)
		 ORDER BY s.recorded_at LIMIT 1) f ON true
	  LEFT JOIN LATERAL (
		SELECT pg_catalog.min(s.recorded_at) AS paused_at
		  FROM notify.delivery_site s WHERE s.paused) p ON true;
COMMENT ON VIEW notify.delivery_state IS
	'API: public. Whether this database''s delivery worker is paused, and why: restored or copied from another database (resume with notify.resume_delivery()) or paused by notify.pause_delivery().';

-- API: public (notify_admin)
CREATE FUNCTION notify.resume_delivery()
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	LOCK TABLE notify.delivery_site IN SHARE ROW EXCLUSIVE MODE;
	DELETE FROM notify.delivery_site;
	INSERT INTO notify.delivery_site (system_identifier, database_oid)
		SELECT c.system_identifier, c.database_oid FROM notify.current_site c;
	PERFORM notify.wake();
END
$$;
COMMENT ON FUNCTION notify.resume_delivery() IS
	'API: public. Lets this database deliver: records it as the delivery site (forgetting the site of a restored or copied database) and lifts a pause.';

-- API: public (notify_admin)
CREATE FUNCTION notify.pause_delivery()
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	LOCK TABLE notify.delivery_site IN SHARE ROW EXCLUSIVE MODE;
	IF NOT EXISTS (SELECT 1 FROM notify.delivery_site s WHERE s.paused) THEN
		INSERT INTO notify.delivery_site (system_identifier, database_oid, paused)
			SELECT c.system_identifier, c.database_oid, true FROM notify.current_site c;
	END IF;
	PERFORM notify.wake();
END
$$;
COMMENT ON FUNCTION notify.pause_delivery() IS
	'API: public. Stops delivery in this database until notify.resume_delivery(); events are still captured.  Events being sent finish.';

/* ------------------------------------------------------------------------
 * The shipped asset tables live in the companion extension
 * notify_ext_assets, so that DROP EXTENSION notify_ext CASCADE keeps their
 * rows.  Whichever of the two extensions is created second attaches
 * capture to them.
 * ------------------------------------------------------------------------ */

-- API: private
CREATE FUNCTION notify.attach_shipped_assets()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	CREATE OR REPLACE TRIGGER notify_capture AFTER INSERT OR UPDATE OR DELETE ON notify.item
		FOR EACH ROW EXECUTE FUNCTION notify.capture('item', 'id=id', 'ignore=created_at', 'ignore=created_by');
	CREATE OR REPLACE TRIGGER notify_capture AFTER INSERT OR UPDATE OR DELETE ON notify.collection
		FOR EACH ROW EXECUTE FUNCTION notify.capture('collection', 'id=id', 'ignore=created_at', 'ignore=created_by');
	CREATE OR REPLACE TRIGGER notify_capture AFTER INSERT OR DELETE ON notify.collection_item
		FOR EACH ROW EXECUTE FUNCTION notify.capture('collection-member', 'id=collection_id');
	CREATE OR REPLACE TRIGGER notify_capture AFTER INSERT OR UPDATE OR DELETE ON notify.storage
		FOR EACH ROW EXECUTE FUNCTION notify.capture('storage', 'id=id');
	CREATE OR REPLACE TRIGGER notify_capture AFTER INSERT OR UPDATE OR DELETE ON notify.file
		FOR EACH ROW EXECUTE FUNCTION notify.capture('file', 'id=id', 'storage=storage_id', 'item=item_id',
													 'path=path', 'state=state', 'hash=hash',
													 'ignore=updated_at');
	CREATE OR REPLACE TRIGGER notify_capture AFTER INSERT ON notify.metadata_change_set
		FOR EACH ROW EXECUTE FUNCTION notify.capture('metadata-change-set', 'id=entity_id',
													 'resource=resource', 'fields=fields', 'changeset=id');
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

/* ------------------------------------------------------------------------
 * Dumps: every table and sequence holding data travels with pg_dump
 * (test/sql/dump_members.sql lists them).
 * ------------------------------------------------------------------------ */
SELECT pg_catalog.pg_extension_config_dump(
	pg_catalog.pg_get_serial_sequence('notify.outbox', 'id')::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('notify.attempt', '');
SELECT pg_catalog.pg_extension_config_dump('notify.change_set_id_seq', '');

/* ------------------------------------------------------------------------
 * Privileges: nothing for PUBLIC; roles get what they need.
 * ------------------------------------------------------------------------ */
REVOKE ALL ON ALL TABLES IN SCHEMA notify FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA notify FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA notify FROM PUBLIC;

GRANT EXECUTE ON FUNCTION
	notify.create_notification(text, text),
	notify.create_notification(text, text, text),
	notify.get_notification(text, text, text),
	notify.update_notification(text, text, text),
	notify.delete_notification(text, text),
	notify.list_notifications(text),
	notify.attach(regclass, text, name, jsonb),
	notify.detach(regclass),
	notify.set_aws_credential(text, text, text, text),
	notify.check_column(regclass, text),
	notify.capture(),
	notify.set_ordering(text, text, text),
	notify.redeliver(bigint),
	notify.redeliver(text),
	notify.resume_delivery(),
	notify.pause_delivery()
	TO notify_admin;
GRANT EXECUTE ON FUNCTION notify.list_notifications(text) TO notify_monitor;
GRANT USAGE ON SEQUENCE notify.change_set_id_seq TO notify_admin;
GRANT SELECT ON notify.notifications, notify.outbox, notify.delivery_status,
	notify.delivery_attempts, notify.delivery_state TO notify_admin, notify_monitor;

