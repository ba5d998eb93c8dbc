/* notify_ext--1.0--1.1.sql: from 1.0 to 1.1 (ALTER EXTENSION notify_ext UPDATE) */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION notify_ext UPDATE TO '1.1'" to load this file. \quit

/*
 * Every change to sql/notify_ext.sql since 1.0, in the same order.
 * test/t/012_upgrade.pl checks that 1.0 plus this script gives the same
 * objects as a fresh 1.1.
 */

/* Operating the outbox: retrying and discarded states, discard, redeliver
 * by time window, deletes fail waiting events, worker status. */
ALTER TABLE notify.outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE notify.outbox ADD CONSTRAINT outbox_status_check
	CHECK (status IN ('pending', 'in_flight', 'retrying', 'delivered', 'failed', 'discarded'));
-- rows a 1.1 worker would have recorded as retrying
UPDATE notify.outbox SET status = 'retrying'
 WHERE status = 'in_flight' AND NOT queued AND attempts > attempts_base;
COMMENT ON TABLE notify.outbox IS
	'API: public (read). Durable outbox: one row per captured event and matching notification, with its delivery state: pending, in_flight (claimed by the delivery worker, being sent or next in its lane), retrying (waiting for its next attempt at next_attempt_at), delivered, failed, discarded (notify.discard: never delivered).';

COMMENT ON FUNCTION notify.delete_notification(text, text) IS
	'API: public. Deletes a notification the caller owns; its undelivered events fail at once with last_error ''notification <id> was deleted'' and are kept for inspection.';

-- API: private
CREATE OR REPLACE FUNCTION notify.delete_notification_impl(caller oid, resource text, id text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n notify.notification;
BEGIN
	n := notify.find_owned_notification(caller, resource, id);
	DELETE FROM notify.notification x WHERE x.id OPERATOR(pg_catalog.=) n.id;
	-- the worker drops what it holds of them (the delete invalidates its
	-- definitions); an attempt being sent keeps this status unless it delivers
	UPDATE notify.outbox o
	   SET status = 'failed', queued = false, lease_until = NULL,
		   last_error = pg_catalog.format('notification %s was deleted', n.id)
	 WHERE o.notification_id OPERATOR(pg_catalog.=) n.id
	   AND o.status IN ('pending', 'in_flight', 'retrying');
	PERFORM notify.wake();
END
$$;

-- API: private.  Queue failed events again, returning the ids it queued.
CREATE FUNCTION notify.requeue_failed_ids(ids bigint[])
RETURNS bigint[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	done bigint[];
BEGIN
	WITH q AS (
		UPDATE notify.outbox o
		   SET status = 'pending', queued = true, attempts_base = o.attempts,
			   next_attempt_at = pg_catalog.now(), lease_until = NULL
		 WHERE o.id OPERATOR(pg_catalog.=) ANY (ids) AND o.status OPERATOR(pg_catalog.=) 'failed'
		RETURNING o.id)
	SELECT COALESCE(pg_catalog.array_agg(q.id ORDER BY q.id), '{}') INTO done FROM q;
	PERFORM notify.wake();
	RETURN done;
END
$$;

-- API: private.  ERROR 22004/22023 unless [from, until) is a time window.
CREATE FUNCTION notify.require_window(created_from timestamptz, created_until timestamptz)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM notify.require_arg(created_from, 'created_from');
	PERFORM notify.require_arg(created_until, 'created_until');
	IF created_from OPERATOR(pg_catalog.>) created_until THEN
		RAISE EXCEPTION 'invalid time window'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('created_from (%s) is after created_until (%s).',
											 created_from, created_until);
	END IF;
END
$$;

-- API: private.  The events created in [from, until) of notifications
-- caller may act for, of one notification when notification_id is given
-- (ERROR unless it exists and caller owns it).  Events of a deleted
-- notification are included for superusers only.
CREATE FUNCTION notify.events_in_window(caller oid, created_from timestamptz,
										created_until timestamptz, notification_id text)
RETURNS SETOF notify.outbox
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	owner oid;
	is_super boolean;
BEGIN
	PERFORM notify.require_window(created_from, created_until);
	IF notification_id IS NOT NULL THEN
		SELECT n.owner INTO owner FROM notify.notification n
		 WHERE n.id OPERATOR(pg_catalog.=) events_in_window.notification_id;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'notification "%" does not exist', notify.quote_value(notification_id)
				USING ERRCODE = 'undefined_object';
		END IF;
		PERFORM notify.require_owner(caller, owner, pg_catalog.format('notification "%s"', notification_id));
	END IF;
	SELECT r.rolsuper INTO is_super FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) caller;
	RETURN QUERY
		SELECT o.* FROM notify.outbox o
		  LEFT JOIN notify.notification n ON n.id OPERATOR(pg_catalog.=) o.notification_id
		 WHERE o.created_at OPERATOR(pg_catalog.>=) created_from
		   AND o.created_at OPERATOR(pg_catalog.<) created_until
		   AND (events_in_window.notification_id IS NULL
				OR o.notification_id OPERATOR(pg_catalog.=) events_in_window.notification_id)
		   AND CASE WHEN n.id IS NULL THEN coalesce(is_super, false)
					ELSE pg_catalog.pg_has_role(caller, n.owner, 'USAGE') END;
END
$$;

-- API: public (notify_admin)
CREATE FUNCTION notify.redeliver(created_from timestamptz, created_until timestamptz,
								 notification_id text DEFAULT NULL,
								 last_status integer DEFAULT NULL,
								 error_pattern text DEFAULT NULL)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'notify_ext_definition_api'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION notify.redeliver(timestamptz, timestamptz, text, integer, text) IS
	'API: public. Queues again the failed events created in [created_from, created_until) of the notifications the caller owns (or of one), optionally only those whose last attempt had HTTP status last_status or a last_error matching the regular expression error_pattern; returns the outbox ids queued.';

-- API: private
CREATE FUNCTION notify.redeliver_impl(caller oid, created_from timestamptz,
									  created_until timestamptz, notification_id text,
									  last_status integer, error_pattern text)
RETURNS bigint[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF last_status IS NOT NULL AND (last_status OPERATOR(pg_catalog.<) 100
									OR last_status OPERATOR(pg_catalog.>) 599) THEN
		RAISE EXCEPTION 'invalid HTTP status %', last_status
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'An HTTP status is between 100 and 599.';
	END IF;
	RETURN notify.requeue_failed_ids(ARRAY(
		SELECT w.id FROM notify.events_in_window(caller, created_from, created_until,
												 notification_id) w
		 WHERE w.status OPERATOR(pg_catalog.=) 'failed'
		   AND (redeliver_impl.last_status IS NULL
				OR w.last_status OPERATOR(pg_catalog.=) redeliver_impl.last_status)
		   AND (error_pattern IS NULL OR w.last_error OPERATOR(pg_catalog.~) error_pattern)
		 ORDER BY w.id));
END
$$;

-- API: private.  Tell the delivery worker that events changed under it
-- (it drops those it holds that are no longer in_flight or retrying), at
-- commit.
CREATE FUNCTION notify.events_changed()
RETURNS void
AS 'MODULE_PATHNAME', 'notify_ext_events_changed'
LANGUAGE C STRICT VOLATILE;

-- API: private.  Discard events: the one place that does it.  Only events
-- not yet delivered (pending, in_flight, retrying, failed); returns the ids.
CREATE FUNCTION notify.discard_events(ids bigint[])
RETURNS bigint[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	done bigint[];
BEGIN
	WITH d AS (
		UPDATE notify.outbox o
		   SET status = 'discarded', queued = false, lease_until = NULL
		 WHERE o.id OPERATOR(pg_catalog.=) ANY (ids)
		   AND o.status IN ('pending', 'in_flight', 'retrying', 'failed')
		RETURNING o.id)
	SELECT COALESCE(pg_catalog.array_agg(d.id ORDER BY d.id), '{}') INTO done FROM d;
	IF pg_catalog.cardinality(done) OPERATOR(pg_catalog.>) 0 THEN
		PERFORM notify.events_changed();
	END IF;
	RETURN done;
END
$$;

-- API: public (notify_admin)
CREATE FUNCTION notify.discard(outbox_id bigint)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'notify_ext_definition_api'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION notify.discard(bigint) IS
	'API: public. Discards one undelivered event (by outbox id) of a notification the caller owns: it is never delivered; returns its id.';

-- API: private
CREATE FUNCTION notify.discard_impl(caller oid, outbox_id bigint)
RETURNS bigint[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	o notify.outbox;
	owner oid;
BEGIN
	PERFORM notify.require_arg(outbox_id, 'outbox_id');
	SELECT * INTO o FROM notify.outbox x WHERE x.id OPERATOR(pg_catalog.=) discard_impl.outbox_id
	   FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'event % does not exist', outbox_id USING ERRCODE = 'undefined_object';
	END IF;
	SELECT n.owner INTO owner FROM notify.notification n
	 WHERE n.id OPERATOR(pg_catalog.=) o.notification_id;
	IF NOT FOUND THEN
		-- a deleted notification's events: superusers only
		IF NOT coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r
						  WHERE r.oid OPERATOR(pg_catalog.=) caller), false) THEN
			RAISE EXCEPTION 'notification "%" of event % does not exist', o.notification_id, outbox_id
				USING ERRCODE = 'undefined_object',
					  HINT = 'Only a superuser may discard the events of a deleted notification.';
		END IF;
	ELSE
		PERFORM notify.require_owner(caller, owner, pg_catalog.format('notification "%s"', o.notification_id));
	END IF;
	IF o.status NOT IN ('pending', 'in_flight', 'retrying', 'failed') THEN
		RAISE EXCEPTION 'event % cannot be discarded', outbox_id
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = pg_catalog.format('It is %s already.', o.status);
	END IF;
	RETURN notify.discard_events(ARRAY[outbox_id]);
END
$$;

-- API: public (notify_admin)
CREATE FUNCTION notify.discard(notification_id text)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'notify_ext_definition_api'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION notify.discard(text) IS
	'API: public. Discards every undelivered event of a notification the caller owns; returns the outbox ids discarded.';

-- API: private
CREATE FUNCTION notify.discard_impl(caller oid, notification_id text)
RETURNS bigint[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	owner oid;
BEGIN
	PERFORM notify.require_arg(notification_id, 'notification_id');
	SELECT n.owner INTO owner FROM notify.notification n
	 WHERE n.id OPERATOR(pg_catalog.=) discard_impl.notification_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'notification "%" does not exist', notify.quote_value(notification_id)
			USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM notify.require_owner(caller, owner, pg_catalog.format('notification "%s"', notification_id));
	RETURN notify.discard_events(ARRAY(
		SELECT o.id FROM notify.outbox o
		 WHERE o.notification_id OPERATOR(pg_catalog.=) discard_impl.notification_id
		   AND o.status IN ('pending', 'in_flight', 'retrying', 'failed')));
END
$$;

-- API: public (notify_admin)
CREATE FUNCTION notify.discard(created_from timestamptz, created_until timestamptz,
							   notification_id text DEFAULT NULL)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'notify_ext_definition_api'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION notify.discard(timestamptz, timestamptz, text) IS
	'API: public. Discards the undelivered events created in [created_from, created_until) of the notifications the caller owns (or of one); returns the outbox ids discarded.';

-- API: private
CREATE FUNCTION notify.discard_impl(caller oid, created_from timestamptz,
									created_until timestamptz, notification_id text)
RETURNS bigint[]
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT notify.discard_events(ARRAY(
		SELECT w.id FROM notify.events_in_window(caller, created_from, created_until,
												 notification_id) w
		 WHERE w.status IN ('pending', 'in_flight', 'retrying', 'failed')))
$$;

-- API: public (notify_admin, notify_monitor)
CREATE OR REPLACE VIEW notify.delivery_status AS
	SELECT coalesce(n.id, o.notification_id) AS notification_id,
		   n.resource, n.event AS trigger, n.action_kind AS action,
		   coalesce(o.pending, 0) AS pending, coalesce(o.in_flight, 0) AS in_flight,
		   coalesce(o.delivered, 0) AS delivered, coalesce(o.failed, 0) AS failed,
		   o.oldest_pending_age, o.last_attempt_at, o.last_error,
		   coalesce(o.retrying, 0) AS retrying, coalesce(o.discarded, 0) AS discarded
	  FROM notify.notification n
	  FULL JOIN (
		SELECT x.notification_id,
			   pg_catalog.count(*) FILTER (WHERE x.status = 'pending') AS pending,
			   pg_catalog.count(*) FILTER (WHERE x.status = 'in_flight') AS in_flight,
			   pg_catalog.count(*) FILTER (WHERE x.status = 'delivered') AS delivered,
			   pg_catalog.count(*) FILTER (WHERE x.status = 'failed') AS failed,
			   pg_catalog.count(*) FILTER (WHERE x.status = 'retrying') AS retrying,
			   pg_catalog.count(*) FILTER (WHERE x.status = 'discarded') AS discarded,
			   pg_catalog.now() OPERATOR(pg_catalog.-)
				 pg_catalog.min(x.created_at) FILTER (WHERE x.status IN ('pending', 'in_flight', 'retrying')) AS oldest_pending_age,
			   pg_catalog.max(x.last_attempt_at) AS last_attempt_at,
			   (pg_catalog.array_agg(x.last_error ORDER BY x.last_attempt_at DESC)
				 FILTER (WHERE x.last_error IS NOT NULL))[1] AS last_error
		  FROM notify.outbox x GROUP BY x.notification_id) o
	  ON o.notification_id = n.id;
COMMENT ON VIEW notify.delivery_status IS
	'API: public. Per notification: events pending, in flight, retrying (waiting for their next attempt), delivered, failed and discarded, age of the oldest undelivered event, last error.';

-- API: private.  The launcher's worker slots in use (shared memory):
-- database, worker pid (0 while starting), when it started.  No rows
-- when the library is not preloaded.
CREATE FUNCTION notify.worker_slots(OUT database_oid oid, OUT pid integer,
	OUT started_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'notify_ext_worker_slots'
LANGUAGE C STRICT VOLATILE;

-- API: public (notify_admin, notify_monitor)
CREATE VIEW notify.worker_status AS
	SELECT d.datname AS database, coalesce(s.pid, 0) OPERATOR(pg_catalog.<>) 0 AS running,
		   CASE WHEN s.pid OPERATOR(pg_catalog.<>) 0 THEN s.pid END AS pid,
		   CASE WHEN s.pid OPERATOR(pg_catalog.<>) 0 THEN s.started_at END AS started_at,
		   d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database() AS current
	  FROM pg_catalog.pg_database d
	  LEFT JOIN notify.worker_slots() s ON s.database_oid OPERATOR(pg_catalog.=) d.oid
	 WHERE s.database_oid IS NOT NULL
		OR d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database();
COMMENT ON VIEW notify.worker_status IS
	'API: public. Delivery workers from the launcher''s shared memory: one row per database with a worker slot, and one for this database in any case; running, pid and start time of its worker.';

REVOKE ALL ON FUNCTION
	notify.requeue_failed_ids(bigint[]),
	notify.require_window(timestamptz, timestamptz),
	notify.events_in_window(oid, timestamptz, timestamptz, text),
	notify.redeliver(timestamptz, timestamptz, text, integer, text),
	notify.redeliver_impl(oid, timestamptz, timestamptz, text, integer, text),
	notify.events_changed(),
	notify.discard_events(bigint[]),
	notify.discard(bigint),
	notify.discard_impl(oid, bigint),
	notify.discard(text),
	notify.discard_impl(oid, text),
	notify.discard(timestamptz, timestamptz, text),
	notify.discard_impl(oid, timestamptz, timestamptz, text),
	notify.worker_slots()
	FROM PUBLIC;
REVOKE ALL ON notify.worker_status FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	notify.redeliver(timestamptz, timestamptz, text, integer, text),
	notify.discard(bigint),
	notify.discard(text),
	notify.discard(timestamptz, timestamptz, text)
	TO notify_admin;
GRANT SELECT ON notify.worker_status TO notify_admin, notify_monitor;
-- notify.worker_status calls it as the reader
GRANT EXECUTE ON FUNCTION notify.worker_slots() TO notify_admin, notify_monitor;
