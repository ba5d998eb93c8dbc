/* notify_ext--1.0--1.1.sql: from 1.0 to 1.1 (ALTER EXTENSION notify_ext UPDATE) */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION notify_ext UPDATE TO '1.1'" to load this file. \quit

/*
 * Every change to sql/notify_ext.sql since 1.0, in the same order.
 * test/t/012_upgrade.pl checks that 1.0 plus this script gives the same
 * objects as a fresh 1.1.
 */

/* S3 event messages and bucket notification configurations */
/* ------------------------------------------------------------------------
 * S3 bucket notifications: destinations (an ARN and the action that
 * reaches it) and per-storage NotificationConfiguration documents
 * (src/definition/s3_configuration.c).  Each configuration becomes one
 * notification per file event it covers, with a row in
 * notify.bucket_notification: capture sends those S3 event messages
 * (src/encode/s3_event.c) through the outbox like any notification.
 * ------------------------------------------------------------------------ */
-- sequencers of S3 event messages, drawn under a lock on the object key
-- (src/capture/file.c)
CREATE SEQUENCE notify.s3_sequencer_seq;

CREATE TABLE notify.bucket_destination (
	arn			text PRIMARY KEY,
	action		text NOT NULL,	-- the action element as given: may hold a credential
	owner		oid NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE notify.bucket_destination IS
	'API: private. Destinations of bucket notification configurations: an ARN and the action that delivers to it. Managed with notify.create_bucket_destination and friends.';

CREATE TABLE notify.bucket_configuration (
	storage_id	text PRIMARY KEY,
	bucket		text NOT NULL,
	configuration text NOT NULL,	-- canonical NotificationConfiguration
	owner		oid NOT NULL,
	updated_at	timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE notify.bucket_configuration IS
	'API: private. The NotificationConfiguration of each storage (bucket); set with notify.put_bucket_notification.';

-- no foreign key to notify.notification: pg_dump orders the data of an
-- extension's tables by their foreign keys, and notify.notification must
-- keep being restored after the asset tables, whose capture would
-- otherwise write outbox rows during the restore; put_bucket_notification
-- deletes the notifications, and update/delete_notification refuse them
CREATE TABLE notify.bucket_notification (
	notification_id text PRIMARY KEY,
	storage_id	text NOT NULL
				REFERENCES notify.bucket_configuration (storage_id) ON DELETE CASCADE,
	configuration_id text NOT NULL,
	arn			text NOT NULL REFERENCES notify.bucket_destination (arn),
	bucket		text NOT NULL,
	region		text NOT NULL,
	prefix		text NOT NULL,	-- decoded key prefix, '' for none
	suffix		text NOT NULL
);
CREATE INDEX ON notify.bucket_notification (storage_id);
CREATE INDEX ON notify.bucket_notification (arn);
COMMENT ON TABLE notify.bucket_notification IS
	'API: private. The notifications made of bucket configurations, with what capture needs for their S3 event messages.';
SELECT pg_catalog.pg_extension_config_dump('notify.s3_sequencer_seq', '');
SELECT pg_catalog.pg_extension_config_dump('notify.bucket_destination', '');
SELECT pg_catalog.pg_extension_config_dump('notify.bucket_configuration', '');
SELECT pg_catalog.pg_extension_config_dump('notify.bucket_notification', '');

-- API: private.  The configurations of a NotificationConfiguration,
-- validated (S3's rules); prefix and suffix decoded, file_events the file
-- events their event types cover.
CREATE FUNCTION notify.bucket_configuration_entries(configuration text,
	OUT "position" integer, OUT configuration_id text, OUT kind text, OUT arn text,
	OUT events text[], OUT prefix text, OUT suffix text, OUT file_events text[])
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'notify_ext_bucket_configuration_entries'
LANGUAGE C STRICT STABLE;

-- API: private.  The canonical form of a valid NotificationConfiguration.
CREATE FUNCTION notify.bucket_configuration_xml(configuration text)
RETURNS text
AS 'MODULE_PATHNAME', 'notify_ext_bucket_configuration_xml'
LANGUAGE C STRICT STABLE;

-- API: private.  The NotificationDocument of a bucket notification: the
-- destination's action, trigger <file><event/><storage/></file>.
CREATE FUNCTION notify.bucket_destination_document(action text, storage_id text, event text)
RETURNS text
AS 'MODULE_PATHNAME', 'notify_ext_bucket_destination_document'
LANGUAGE C STRICT STABLE;

-- API: private.  A storage named by its id or (in notify_ext_assets'
-- notify.storage) its name: its id and its bucket name (the storage's
-- name, else its id).
CREATE FUNCTION notify.bucket_storage(storage text, OUT storage_id text, OUT bucket text)
RETURNS record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r record;
BEGIN
	PERFORM notify.require_arg(storage, 'storage');
	storage_id := storage;
	bucket := storage;
	IF pg_catalog.to_regclass('notify.storage') IS NOT NULL THEN
		EXECUTE 'SELECT s.id::text AS id, s.name::text AS name FROM notify.storage s'
			' WHERE s.id::text OPERATOR(pg_catalog.=) $1 OR s.name::text OPERATOR(pg_catalog.=) $1'
			' ORDER BY s.id::text OPERATOR(pg_catalog.=) $1 DESC, s.id LIMIT 1'
			INTO r USING storage;
		IF r.id IS NOT NULL THEN
			storage_id := r.id;
			bucket := COALESCE(NULLIF(r.name, ''), r.id);
		END IF;
	END IF;
	IF storage_id OPERATOR(pg_catalog.!~) '^[A-Za-z0-9_-]+$' THEN
		RAISE EXCEPTION 'invalid storage "%"', notify.quote_value(storage)
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A storage is named by its id (letters, digits, "_" and "-", such as VX-2) or by its name in notify.storage.';
	END IF;
END
$$;

-- API: public (notify_admin)
CREATE FUNCTION notify.create_bucket_destination(arn text, action text)
RETURNS void
AS 'MODULE_PATHNAME', 'notify_ext_definition_api'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION notify.create_bucket_destination(text, text) IS
	'API: public. Registers a destination ARN for bucket notification configurations with the action (an <http> or <sqs> element) that delivers to it.';

-- API: private
CREATE FUNCTION notify.create_bucket_destination_impl(caller oid, arn text, action text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM notify.require_arg(arn, 'arn');
	PERFORM notify.require_arg(action, 'action');
	IF arn OPERATOR(pg_catalog.!~) '^arn:[A-Za-z0-9-]+:[A-Za-z0-9-]+:[A-Za-z0-9-]*:[A-Za-z0-9-]*:[^[:cntrl:][:space:]]+$' THEN
		RAISE EXCEPTION 'invalid destination ARN "%"', notify.quote_value(arn)
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'An ARN reads arn:partition:service:region:account:resource, such as arn:aws:sqs:eu-west-1:123456789012:uploads or arn:minio:sqs::1:webhook.';
	END IF;
	IF EXISTS (SELECT 1 FROM notify.bucket_destination d WHERE d.arn OPERATOR(pg_catalog.=) create_bucket_destination_impl.arn) THEN
		RAISE EXCEPTION 'bucket destination "%" already exists', notify.quote_value(arn)
			USING ERRCODE = 'duplicate_object',
				  HINT = 'Drop it first with notify.drop_bucket_destination.';
	END IF;
	-- the action is checked as the notifications made of it will be
	PERFORM notify.parse_checked(caller, 'file',
		notify.bucket_destination_document(action, 'VX-0', 'file.new'));
	INSERT INTO notify.bucket_destination (arn, action, owner) VALUES (arn, action, caller);
END
$$;

-- API: public (notify_admin)
CREATE FUNCTION notify.drop_bucket_destination(arn text)
RETURNS void
AS 'MODULE_PATHNAME', 'notify_ext_definition_api'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION notify.drop_bucket_destination(text) IS
	'API: public. Removes a bucket destination that no configuration names.';

-- API: private
CREATE FUNCTION notify.drop_bucket_destination_impl(caller oid, arn text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	d notify.bucket_destination;
	used text;
BEGIN
	PERFORM notify.require_arg(arn, 'arn');
	SELECT * INTO d FROM notify.bucket_destination x
	 WHERE x.arn OPERATOR(pg_catalog.=) drop_bucket_destination_impl.arn FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'bucket destination "%" does not exist', notify.quote_value(arn)
			USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM notify.require_owner(caller, d.owner,
		pg_catalog.format('bucket destination "%s"', d.arn));
	SELECT b.storage_id INTO used FROM notify.bucket_notification b
	 WHERE b.arn OPERATOR(pg_catalog.=) d.arn LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'bucket destination "%" is used by the notification configuration of storage "%"',
			notify.quote_value(arn), used
			USING ERRCODE = 'dependent_objects_still_exist',
				  HINT = 'Remove it from that configuration with notify.put_bucket_notification first.';
	END IF;
	DELETE FROM notify.bucket_destination x WHERE x.arn OPERATOR(pg_catalog.=) d.arn;
END
$$;

-- API: public (notify_admin, notify_monitor)
CREATE FUNCTION notify.list_bucket_destinations(OUT arn text, OUT action_kind text,
	OUT summary text, OUT owner name, OUT created_at timestamptz)
RETURNS SETOF record
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT d.arn, p.action_kind, p.summary, pg_catalog.pg_get_userbyid(d.owner), d.created_at
	  FROM notify.bucket_destination d,
		   LATERAL notify.parse_document('file',
				notify.bucket_destination_document(d.action, 'VX-0', 'file.new'), d.owner) p
	 ORDER BY d.arn
$$;
COMMENT ON FUNCTION notify.list_bucket_destinations() IS
	'API: public. The bucket destinations, their actions summarized with credentials masked.';

-- API: public (notify_admin)
CREATE FUNCTION notify.put_bucket_notification(storage text, configuration text)
RETURNS void
AS 'MODULE_PATHNAME', 'notify_ext_definition_api'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION notify.put_bucket_notification(text, text) IS
	'API: public. Replaces the notification configuration of a storage (S3 NotificationConfiguration XML; empty removes it) and sends s3:TestEvent to each destination.';

-- API: private
CREATE FUNCTION notify.put_bucket_notification_impl(caller oid, storage text, configuration text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s record;
	canon text;
	old notify.bucket_configuration;
	e record;
	d notify.bucket_destination;
	ev text;
	nid text;
	tested text[] := '{}';
	n integer := 0;
BEGIN
	PERFORM notify.require_arg(configuration, 'configuration');
	s := notify.bucket_storage(storage);
	canon := notify.bucket_configuration_xml(configuration);
	SELECT * INTO old FROM notify.bucket_configuration c
	 WHERE c.storage_id OPERATOR(pg_catalog.=) s.storage_id FOR UPDATE;
	IF FOUND THEN
		PERFORM notify.require_owner(caller, old.owner,
			pg_catalog.format('the notification configuration of storage "%s"', s.storage_id));
	END IF;
	FOR e IN SELECT * FROM notify.bucket_configuration_entries(configuration) LOOP
		IF NOT EXISTS (SELECT 1 FROM notify.bucket_destination x
						WHERE x.arn OPERATOR(pg_catalog.=) e.arn) THEN
			RAISE EXCEPTION 'configuration "%" names unknown destination "%"',
				notify.quote_value(e.configuration_id), notify.quote_value(e.arn)
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = 'Register the destination first with notify.create_bucket_destination.';
		END IF;
		n := n OPERATOR(pg_catalog.+) 1;
	END LOOP;

	DELETE FROM notify.notification x USING notify.bucket_notification b
	 WHERE b.notification_id OPERATOR(pg_catalog.=) x.id
	   AND b.storage_id OPERATOR(pg_catalog.=) s.storage_id;
	DELETE FROM notify.bucket_configuration c
	 WHERE c.storage_id OPERATOR(pg_catalog.=) s.storage_id;
	IF n OPERATOR(pg_catalog.=) 0 THEN
		RETURN;
	END IF;

	INSERT INTO notify.bucket_configuration (storage_id, bucket, configuration, owner)
		VALUES (s.storage_id, s.bucket, canon, caller);
	FOR e IN SELECT * FROM notify.bucket_configuration_entries(configuration) ORDER BY 1 LOOP
		SELECT * INTO d FROM notify.bucket_destination x WHERE x.arn OPERATOR(pg_catalog.=) e.arn;
		FOREACH ev IN ARRAY e.file_events LOOP
			nid := notify.store_notification(caller, 'file', NULL,
				notify.bucket_destination_document(d.action, s.storage_id, ev));
			INSERT INTO notify.bucket_notification (notification_id, storage_id, configuration_id,
													arn, bucket, region, prefix, suffix)
				VALUES (nid, s.storage_id, e.configuration_id, e.arn, s.bucket,
						pg_catalog.split_part(e.arn, ':', 4), e.prefix, e.suffix);
			-- one s3:TestEvent per destination, through one of its notifications
			IF NOT e.arn OPERATOR(pg_catalog.=) ANY (tested) THEN
				tested := tested OPERATOR(pg_catalog.||) e.arn;
				INSERT INTO notify.outbox (notification_id, resource, event, entity_id, payload)
					VALUES (nid, 'file', 's3:TestEvent', s.storage_id,
						pg_catalog.json_build_object(
							'Event', pg_catalog.json_build_array('s3:TestEvent'),
							'Time', pg_catalog.json_build_array(pg_catalog.to_char(
								pg_catalog.now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
							'Bucket', pg_catalog.json_build_array(s.bucket),
							'RequestId', pg_catalog.json_build_array(pg_catalog.upper(pg_catalog.lpad(
								pg_catalog.to_hex(pg_catalog.txid_current()), 16, '0'))),
							'HostId', pg_catalog.json_build_array(pg_catalog.upper(pg_catalog.lpad(
								pg_catalog.to_hex((SELECT c.system_identifier FROM pg_catalog.pg_control_system() c)),
								16, '0')))));
				PERFORM notify.wake();
			END IF;
		END LOOP;
	END LOOP;
END
$$;

-- API: public (notify_admin, notify_monitor)
CREATE FUNCTION notify.get_bucket_notification(storage text)
RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s record;
	conf text;
BEGIN
	s := notify.bucket_storage(storage);
	SELECT c.configuration INTO conf FROM notify.bucket_configuration c
	 WHERE c.storage_id OPERATOR(pg_catalog.=) s.storage_id;
	RETURN COALESCE(conf,
		'<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>');
END
$$;
COMMENT ON FUNCTION notify.get_bucket_notification(text) IS
	'API: public. The notification configuration of a storage (canonical S3 NotificationConfiguration XML; empty when none).';

-- API: private.  ERROR unless notification id is not one of a bucket
-- configuration (those change only with notify.put_bucket_notification).
CREATE FUNCTION notify.refuse_bucket_notification(id text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	sid text;
BEGIN
	SELECT b.storage_id INTO sid FROM notify.bucket_notification b
	 WHERE b.notification_id OPERATOR(pg_catalog.=) refuse_bucket_notification.id;
	IF FOUND THEN
		RAISE EXCEPTION 'notification "%" belongs to the notification configuration of storage "%"',
			id, sid
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Change that configuration with notify.put_bucket_notification.';
	END IF;
END
$$;

-- its notifications change only with notify.put_bucket_notification
CREATE OR REPLACE FUNCTION notify.update_notification_impl(caller oid, resource text, id text,
												document text)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p record;
	n notify.notification;
BEGIN
	n := notify.find_owned_notification(caller, resource, id);
	PERFORM notify.refuse_bucket_notification(n.id);
	-- actions run as the owner: the owner must be able to use what it names
	p := notify.parse_checked(n.owner, resource, document);
	IF caller OPERATOR(pg_catalog.<>) n.owner THEN
		PERFORM notify.parse_checked(caller, resource, document);
	END IF;
	UPDATE notify.notification x
	   SET event = p.event, action_kind = p.action_kind, document = p.document_xml,
		   summary = p.summary, updated_at = pg_catalog.now()
	 WHERE x.id OPERATOR(pg_catalog.=) n.id;
	PERFORM notify.store_secrets(n.id, n.owner, p.url_password, p.sqs_secret);
	RETURN p.document_xml;
END
$$;

-- its notifications change only with notify.put_bucket_notification
CREATE OR REPLACE FUNCTION notify.delete_notification_impl(caller oid, resource text, id text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n notify.notification;
BEGIN
	n := notify.find_owned_notification(caller, resource, id);
	PERFORM notify.refuse_bucket_notification(n.id);
	DELETE FROM notify.notification x WHERE x.id OPERATOR(pg_catalog.=) n.id;
END
$$;

-- file tables give their size column to capture (S3 event messages)
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
			   'state=state', 'hash=hash', 'size=size', 'ignore=updated_at']),
		('notify.metadata_change_set'::regclass, 'INSERT',
		 ARRAY['metadata-change-set', 'id=entity_id', 'resource=resource',
			   'fields=fields', 'changeset=id'])) AS v(rel, events, args)
	LOOP
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

REVOKE ALL ON notify.bucket_destination, notify.bucket_configuration,
	notify.bucket_notification FROM PUBLIC;
REVOKE ALL ON SEQUENCE notify.s3_sequencer_seq FROM PUBLIC;
REVOKE ALL ON FUNCTION
	notify.bucket_configuration_entries(text),
	notify.bucket_configuration_xml(text),
	notify.bucket_destination_document(text, text, text),
	notify.bucket_storage(text),
	notify.create_bucket_destination(text, text),
	notify.create_bucket_destination_impl(oid, text, text),
	notify.drop_bucket_destination(text),
	notify.drop_bucket_destination_impl(oid, text),
	notify.list_bucket_destinations(),
	notify.put_bucket_notification(text, text),
	notify.put_bucket_notification_impl(oid, text, text),
	notify.get_bucket_notification(text),
	notify.refuse_bucket_notification(text)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	notify.create_bucket_destination(text, text),
	notify.drop_bucket_destination(text),
	notify.put_bucket_notification(text, text)
	TO notify_admin;
GRANT EXECUTE ON FUNCTION
	notify.list_bucket_destinations(),
	notify.get_bucket_notification(text)
	TO notify_admin, notify_monitor;
