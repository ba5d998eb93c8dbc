/*
 * notify_ext.sql
 *	The current version of notify_ext.  The Makefile installs it as
 *	notify_ext--<default_version>.sql; every change to it since the last
 *	release also goes into that release's upgrade script
 *	(notify_ext--<previous>--<default_version>.sql).
 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION notify_ext" to load this file. \quit

/*
 * Roles.  Roles are cluster-wide, so they are created only when missing and
 * survive DROP EXTENSION (as pg_monitor-style roles do).
 *   notify_admin    defines notifications and steers their delivery
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
-- API: private.  Whether a text names a notification resource: the CHECK of
-- notify.notification.resource, reading the one list the C code uses.
CREATE FUNCTION notify.is_resource(resource text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'notify_ext_is_resource'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE TABLE notify.notification (
	id			text PRIMARY KEY DEFAULT notify.next_vx_id('notify.notification_id_seq'),
	resource	text NOT NULL CHECK (notify.is_resource(resource)),
	entity_id	text,
	event		text NOT NULL,
	action_kind text NOT NULL,
	document	text NOT NULL,	-- canonical, credentials replaced by "***"
	summary		text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	updated_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	owner		oid NOT NULL,	-- the role that created it; actions run as it
	ordering	text NOT NULL DEFAULT 'entity' CHECK (ordering IN ('entity', 'endpoint')),
	signing_alias text		-- notify.signing_secret signing its requests, or NULL
);
CREATE INDEX ON notify.notification (resource, entity_id);
COMMENT ON TABLE notify.notification IS
	'API: private. Notification definitions: the canonical NotificationDocument (XML, credentials masked) and the facts the capture trigger matches on. Managed through notify.create_notification and friends.';
SELECT pg_catalog.pg_extension_config_dump('notify.notification', '');
SELECT pg_catalog.pg_extension_config_dump('notify.notification_id_seq', '');

/*
 * Secrets.  A stored document never holds a credential: the password of an
 * <http><url> and the secret key of an <sqs> action with <accessKey> are
 * replaced by "***" in it and kept here, one row per notification.  Only
 * the extension owner (the definition cache, the worker) reads them; the
 * role owning a notification (and superusers) may SELECT its own row.
 */
CREATE TABLE notify.notification_secret (
	notification_id text PRIMARY KEY
				REFERENCES notify.notification (id) ON DELETE CASCADE,
	owner		oid NOT NULL,
	url_password text,
	sqs_secret	text
);
COMMENT ON TABLE notify.notification_secret IS
	'API: private. Credentials of notifications (URL passwords, SQS secret keys), kept out of the stored documents; each role reads only its own.';
ALTER TABLE notify.notification_secret ENABLE ROW LEVEL SECURITY;
CREATE POLICY notification_secret_owner ON notify.notification_secret FOR SELECT
	USING (pg_catalog.pg_has_role(owner, 'USAGE'));
SELECT pg_catalog.pg_extension_config_dump('notify.notification_secret', '');

/*
 * Credentials for <sqs> actions that name a stored secret (<secret>alias</secret>
 * without <accessKey>), the counterpart of Vidispine's secret store.  An
 * alias belongs to the role that stored it first: only that role (or a
 * member, or a superuser) may replace it, read it or name it in an action.
 */
CREATE TABLE notify.aws_credential (
	alias		text PRIMARY KEY,
	access_key	text NOT NULL,
	secret_key	text NOT NULL,
	region		text,
	owner		oid NOT NULL
);
COMMENT ON TABLE notify.aws_credential IS
	'API: private. AWS credentials referenced by alias from <sqs><secret>; each role reads only its own.';
ALTER TABLE notify.aws_credential ENABLE ROW LEVEL SECURITY;
CREATE POLICY aws_credential_owner ON notify.aws_credential FOR SELECT
	USING (pg_catalog.pg_has_role(owner, 'USAGE'));
SELECT pg_catalog.pg_extension_config_dump('notify.aws_credential', '');

/*
 * Signing secrets of <http> actions (Standard Webhooks), referenced by
 * alias from notify.notification.signing_alias (notify.set_signing).  Kept
 * like notify.aws_credential: an alias belongs to the role that stored it
 * first, each role reads only its own rows, and no view shows them.
 * previous_secret is the secret being rotated out: requests carry a
 * signature with each while it is set.
 */
CREATE TABLE notify.signing_secret (
	alias		text PRIMARY KEY,
	secret		text NOT NULL,	-- "whsec_" and the base64 of the key
	previous_secret text,
	owner		oid NOT NULL
);
COMMENT ON TABLE notify.signing_secret IS
	'API: private. Standard Webhooks signing secrets referenced by alias from notify.set_signing; each role reads only its own.';
ALTER TABLE notify.signing_secret ENABLE ROW LEVEL SECURITY;
CREATE POLICY signing_secret_owner ON notify.signing_secret FOR SELECT
	USING (pg_catalog.pg_has_role(owner, 'USAGE'));
SELECT pg_catalog.pg_extension_config_dump('notify.signing_secret', '');

/* ------------------------------------------------------------------------
 * C entry points
 * ------------------------------------------------------------------------ */

-- API: private.  Parse and validate a NotificationDocument for a resource,
-- as defined by role run_as: document_xml has its credentials masked, which
-- come back in url_password and sqs_secret; credential_alias is the alias
-- an <sqs> action names.
CREATE FUNCTION notify.parse_document(resource text, document text, run_as oid,
	OUT document_xml text, OUT event text, OUT action_kind text, OUT summary text,
	OUT url_password text, OUT sqs_secret text, OUT credential_alias text)
RETURNS record
AS 'MODULE_PATHNAME', 'notify_ext_parse_document'
LANGUAGE C STRICT STABLE;

-- API: private.  Render a stored document as 'xml' or 'json'.
CREATE FUNCTION notify.render_document(document text, format text)
RETURNS text
AS 'MODULE_PATHNAME', 'notify_ext_render_document'
LANGUAGE C STRICT IMMUTABLE;

-- API: private.  The SSRF guard of <http> delivery applied to a URL: the
-- refusal a delivery would record, or NULL.  A NULL list stands for the
-- setting's current value.  For tests; granted to nobody.
CREATE FUNCTION notify.check_url_host(url text,
	allowed_hosts text DEFAULT NULL, denied_hosts text DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'notify_ext_check_url_host'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

-- API: private.  The SSRF guard's refusal of a URL's host under the
-- current settings, without a name lookup (as notify.create_notification
-- checks an <http> URL), or NULL.  Granted to nobody.
CREATE FUNCTION notify.url_refusal(url text)
RETURNS text
AS 'MODULE_PATHNAME', 'notify_ext_url_refusal'
LANGUAGE C STRICT VOLATILE;

-- API: private.  The retry policy of delivery (src/delivery/retry.c) on
-- the given attempt: outcome is 'delivered', 'no_answer', 'answered' or
-- 'refused'; "now" and the jitter (0 to 1) are given, so the answer is
-- reproducible.  For tests; granted to nobody.
CREATE FUNCTION notify.retry_decision(outcome text, status integer,
	retry_after_ms integer, attempt integer, attempts_base integer,
	retry integer, synchronous boolean, backoff_base_ms integer,
	backoff_max_ms integer, now timestamptz, jitter double precision,
	OUT verdict text, OUT next_attempt_at timestamptz)
RETURNS record
AS 'MODULE_PATHNAME', 'notify_ext_retry_decision'
LANGUAGE C STRICT IMMUTABLE;

-- API: private.  A user-supplied value made fit for a message: cut to 100
-- characters (then "..."), control characters shown as \r \n \t \xNN.
CREATE FUNCTION notify.quote_value(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'notify_ext_quote_value'
LANGUAGE C STRICT IMMUTABLE;

-- API: private.  The message body the delivery worker sends for an outbox
-- payload in a content type ('text/plain', 'application/xml',
-- 'application/json'); the body is UTF-8 whatever the database encoding.
CREATE FUNCTION notify.encode_event(payload text, content_type text)
RETURNS bytea
AS 'MODULE_PATHNAME', 'notify_ext_encode_event'
LANGUAGE C STRICT IMMUTABLE;

-- API: private.  WARNING unless the library is in shared_preload_libraries
-- (no worker would deliver anything).
CREATE FUNCTION notify.check_preloaded()
RETURNS void
AS 'MODULE_PATHNAME', 'notify_ext_check_preloaded'
LANGUAGE C STRICT VOLATILE;

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
					CHECK (status IN ('pending', 'in_flight', 'retrying', 'delivered', 'failed', 'discarded')),
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
	last_error		text,
	lane			bigint		-- the event's lane: delivery process lane % notify_ext.delivery_processes
) WITH (fillfactor = 80);
-- the worker claims queued rows in id order; the claim clears queued and
-- nothing else is indexed, so that recording an outcome is a HOT update
CREATE INDEX outbox_queued ON notify.outbox (id) WHERE queued;
COMMENT ON TABLE notify.outbox IS
	'API: public (read). Durable outbox: one row per captured event and matching notification, with its delivery state: pending (not delivered yet: waiting, or held by a delivery process, next in its lane or being sent), in_flight (written by 1.0 only), retrying (waiting for its next attempt at next_attempt_at), delivered, failed, discarded (notify.discard: never delivered); lane decides the delivery process.';
SELECT pg_catalog.pg_extension_config_dump('notify.outbox', '');

-- API: private.  The lane number capture writes for an event of a
-- notification (NULL when it does not exist); the upgrade to 1.1 fills in
-- the lane of the events written before it.
CREATE FUNCTION notify.event_lane(notification_id text, resource text, entity_id text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'notify_ext_event_lane'
LANGUAGE C VOLATILE;

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

-- API: private.  The options notify.attach() takes for a kind of table, from
-- the table of capture kinds (src/capture/kinds.c), with the column each
-- defaults to.
CREATE FUNCTION notify.capture_kind_options(kind text,
		OUT option text, OUT role text, OUT multiple boolean, OUT required boolean,
		OUT default_column text)
RETURNS SETOF record
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'notify_ext_capture_kind_options';

-- API: private.  Checks capture trigger arguments as the trigger resolves them.
CREATE FUNCTION notify.capture_check_args(relation regclass, args text[])
RETURNS void
LANGUAGE C STRICT STABLE
AS 'MODULE_PATHNAME', 'notify_ext_capture_check_args';

-- API: private.  The name, timing and events of a kind's capture trigger,
-- from the table of capture kinds (src/capture/kinds.c).
CREATE FUNCTION notify.capture_kind_trigger(kind text,
		OUT name text, OUT timing text, OUT events text)
RETURNS record
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'notify_ext_capture_kind_trigger';

-- API: public (notify_admin)
CREATE FUNCTION notify.attach(relation regclass, resource text, id_column name,
							  options jsonb DEFAULT '{}', replace boolean DEFAULT false)
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
	defaults text[];
	i integer;
	col text;
	trig record;
	attached boolean;
BEGIN
	-- the kind's options come from the table of capture kinds
	-- (src/capture/kinds.c), which refuses an unknown kind
	SELECT COALESCE(pg_catalog.array_agg(k.option ORDER BY k.n), '{}'::text[]),
		   COALESCE(pg_catalog.array_agg(k.role ORDER BY k.n), '{}'::text[]),
		   COALESCE(pg_catalog.array_agg(k.multiple ORDER BY k.n), '{}'::boolean[]),
		   COALESCE(pg_catalog.array_agg(k.option ORDER BY k.n) FILTER (WHERE k.required), '{}'::text[]),
		   COALESCE(pg_catalog.array_agg(k.default_column ORDER BY k.n), '{}'::text[])
	  INTO allowed, roles, multiple, required, defaults
	  FROM notify.capture_kind_options(resource) WITH ORDINALITY
		   AS k(option, role, multiple, required, default_column, n);
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
	-- an option not given takes the column of the shipped table's name when
	-- the table has one; a required one must be given otherwise
	FOR i IN 1 .. pg_catalog.cardinality(allowed) LOOP
		CONTINUE WHEN options OPERATOR(pg_catalog.?) allowed[i];
		IF defaults[i] IS NOT NULL AND EXISTS (
			SELECT 1 FROM pg_catalog.pg_attribute a
			 WHERE a.attrelid OPERATOR(pg_catalog.=) relation
			   AND a.attname OPERATOR(pg_catalog.=) defaults[i]
			   AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) THEN
			args := args || (roles[i] || '=' || defaults[i]);
		ELSIF allowed[i] OPERATOR(pg_catalog.=) ANY (required) THEN
			RAISE EXCEPTION 'attach option "%" is required for resource "%"', allowed[i], resource
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = CASE WHEN defaults[i] IS NOT NULL THEN
						pg_catalog.format('Table %s has no column "%s", the column it names by default.',
										  relation, defaults[i]) END,
					  HINT = pg_catalog.format('Name the column that holds the %s: "%s": "column".',
											   roles[i], allowed[i]);
		END IF;
	END LOOP;
	-- the trigger would resolve these arguments the same way when it fires
	PERFORM notify.capture_check_args(relation, args);

	-- the trigger's name, timing and events: the kind's (kinds.c)
	trig := notify.capture_kind_trigger(resource);
	attached := EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t
						 WHERE t.tgrelid OPERATOR(pg_catalog.=) relation
						   AND t.tgname OPERATOR(pg_catalog.=) trig.name);
	IF attached AND NOT attach.replace THEN
		RAISE EXCEPTION 'table % is attached already', relation
			USING ERRCODE = 'duplicate_object',
				  HINT = 'Give replace => true to replace its capture trigger, or call notify.detach first.';
	END IF;
	EXECUTE pg_catalog.format(
		'CREATE OR REPLACE TRIGGER %I %s %s ON %s FOR EACH ROW EXECUTE FUNCTION notify.capture(%s)',
		trig.name, trig.timing, trig.events, relation,
		(SELECT pg_catalog.string_agg(pg_catalog.quote_literal(a), ', ') FROM pg_catalog.unnest(args) a));
END
$$;
COMMENT ON FUNCTION notify.attach(regclass, text, name, jsonb, boolean) IS
	'API: public. Installs the capture trigger on a table of an existing asset database: which resource it holds, which column is the entity id and which columns hold the rest (defaulting to the shipped tables'' column names); an attached table is changed only with replace => true.';

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

/* ------------------------------------------------------------------------
 * Definition API
 *
 * Ownership.  A notification belongs to the role that created it (recorded
 * by OID); its actions run as that role.  Only the owner, a member of the
 * owner role, or a superuser may change, delete, re-order or redeliver it;
 * every notify_admin member sees every notification with its credentials
 * masked.  An AWS credential alias belongs to the role that stored it.
 *
 * The functions that act for their caller are C entry points
 * (notify_ext_definition_api): it records the calling role, hides the
 * statement text from the server log should anything fail (a document may
 * hold a password), and runs notify.<name>_impl(caller, arguments...) as
 * the extension owner.  The _impl functions are granted to nobody.
 * ------------------------------------------------------------------------ */

-- API: private.  ERROR 22004 naming the argument when it is NULL.
CREATE FUNCTION notify.require_arg(value anyelement, name text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF value IS NULL THEN
		RAISE EXCEPTION 'argument "%" must not be null', name
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
END
$$;

-- API: private.  ERROR 42501 unless caller may act for the owner role.
CREATE FUNCTION notify.require_owner(caller oid, owner oid, what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT pg_catalog.pg_has_role(caller, owner, 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of %', what
			USING ERRCODE = 'insufficient_privilege',
				  DETAIL = pg_catalog.format('It belongs to role %s.',
								pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(owner)));
	END IF;
END
$$;

-- API: private.  Parse a document as defined by caller and check what it
-- refers to: an AWS credential alias must exist and be usable by caller.
CREATE FUNCTION notify.parse_checked(caller oid, resource text, document text)
RETURNS record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p record;
	cred_owner oid;
BEGIN
	PERFORM notify.require_arg(resource, 'resource');
	PERFORM notify.require_arg(document, 'document');
	p := notify.parse_document(resource, document, caller);
	IF p.credential_alias IS NOT NULL THEN
		SELECT c.owner INTO cred_owner FROM notify.aws_credential c
		 WHERE c.alias OPERATOR(pg_catalog.=) p.credential_alias;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'AWS credential "%" does not exist', p.credential_alias
				USING ERRCODE = 'undefined_object',
					  HINT = 'Store it first with notify.set_aws_credential.';
		END IF;
		PERFORM notify.require_owner(caller, cred_owner,
			pg_catalog.format('AWS credential "%s"', p.credential_alias));
	END IF;
	RETURN p;
END
$$;

-- API: private.  A credential of a parsed document as it is to be stored:
-- "***" (the mask get_notification shows) stands for the stored value,
-- which must exist.
CREATE FUNCTION notify.unmask_secret(given text, stored text, notification_id text,
									 what text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF given IS DISTINCT FROM '***' THEN
		RETURN given;
	END IF;
	IF stored IS NULL THEN
		RAISE EXCEPTION 'the % of notification "%" is masked', what, notification_id
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('A masked %s (***) keeps the stored one, and none is stored.',
											 pg_catalog.split_part(what, ' ', 2)),
				  HINT = pg_catalog.format('Give the %s itself.', pg_catalog.split_part(what, ' ', 2));
	END IF;
	RETURN stored;
END
$$;

-- API: private.  Store the credentials of a parsed document for a
-- notification (notify.unmask_secret reads the masks).
CREATE FUNCTION notify.store_secrets(notification_id text, owner oid,
									 url_password text, sqs_secret text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	old notify.notification_secret;
BEGIN
	SELECT * INTO old FROM notify.notification_secret s
	 WHERE s.notification_id OPERATOR(pg_catalog.=) store_secrets.notification_id;
	url_password := notify.unmask_secret(url_password, old.url_password, notification_id,
										 'URL password');
	sqs_secret := notify.unmask_secret(sqs_secret, old.sqs_secret, notification_id,
									   'SQS secret');
	DELETE FROM notify.notification_secret s
	 WHERE s.notification_id OPERATOR(pg_catalog.=) store_secrets.notification_id;
	IF url_password IS NOT NULL OR sqs_secret IS NOT NULL THEN
		INSERT INTO notify.notification_secret (notification_id, owner, url_password, sqs_secret)
			VALUES (notification_id, owner, url_password, sqs_secret);
	END IF;
END
$$;

-- API: private.  The one place a notification is inserted.
CREATE FUNCTION notify.store_notification(caller oid, resource text, entity_id text,
										  document text)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p record;
	new_id text;
BEGIN
	p := notify.parse_checked(caller, resource, document);
	PERFORM notify.check_preloaded();
	INSERT INTO notify.notification (resource, entity_id, event, action_kind, document,
									 summary, owner)
		VALUES (resource, entity_id, p.event, p.action_kind, p.document_xml, p.summary, caller)
		RETURNING id INTO new_id;
	PERFORM notify.store_secrets(new_id, caller, p.url_password, p.sqs_secret);
	RETURN new_id;
END
$$;

-- API: public (notify_admin)
CREATE FUNCTION notify.create_notification(resource text, document text)
RETURNS text
AS 'MODULE_PATHNAME', 'notify_ext_definition_api'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION notify.create_notification(text, text) IS
	'API: public. Creates a resource-wide notification from a NotificationDocument (XML or JSON), owned by the calling role; returns its id.';

-- API: private
CREATE FUNCTION notify.create_notification_impl(caller oid, resource text, document text)
RETURNS text
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT notify.store_notification(caller, resource, NULL, document) $$;

-- API: public (notify_admin)
CREATE FUNCTION notify.create_notification(resource text, entity_id text, document text)
RETURNS text
AS 'MODULE_PATHNAME', 'notify_ext_definition_api'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION notify.create_notification(text, text, text) IS
	'API: public. Creates a notification scoped to one entity (like /item/{id}/notification), owned by the calling role; returns its id.';

-- API: private
CREATE FUNCTION notify.create_notification_impl(caller oid, resource text, entity_id text,
												document text)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF entity_id IS NULL OR entity_id = '' THEN
		RAISE EXCEPTION 'entity id must not be empty'
			USING ERRCODE = CASE WHEN entity_id IS NULL THEN 'null_value_not_allowed'
								 ELSE 'invalid_parameter_value' END,
				  HINT = 'Use notify.create_notification(resource, document) for a resource-wide notification.';
	END IF;
	IF resource = 'file' THEN
		RAISE EXCEPTION 'file notifications cannot be scoped to one file'
			USING ERRCODE = 'feature_not_supported',
				  DETAIL = 'Only resource-wide file notifications exist.';
	END IF;
	RETURN notify.store_notification(caller, resource, entity_id, document);
END
$$;

-- API: private
CREATE FUNCTION notify.find_notification(resource text, id text)
RETURNS notify.notification
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n notify.notification;
BEGIN
	PERFORM notify.require_arg(resource, 'resource');
	PERFORM notify.require_arg(id, 'id');
	SELECT * INTO n FROM notify.notification x
	 WHERE x.id OPERATOR(pg_catalog.=) find_notification.id
	   AND x.resource OPERATOR(pg_catalog.=) find_notification.resource;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'notification "%" does not exist for resource "%"',
			notify.quote_value(id), notify.quote_value(resource)
			USING ERRCODE = 'undefined_object';
	END IF;
	RETURN n;
END
$$;

-- API: private.  The notification, after checking that caller owns it.
CREATE FUNCTION notify.find_owned_notification(caller oid, resource text, id text)
RETURNS notify.notification
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n notify.notification;
BEGIN
	n := notify.find_notification(resource, id);
	PERFORM notify.require_owner(caller, n.owner, pg_catalog.format('notification "%s"', n.id));
	RETURN n;
END
$$;

-- API: public (notify_admin)
CREATE FUNCTION notify.get_notification(resource text, id text, format text DEFAULT 'xml')
RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM notify.require_arg(format, 'format');
	RETURN notify.render_document((notify.find_notification(resource, id)).document, format);
END
$$;
COMMENT ON FUNCTION notify.get_notification(text, text, text) IS
	'API: public. Returns a stored NotificationDocument as XML (default) or JSON (format => ''json''), credentials masked as ***.';

-- API: public (notify_admin)
CREATE FUNCTION notify.update_notification(resource text, id text, document text)
RETURNS text
AS 'MODULE_PATHNAME', 'notify_ext_definition_api'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION notify.update_notification(text, text, text) IS
	'API: public. Replaces the action and trigger of a notification the caller owns; returns the stored document (credentials masked; a masked credential keeps the stored one).';

-- API: private
CREATE FUNCTION notify.update_notification_impl(caller oid, resource text, id text,
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

-- API: public (notify_admin)
CREATE FUNCTION notify.delete_notification(resource text, id text)
RETURNS void
AS 'MODULE_PATHNAME', 'notify_ext_definition_api'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION notify.delete_notification(text, text) IS
	'API: public. Deletes a notification the caller owns; its undelivered events fail at once with last_error ''notification <id> was deleted'' and are kept for inspection.';

-- API: private
CREATE FUNCTION notify.delete_notification_impl(caller oid, resource text, id text)
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

-- API: public (notify_admin, notify_monitor)
CREATE VIEW notify.notifications AS
	SELECT id, resource, entity_id, event AS trigger, action_kind AS action, summary,
		   created_at, updated_at, pg_catalog.pg_get_userbyid(owner) AS owner
	  FROM notify.notification;
COMMENT ON VIEW notify.notifications IS
	'API: public. Every notification with a readable summary of its trigger and action and its owner; credentials masked.';

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
AS 'MODULE_PATHNAME', 'notify_ext_definition_api'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION notify.set_aws_credential(text, text, text, text) IS
	'API: public. Stores AWS credentials under an alias for <sqs><secret>alias</secret> actions; an alias belongs to the role that stored it first.';

-- API: private.  Arguments are checked before anything is written, so that
-- no constraint violation can echo the secret in its detail.
CREATE FUNCTION notify.set_aws_credential_impl(caller oid, alias text, access_key text,
											   secret_key text, region text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cred_owner oid;
BEGIN
	PERFORM notify.require_arg(alias, 'alias');
	PERFORM notify.require_arg(access_key, 'access_key');
	PERFORM notify.require_arg(secret_key, 'secret_key');
	IF alias !~ '^[A-Za-z0-9_.-]{1,63}$' THEN
		RAISE EXCEPTION 'invalid credential alias "%"', notify.quote_value(alias)
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'An alias has 1 to 63 letters, digits, "_", "." or "-", as <secret> of an <sqs> action names it.';
	END IF;
	IF access_key !~ '^[A-Za-z0-9]{1,128}$' THEN
		RAISE EXCEPTION 'invalid access key for credential "%"', alias
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'An AWS access key id has 1 to 128 letters and digits.';
	END IF;
	IF secret_key = '' OR secret_key ~ '[[:space:][:cntrl:]]' THEN
		RAISE EXCEPTION 'invalid secret key for credential "%"', alias
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A secret access key is not empty and contains no white space or control characters.';
	END IF;
	IF region IS NOT NULL AND region !~ '^[a-z0-9-]{1,32}$' THEN
		RAISE EXCEPTION 'invalid region "%" for credential "%"', notify.quote_value(region), alias
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A region name such as eu-west-1 has lower-case letters, digits and "-".';
	END IF;
	SELECT c.owner INTO cred_owner FROM notify.aws_credential c
	 WHERE c.alias OPERATOR(pg_catalog.=) set_aws_credential_impl.alias FOR UPDATE;
	IF FOUND THEN
		PERFORM notify.require_owner(caller, cred_owner,
			pg_catalog.format('AWS credential "%s"', alias));
		UPDATE notify.aws_credential c
		   SET access_key = set_aws_credential_impl.access_key,
			   secret_key = set_aws_credential_impl.secret_key,
			   region = set_aws_credential_impl.region
		 WHERE c.alias OPERATOR(pg_catalog.=) set_aws_credential_impl.alias;
	ELSE
		INSERT INTO notify.aws_credential (alias, access_key, secret_key, region, owner)
			VALUES (alias, access_key, secret_key, region, caller);
	END IF;
END
$$;


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
AS 'MODULE_PATHNAME', 'notify_ext_definition_api'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION notify.set_ordering(text, text, text) IS
	'API: public. Delivery order of a notification the caller owns: "entity" (default: per entity and endpoint, entities in parallel) or "endpoint" (one lane per endpoint, as Vidispine''s one thread per endpoint).';

-- API: private
CREATE FUNCTION notify.set_ordering_impl(caller oid, resource text, id text, ordering text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n notify.notification;
BEGIN
	PERFORM notify.require_arg(ordering, 'ordering');
	IF ordering NOT IN ('entity', 'endpoint') THEN
		RAISE EXCEPTION 'invalid ordering "%"', notify.quote_value(ordering)
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Use "entity" (one lane per entity and endpoint) or "endpoint" (one lane per endpoint).';
	END IF;
	n := notify.find_owned_notification(caller, resource, id);
	UPDATE notify.notification x SET ordering = set_ordering_impl.ordering, updated_at = pg_catalog.now()
	 WHERE x.id OPERATOR(pg_catalog.=) n.id;
END
$$;

/* ------------------------------------------------------------------------
 * Signing (Standard Webhooks): secrets stored by alias, named per
 * notification; the HTTP transport signs each request when it sends it.
 * ------------------------------------------------------------------------ */

-- API: private.  A signing secret as stored ("whsec_" and its base64, the
-- prefix added when missing), or ERROR 22023 naming what (never the value):
-- the base64 of 24 to 64 bytes, as the Standard Webhooks specification has
-- it.
CREATE FUNCTION notify.check_signing_secret(secret text, alias text, what text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	b64 text := pg_catalog.regexp_replace(secret, '^whsec_', '');
BEGIN
	IF b64 !~ '^[A-Za-z0-9+/]+={0,2}$'
	   OR pg_catalog.length(b64) OPERATOR(pg_catalog.%) 4 OPERATOR(pg_catalog.<>) 0
	   OR pg_catalog.length(pg_catalog.decode(b64, 'base64')) NOT BETWEEN 24 AND 64 THEN
		RAISE EXCEPTION 'invalid % for signing secret "%"', what, alias
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A signing secret is "whsec_" followed by the base64 of 24 to 64 random bytes, as in the Standard Webhooks specification.',
				  HINT = 'Make one with: echo "whsec_$(openssl rand -base64 32)".';
	END IF;
	RETURN 'whsec_' OPERATOR(pg_catalog.||) b64;
END
$$;

-- API: public (notify_admin)
CREATE FUNCTION notify.set_signing_secret(alias text, secret text,
										  previous_secret text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'notify_ext_definition_api'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION notify.set_signing_secret(text, text, text) IS
	'API: public. Stores a Standard Webhooks signing secret (whsec_...) under an alias, with the secret being rotated out (signed with too) as previous_secret; an alias belongs to the role that stored it first.';

-- API: private.  Arguments are checked before anything is written, so that
-- no constraint violation can echo a secret in its detail.
CREATE FUNCTION notify.set_signing_secret_impl(caller oid, alias text, secret text,
											   previous_secret text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	secret_owner oid;
BEGIN
	PERFORM notify.require_arg(alias, 'alias');
	PERFORM notify.require_arg(secret, 'secret');
	IF alias !~ '^[A-Za-z0-9_.-]{1,63}$' THEN
		RAISE EXCEPTION 'invalid signing secret alias "%"', notify.quote_value(alias)
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'An alias has 1 to 63 letters, digits, "_", "." or "-".';
	END IF;
	secret := notify.check_signing_secret(secret, alias, 'secret');
	IF previous_secret IS NOT NULL THEN
		previous_secret := notify.check_signing_secret(previous_secret, alias, 'previous secret');
	END IF;
	SELECT s.owner INTO secret_owner FROM notify.signing_secret s
	 WHERE s.alias OPERATOR(pg_catalog.=) set_signing_secret_impl.alias FOR UPDATE;
	IF FOUND THEN
		PERFORM notify.require_owner(caller, secret_owner,
			pg_catalog.format('signing secret "%s"', alias));
		UPDATE notify.signing_secret s
		   SET secret = set_signing_secret_impl.secret,
			   previous_secret = set_signing_secret_impl.previous_secret
		 WHERE s.alias OPERATOR(pg_catalog.=) set_signing_secret_impl.alias;
		-- the notifications signing with it are loaded again (the statement
		-- trigger on notify.notification tells every backend)
		UPDATE notify.notification n SET signing_alias = n.signing_alias
		 WHERE n.signing_alias OPERATOR(pg_catalog.=) set_signing_secret_impl.alias;
	ELSE
		INSERT INTO notify.signing_secret (alias, secret, previous_secret, owner)
			VALUES (alias, secret, previous_secret, caller);
	END IF;
END
$$;

-- API: public (notify_admin)
CREATE FUNCTION notify.set_signing(resource text, id text, alias text)
RETURNS void
AS 'MODULE_PATHNAME', 'notify_ext_definition_api'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION notify.set_signing(text, text, text) IS
	'API: public. Signs the requests of an <http> notification the caller owns with the signing secret of an alias (Standard Webhooks headers webhook-id, webhook-timestamp, webhook-signature); NULL stops signing.';

-- API: private
CREATE FUNCTION notify.set_signing_impl(caller oid, resource text, id text, alias text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n notify.notification;
	secret_owner oid;
BEGIN
	n := notify.find_owned_notification(caller, resource, id);
	IF alias IS NOT NULL THEN
		IF n.action_kind IS DISTINCT FROM 'http' THEN
			RAISE EXCEPTION 'notification "%" has no <http> action', n.id
				USING ERRCODE = 'wrong_object_type',
					  DETAIL = 'Only the requests of <http> actions are signed.';
		END IF;
		SELECT s.owner INTO secret_owner FROM notify.signing_secret s
		 WHERE s.alias OPERATOR(pg_catalog.=) set_signing_impl.alias;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'signing secret "%" does not exist', notify.quote_value(alias)
				USING ERRCODE = 'undefined_object',
					  HINT = 'Store it first with notify.set_signing_secret.';
		END IF;
		-- requests are sent for the owner: the owner must be able to use it
		PERFORM notify.require_owner(caller, secret_owner,
			pg_catalog.format('signing secret "%s"', alias));
		PERFORM notify.require_owner(n.owner, secret_owner,
			pg_catalog.format('signing secret "%s"', alias));
	END IF;
	UPDATE notify.notification x SET signing_alias = set_signing_impl.alias,
		   updated_at = pg_catalog.now()
	 WHERE x.id OPERATOR(pg_catalog.=) n.id;
END
$$;

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
AS 'MODULE_PATHNAME', 'notify_ext_definition_api'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION notify.redeliver(bigint) IS
	'API: public. Queues one failed event (by outbox id) of a notification the caller owns for delivery again, with a fresh retry budget; attempt numbers go on.';

-- API: private
CREATE FUNCTION notify.redeliver_impl(caller oid, outbox_id bigint)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	o notify.outbox;
	owner oid;
BEGIN
	PERFORM notify.require_arg(outbox_id, 'outbox_id');
	SELECT * INTO o FROM notify.outbox x WHERE x.id OPERATOR(pg_catalog.=) redeliver_impl.outbox_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'event % does not exist', outbox_id USING ERRCODE = 'undefined_object';
	END IF;
	SELECT n.owner INTO owner FROM notify.notification n
	 WHERE n.id OPERATOR(pg_catalog.=) o.notification_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'notification "%" of event % does not exist', o.notification_id, outbox_id
			USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM notify.require_owner(caller, owner, pg_catalog.format('notification "%s"', o.notification_id));
	IF o.status IS DISTINCT FROM 'failed' THEN
		RAISE EXCEPTION 'event % has not failed', outbox_id
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'Only failed events can be delivered again.';
	END IF;
	RETURN notify.requeue_failed(ARRAY[outbox_id]);
END
$$;

-- API: public (notify_admin)
CREATE FUNCTION notify.redeliver(notification_id text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'notify_ext_definition_api'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION notify.redeliver(text) IS
	'API: public. Queues every failed event of a notification the caller owns for delivery again; returns how many.';

-- API: private
CREATE FUNCTION notify.redeliver_impl(caller oid, notification_id text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	owner oid;
BEGIN
	PERFORM notify.require_arg(notification_id, 'notification_id');
	SELECT n.owner INTO owner FROM notify.notification n
	 WHERE n.id OPERATOR(pg_catalog.=) redeliver_impl.notification_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'notification "%" does not exist', notify.quote_value(notification_id)
			USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM notify.require_owner(caller, owner, pg_catalog.format('notification "%s"', notification_id));
	RETURN notify.requeue_failed(ARRAY(
		SELECT o.id FROM notify.outbox o
		 WHERE o.notification_id OPERATOR(pg_catalog.=) redeliver_impl.notification_id
		   AND o.status OPERATOR(pg_catalog.=) 'failed'));
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
CREATE VIEW notify.delivery_status AS
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

-- API: private.  The launcher's worker slots in use (shared memory):
-- database, worker pid (0 while starting), when it started, its delivery
-- process number.  No rows when the library is not preloaded.
CREATE FUNCTION notify.worker_slots(OUT database_oid oid, OUT pid integer,
	OUT started_at timestamptz, OUT process integer)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'notify_ext_worker_slots'
LANGUAGE C STRICT VOLATILE;

-- API: public (notify_admin, notify_monitor)
CREATE VIEW notify.worker_status AS
	SELECT d.datname AS database, coalesce(s.process, 0) AS process,
		   coalesce(s.pid, 0) OPERATOR(pg_catalog.<>) 0 AS running,
		   CASE WHEN s.pid OPERATOR(pg_catalog.<>) 0 THEN s.pid END AS pid,
		   CASE WHEN s.pid OPERATOR(pg_catalog.<>) 0 THEN s.started_at END AS started_at,
		   d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database() AS current
	  FROM pg_catalog.pg_database d
	  LEFT JOIN notify.worker_slots() s ON s.database_oid OPERATOR(pg_catalog.=) d.oid
	 WHERE s.database_oid IS NOT NULL
		OR d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database();
COMMENT ON VIEW notify.worker_status IS
	'API: public. Delivery workers from the launcher''s shared memory: one row per delivery process (notify_ext.delivery_processes per database) of each database with worker slots, and one for this database in any case; its process number, whether it runs, pid and start time.';

-- API: private.  The endpoints this database's delivery worker shows
-- (shared memory): no rows when no worker runs for it.
CREATE FUNCTION notify.endpoint_slots(OUT endpoint text, OUT state text,
	OUT consecutive_failures integer, OUT in_flight integer,
	OUT waiting_lanes integer, OUT opened_at timestamptz,
	OUT next_probe_at timestamptz, OUT process integer)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'notify_ext_endpoint_status'
LANGUAGE C STRICT VOLATILE;

-- API: public (notify_admin, notify_monitor)
CREATE VIEW notify.endpoint_status AS
	SELECT e.endpoint, e.process, e.state, e.consecutive_failures, e.in_flight,
		   e.waiting_lanes, e.opened_at, e.next_probe_at
	  FROM notify.endpoint_slots() e;
COMMENT ON VIEW notify.endpoint_status IS
	'API: public. Endpoints (scheme, host and port) of this database''s delivery workers, one row per endpoint and delivery process (each keeps its own budget and breaker): circuit breaker state (closed, open, half-open), consecutive failed attempts, attempts in flight, lanes held back by the per-endpoint budget or the open breaker, when the breaker opened and when its probe is due. Open and half-open first; at most 32 per process.';

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
		 ARRAY['collection-member', 'id=collection_id', 'item=item_id']),
		('notify.storage'::regclass, 'INSERT OR UPDATE OR DELETE',
		 ARRAY['storage', 'id=id']),
		('notify.file'::regclass, 'INSERT OR UPDATE OR DELETE',
		 ARRAY['file', 'id=id', 'storage=storage_id', 'item=item_id', 'path=path',
			   'state=state', 'hash=hash', 'ignore=updated_at', 'size=size']),
		('notify.metadata_change_set'::regclass, 'INSERT',
		 ARRAY['metadata-change-set', 'id=entity_id', 'resource=resource',
			   'fields=fields', 'changeset=id']),
		-- the tables of notify_ext_assets 1.1: NULL while it is older
		(pg_catalog.to_regclass('notify.job'), 'INSERT OR UPDATE',
		 ARRAY['job', 'id=id', 'state=status', 'type=type', 'step=current_step',
			   'step_status=step_status', 'total_steps=total_steps', 'item=item_id',
			   'data=data', 'error=error_message', 'notification=notification_id',
			   'notification_data=notification_data', 'user=started_by',
			   'start_time=started_at']),
		(pg_catalog.to_regclass('notify.item_access'), 'INSERT OR UPDATE OR DELETE',
		 ARRAY['access', 'id=id', 'item=item_id', 'permission=permission',
			   'user=user_name', 'group=group_name', 'ignore=created_at']),
		(pg_catalog.to_regclass('notify.shape'), 'INSERT OR UPDATE OR DELETE',
		 ARRAY['shape', 'id=id', 'item=item_id', 'ignore=created_at']),
		(pg_catalog.to_regclass('notify.document'), 'INSERT OR UPDATE OR DELETE',
		 ARRAY['document', 'id=name', 'ignore=created_at', 'ignore=created_by']),
		(pg_catalog.to_regclass('notify.user_group'), 'INSERT OR DELETE',
		 ARRAY['group', 'id=name']),
		(pg_catalog.to_regclass('notify.user_group_member'), 'INSERT OR DELETE',
		 ARRAY['group-member', 'id=group_name', 'user=member_user', 'group=member_group']),
		-- notify.file has shape_id and component_id from 1.1 on, as notify.shape
		(CASE WHEN pg_catalog.to_regclass('notify.shape') IS NOT NULL THEN 'notify.file'::regclass END,
		 'INSERT',
		 ARRAY['filename', 'id=id', 'storage=storage_id', 'item=item_id',
			   'shape=shape_id', 'component=component_id', 'path=path']),
		-- tables of notify_ext_assets 1.1: skipped while it is 1.0
		(pg_catalog.to_regclass('notify.quota_rule'), 'INSERT OR UPDATE OR DELETE',
		 ARRAY['quota', 'id=id', 'item_limit=item_limit', 'storage_limit=storage_limit']),
		(pg_catalog.to_regclass('notify.deletion_lock'), 'INSERT OR UPDATE OR DELETE',
		 ARRAY['deletion-lock', 'id=id', 'entity_type=entity_type', 'entity=entity_id',
			   'expiry=expiry_time'])) AS v(rel, events, args)
	LOOP
		CONTINUE WHEN t.rel IS NULL;
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

SELECT notify.attach_shipped_assets()
 WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_extension
				WHERE extname OPERATOR(pg_catalog.=) 'notify_ext_assets');

/* ------------------------------------------------------------------------
 * S3 ingest: storages on S3 buckets kept in sync from SQS event messages
 * and bucket scans (src/ingest/).  A storage method names the bucket and
 * its queue; the ingest poller of the database applies what it reads to
 * notify.file (notify_ext_assets) with the functions below, in short
 * transactions, so the file table's capture trigger raises the file events
 * like for any other writer.
 * ------------------------------------------------------------------------ */
-- API: private.  Wake (or have the launcher start) this database's ingest
-- poller when the transaction commits.
CREATE FUNCTION notify.ingest_wake()
RETURNS void
AS 'MODULE_PATHNAME', 'notify_ext_ingest_wake'
LANGUAGE C STRICT VOLATILE;

CREATE SEQUENCE notify.storage_method_id_seq;

CREATE TABLE notify.storage_method (
	id				text PRIMARY KEY DEFAULT notify.next_vx_id('notify.storage_method_id_seq'),
	storage_id		text NOT NULL,
	bucket			text NOT NULL,
	prefix			text NOT NULL DEFAULT '',
	endpoint		text,			-- S3-compatible server; NULL: AWS in region
	region			text NOT NULL DEFAULT 'us-east-1',
	credential		text NOT NULL,	-- alias in notify.aws_credential
	sqs_name		text,			-- method metadata sqsName
	sqs_endpoint	text,			-- method metadata sqsEndpoint
	refresh_on_start boolean NOT NULL DEFAULT true,	-- storage metadata refreshOnStart
	refresh_interval integer,		-- storage metadata refreshInterval, seconds; NULL: none
	owner			oid NOT NULL,
	created_at		timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE notify.storage_method IS
	'API: private. S3 storage methods of storages, with their SQS queue and scan settings; read notify.storage_methods.';

-- what the poller has done for each method (written by the poller only)
CREATE TABLE notify.storage_method_state (
	method_id		text PRIMARY KEY REFERENCES notify.storage_method (id) ON DELETE CASCADE,
	last_success	timestamptz,
	last_failure	timestamptz,
	failure_message text,
	messages_applied bigint NOT NULL DEFAULT 0,
	stale_dropped	bigint NOT NULL DEFAULT 0,
	messages_skipped bigint NOT NULL DEFAULT 0,
	last_scan_started timestamptz,
	last_scan_finished timestamptz,
	last_scan_objects bigint,
	scan_requested	boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE notify.storage_method_state IS
	'API: private. Counters and last outcome of the ingest poller per storage method.';

-- the newest applied state of each key: stale and duplicate events are
-- dropped by it (sequencer per key; eventTime against the last listing)
CREATE TABLE notify.ingest_key (
	method_id		text NOT NULL REFERENCES notify.storage_method (id) ON DELETE CASCADE,
	key				text NOT NULL,	-- the decoded object key
	sequencer		text,			-- of the last applied event, upper-case hex
	event_time		timestamptz,	-- eventTime of the last applied event
	listed_at		timestamptz,	-- when a scan last listed (or missed) the key
	PRIMARY KEY (method_id, key)
);
COMMENT ON TABLE notify.ingest_key IS
	'API: private. Last applied S3 event (sequencer, eventTime) and listing time per object key.';

-- API: private.  Form-URL decoding of an S3 event's object key: "+" is a
-- space, %XX a byte; the bytes are UTF-8.
CREATE FUNCTION notify.s3_key_decode(key text)
RETURNS text
AS 'MODULE_PATHNAME', 'notify_ext_s3_key_decode'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- API: private.  Compare two sequencers of one key as S3 documents it:
-- pad the shorter with zeros to equal length, compare as strings (fixed-
-- width upper-case hex, as notify_ext writes them, reads the same under
-- either padding).  <0, 0, >0.
CREATE FUNCTION notify.s3_sequencer_cmp(a text, b text)
RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN x OPERATOR(pg_catalog.<) y COLLATE "C" THEN -1
				WHEN x OPERATOR(pg_catalog.>) y COLLATE "C" THEN 1 ELSE 0 END
	  FROM (SELECT pg_catalog.rpad(pg_catalog.upper(a), n, '0') AS x,
				   pg_catalog.rpad(pg_catalog.upper(b), n, '0') AS y
			  FROM (SELECT GREATEST(pg_catalog.length(a), pg_catalog.length(b)) AS n) l) p
$$;

-- API: private.  The storage method's file path of decoded key, or NULL
-- when the key is outside its prefix or names a folder.
CREATE FUNCTION notify.ingest_path(m notify.storage_method, key text)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN pg_catalog.starts_with(key, m.prefix)
				 AND pg_catalog.length(key) OPERATOR(pg_catalog.>) pg_catalog.length(m.prefix)
				 AND pg_catalog.right(key, 1) OPERATOR(pg_catalog.<>) '/'
			THEN pg_catalog.substr(key, pg_catalog.length(m.prefix) + 1) END
$$;

-- API: private.  Make notify.file say that the object at path exists with
-- size and eTag (state CLOSED); no write when it says so already.
CREATE FUNCTION notify.ingest_file_present(m notify.storage_method, file_path text, file_size bigint, file_etag text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	INSERT INTO notify.file AS f (storage_id, path, state, size, hash)
		VALUES (m.storage_id, file_path, 'CLOSED', file_size, file_etag)
	ON CONFLICT ON CONSTRAINT file_storage_id_path_key DO UPDATE
		SET state = 'CLOSED', size = EXCLUDED.size, hash = EXCLUDED.hash,
			updated_at = pg_catalog.now()
		WHERE (f.state, f.size, f.hash) IS DISTINCT FROM ('CLOSED', EXCLUDED.size, EXCLUDED.hash)
$$;

-- API: private (the ingest poller).  Apply one S3 event record of method
-- method_id; returns 'applied', 'stale' (an event of the key as new or
-- newer was applied, or a later listing saw the key) or 'skipped' (an
-- event kind, key or prefix that changes no file).
CREATE FUNCTION notify.ingest_event(method_id text, event_name text, key text,
									size bigint, etag text, sequencer text,
									event_time timestamptz)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m notify.storage_method;
	k notify.ingest_key;
	file_path text;
	kind text := pg_catalog.regexp_replace(event_name, '^s3:', '');
BEGIN
	SELECT * INTO STRICT m FROM notify.storage_method s WHERE s.id OPERATOR(pg_catalog.=) ingest_event.method_id;
	file_path := notify.ingest_path(m, key);
	IF file_path IS NULL OR kind !~ '^(ObjectCreated:|ObjectRemoved:|ObjectRestore:Completed$|ReducedRedundancyLostObject$)' THEN
		RETURN 'skipped';
	END IF;
	INSERT INTO notify.ingest_key AS i (method_id, key) VALUES (m.id, ingest_event.key)
		ON CONFLICT DO NOTHING;
	SELECT * INTO STRICT k FROM notify.ingest_key i
	 WHERE (i.method_id, i.key) OPERATOR(pg_catalog.=) (m.id, ingest_event.key) FOR UPDATE;
	IF (k.sequencer IS NOT NULL AND ingest_event.sequencer IS NOT NULL
		AND notify.s3_sequencer_cmp(ingest_event.sequencer, k.sequencer) OPERATOR(pg_catalog.<=) 0)
	   OR (k.listed_at IS NOT NULL AND ingest_event.event_time IS NOT NULL
		AND ingest_event.event_time OPERATOR(pg_catalog.<) k.listed_at) THEN
		RETURN 'stale';
	END IF;
	UPDATE notify.ingest_key i
	   SET sequencer = COALESCE(pg_catalog.upper(ingest_event.sequencer), i.sequencer),
		   event_time = COALESCE(ingest_event.event_time, i.event_time)
	 WHERE (i.method_id, i.key) OPERATOR(pg_catalog.=) (m.id, ingest_event.key);
	IF kind LIKE 'ObjectCreated:%' THEN
		PERFORM notify.ingest_file_present(m, file_path, size, etag);
	ELSIF kind LIKE 'ObjectRemoved:%' THEN
		DELETE FROM notify.file f WHERE (f.storage_id, f.path) OPERATOR(pg_catalog.=) (m.storage_id, file_path);
	ELSIF kind = 'ObjectRestore:Completed' THEN
		UPDATE notify.file f SET state = 'CLOSED', updated_at = pg_catalog.now()
		 WHERE (f.storage_id, f.path) OPERATOR(pg_catalog.=) (m.storage_id, file_path)
		   AND f.state OPERATOR(pg_catalog.<>) 'CLOSED';
	ELSE	-- ReducedRedundancyLostObject
		UPDATE notify.file f SET state = 'LOST', updated_at = pg_catalog.now()
		 WHERE (f.storage_id, f.path) OPERATOR(pg_catalog.=) (m.storage_id, file_path)
		   AND f.state OPERATOR(pg_catalog.<>) 'LOST';
	END IF;
	RETURN 'applied';
END
$$;

-- API: private (the ingest poller).  Apply one SQS message body of method
-- method_id: an S3 event message in the AWS shape ({"Records": [...]}),
-- MinIO's ({"EventName", "Key", "Records"}) or either wrapped in an SNS
-- notification ({"Type": "Notification", "Message": "..."}); an
-- s3:TestEvent and anything without records is skipped.  Returns the
-- counts of records applied, stale and skipped.  A body that is not JSON
-- raises 22P02 (the poller records it and deletes the message).
CREATE FUNCTION notify.ingest_message(method_id text, body text,
									  OUT applied integer, OUT stale integer, OUT skipped integer)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	msg jsonb := body::jsonb;
	r jsonb;
	outcome text;
BEGIN
	applied := 0; stale := 0; skipped := 0;
	IF pg_catalog.jsonb_typeof(msg) = 'object' AND msg->>'Type' = 'Notification'
	   AND pg_catalog.jsonb_typeof(msg->'Message') = 'string' THEN
		msg := (msg->>'Message')::jsonb;
	END IF;
	IF pg_catalog.jsonb_typeof(msg) IS DISTINCT FROM 'object'
	   OR pg_catalog.jsonb_typeof(msg->'Records') IS DISTINCT FROM 'array' THEN
		skipped := 1;		-- s3:TestEvent, or no records
		RETURN;
	END IF;
	FOR r IN SELECT * FROM pg_catalog.jsonb_array_elements(msg->'Records') LOOP
		IF pg_catalog.jsonb_typeof(r->'s3'->'object'->'key') IS DISTINCT FROM 'string'
		   OR pg_catalog.jsonb_typeof(r->'eventName') IS DISTINCT FROM 'string' THEN
			skipped := skipped + 1;
			CONTINUE;
		END IF;
		outcome := notify.ingest_event(method_id, r->>'eventName',
			notify.s3_key_decode(r->'s3'->'object'->>'key'),
			CASE WHEN pg_catalog.jsonb_typeof(r->'s3'->'object'->'size') = 'number'
				 THEN (r->'s3'->'object'->>'size')::bigint END,
			pg_catalog.btrim(r->'s3'->'object'->>'eTag', '"'),
			r->'s3'->'object'->>'sequencer',
			CASE WHEN r->>'eventTime' ~ '^\d{4}-\d\d-\d\dT' THEN (r->>'eventTime')::timestamptz END);
		IF outcome = 'applied' THEN
			applied := applied + 1;
		ELSIF outcome = 'stale' THEN
			stale := stale + 1;
		ELSE
			skipped := skipped + 1;
		END IF;
	END LOOP;
END
$$;

-- API: private (the ingest poller).  One page of a bucket listing fetched
-- at listed_at: every listed object is present with its size and eTag,
-- unless an event of the key newer than the listing was applied.  Returns
-- how many objects the page listed within the method's prefix.
CREATE FUNCTION notify.ingest_scan_page(method_id text, listed_at timestamptz,
										keys text[], sizes bigint[], etags text[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m notify.storage_method;
	n integer := 0;
	o record;
	k notify.ingest_key;
	file_path text;
BEGIN
	SELECT * INTO STRICT m FROM notify.storage_method s WHERE s.id OPERATOR(pg_catalog.=) ingest_scan_page.method_id;
	FOR o IN SELECT * FROM unnest(keys, sizes, etags) AS u(key, size, etag) LOOP
		file_path := notify.ingest_path(m, o.key);
		CONTINUE WHEN file_path IS NULL;
		n := n + 1;
		INSERT INTO notify.ingest_key AS i (method_id, key) VALUES (m.id, o.key)
			ON CONFLICT DO NOTHING;
		SELECT * INTO STRICT k FROM notify.ingest_key i
		 WHERE (i.method_id, i.key) OPERATOR(pg_catalog.=) (m.id, o.key) FOR UPDATE;
		-- an event after the listing wins; the listing wins over older ones
		CONTINUE WHEN k.event_time IS NOT NULL AND k.event_time OPERATOR(pg_catalog.>) ingest_scan_page.listed_at;
		UPDATE notify.ingest_key i SET listed_at = ingest_scan_page.listed_at
		 WHERE (i.method_id, i.key) OPERATOR(pg_catalog.=) (m.id, o.key);
		PERFORM notify.ingest_file_present(m, file_path, o.size, pg_catalog.btrim(o.etag, '"'));
	END LOOP;
	RETURN n;
END
$$;

-- API: private (the ingest poller).  End of a scan that started at
-- started: files of the storage under the method's prefix that the scan
-- did not list, and whose key no event touched since, are MISSING.
-- Returns how many files were marked.
CREATE FUNCTION notify.ingest_scan_end(method_id text, started timestamptz, objects bigint)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m notify.storage_method;
	n integer;
BEGIN
	SELECT * INTO STRICT m FROM notify.storage_method s WHERE s.id OPERATOR(pg_catalog.=) ingest_scan_end.method_id;
	WITH gone AS (
		UPDATE notify.file f SET state = 'MISSING', updated_at = pg_catalog.now()
		 WHERE f.storage_id OPERATOR(pg_catalog.=) m.storage_id
		   AND f.state NOT IN ('MISSING', 'LOST')
		   AND NOT EXISTS (
				SELECT 1 FROM notify.ingest_key i
				 WHERE (i.method_id, i.key) OPERATOR(pg_catalog.=) (m.id, m.prefix OPERATOR(pg_catalog.||) f.path)
				   AND (i.listed_at OPERATOR(pg_catalog.>=) ingest_scan_end.started
						OR i.event_time OPERATOR(pg_catalog.>=) ingest_scan_end.started))
		RETURNING 1)
	SELECT pg_catalog.count(*) INTO n FROM gone;
	UPDATE notify.storage_method_state st
	   SET last_scan_finished = pg_catalog.clock_timestamp(), last_scan_objects = objects,
		   last_success = pg_catalog.clock_timestamp()
	 WHERE st.method_id OPERATOR(pg_catalog.=) m.id;
	RETURN n;
END
$$;

-- API: private.  The SSRF guard of outgoing requests (notify.url_refusal:
-- notify_ext.denied_hosts, notify_ext.allowed_hosts, the addresses never
-- connected to) on the hosts a storage method's requests go to: its S3
-- endpoint (AWS's in its region when none) and, when it has a queue or an
-- SQS endpoint, that endpoint (AWS's in its region when none).  Raises
-- insufficient_privilege for the first refused one, naming its host; the
-- poller checks every request again, and every address when it connects.
CREATE FUNCTION notify.storage_method_check_hosts(m notify.storage_method)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	what text;
	url text;
	refusal text;
BEGIN
	FOR what, url IN
		SELECT 'S3 endpoint',
			   COALESCE(m.endpoint, pg_catalog.concat('https://', m.bucket, '.s3.', m.region, '.amazonaws.com/'))
		UNION ALL
		SELECT 'SQS endpoint',
			   CASE WHEN m.sqs_endpoint IS NULL THEN pg_catalog.concat('https://sqs.', m.region, '.amazonaws.com/')
					WHEN m.sqs_endpoint ~ '^https?://' THEN m.sqs_endpoint
					ELSE pg_catalog.concat('https://', m.sqs_endpoint, '/') END
		 WHERE m.sqs_name IS NOT NULL OR m.sqs_endpoint IS NOT NULL
	LOOP
		refusal := notify.url_refusal(url);
		IF refusal IS NOT NULL THEN
			RAISE EXCEPTION 'the host of the % "%" is not allowed', what, notify.quote_value(url)
				USING ERRCODE = 'insufficient_privilege',
					  DETAIL = pg_catalog.concat('The ', refusal, '.'),
					  HINT = 'The ingest poller connects only to hosts that notify_ext.allowed_hosts and notify_ext.denied_hosts permit; it checks every address again when it connects.';
		END IF;
	END LOOP;
END
$$;

-- API: public (notify_admin)
CREATE FUNCTION notify.create_storage_method(storage_id text, uri text, endpoint text DEFAULT NULL,
											 credential text DEFAULT NULL, region text DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'notify_ext_definition_api'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION notify.create_storage_method(text, text, text, text, text) IS
	'API: public. Gives a storage an S3 method: uri s3://[accessKey:secret@]bucket/[prefix], or s3://bucket/[prefix] with a stored credential alias; endpoint for S3-compatible servers. Returns the method id.';

-- API: private.  Arguments are checked before anything is written, and no
-- message quotes the uri (it may hold a secret).
CREATE FUNCTION notify.create_storage_method_impl(caller oid, storage_id text, uri text, endpoint text,
												  credential text, region text)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	parts text[];
	id text;
	alias text := credential;
	storage_exists boolean;
	m notify.storage_method;
BEGIN
	PERFORM notify.require_arg(storage_id, 'storage_id');
	PERFORM notify.require_arg(uri, 'uri');
	parts := pg_catalog.regexp_match(uri,
		'^s3://(?:([A-Za-z0-9]{1,128}):([^@/[:space:][:cntrl:]]+)@)?([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.*)$');
	IF parts IS NULL THEN
		RAISE EXCEPTION 'invalid S3 storage method URI'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The form is s3://[accessKey:secret@]bucket/[prefix], with the secret URL-encoded and a bucket name of 3 to 63 lower-case letters, digits, "." or "-".';
	END IF;
	IF (parts[1] IS NULL) = (credential IS NULL) THEN
		RAISE EXCEPTION 'an S3 storage method needs exactly one of credentials in its URI and a credential alias'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Store credentials with notify.set_aws_credential and name the alias, or give s3://accessKey:secret@bucket/.';
	END IF;
	IF endpoint IS NOT NULL AND endpoint !~ '^https?://[^/@[:space:]]+/?$' THEN
		RAISE EXCEPTION 'invalid S3 endpoint "%"', notify.quote_value(endpoint)
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'An endpoint is an http or https URL of a server without a path or user information, such as http://127.0.0.1:9000.';
	END IF;
	IF region IS NOT NULL AND region !~ '^[a-z0-9-]{1,32}$' THEN
		RAISE EXCEPTION 'invalid region "%"', notify.quote_value(region)
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A region name such as eu-west-1 has lower-case letters, digits and "-".';
	END IF;
	IF pg_catalog.to_regclass('notify.storage') IS NULL THEN
		RAISE EXCEPTION 'S3 storage methods need the asset tables of notify_ext_assets'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'CREATE EXTENSION notify_ext_assets;';
	END IF;
	EXECUTE 'SELECT EXISTS (SELECT 1 FROM notify.storage WHERE id OPERATOR(pg_catalog.=) $1)'
		INTO storage_exists USING storage_id;
	IF NOT storage_exists THEN
		RAISE EXCEPTION 'storage "%" does not exist', notify.quote_value(storage_id)
			USING ERRCODE = 'undefined_object';
	END IF;
	id := notify.next_vx_id('notify.storage_method_id_seq');
	IF parts[1] IS NOT NULL THEN
		alias := 'method.' OPERATOR(pg_catalog.||) id;
		PERFORM notify.set_aws_credential_impl(caller, alias, parts[1],
			notify.s3_key_decode(pg_catalog.replace(parts[2], '+', '%2B')), region);
	ELSE
		PERFORM 1 FROM notify.aws_credential c WHERE c.alias OPERATOR(pg_catalog.=) credential
			AND pg_catalog.pg_has_role(caller, c.owner, 'USAGE');
		IF NOT FOUND THEN
			RAISE EXCEPTION 'no AWS credential "%" of this role', notify.quote_value(credential)
				USING ERRCODE = 'undefined_object',
					  HINT = 'Store it first with notify.set_aws_credential.';
		END IF;
	END IF;
	INSERT INTO notify.storage_method (id, storage_id, bucket, prefix, endpoint, region, credential, owner)
		VALUES (id, storage_id, parts[3], parts[4], pg_catalog.rtrim(endpoint, '/'),
				COALESCE(region, 'us-east-1'), alias, caller)
		RETURNING * INTO m;
	PERFORM notify.storage_method_check_hosts(m);
	INSERT INTO notify.storage_method_state (method_id, scan_requested)
		VALUES (id, true);
	PERFORM notify.ingest_wake();
	RETURN id;
END
$$;

-- API: public (notify_admin)
CREATE FUNCTION notify.set_storage_method_metadata(method_id text, key text, value text)
RETURNS void
AS 'MODULE_PATHNAME', 'notify_ext_definition_api'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION notify.set_storage_method_metadata(text, text, text) IS
	'API: public. Sets (NULL: removes) sqsName, sqsEndpoint, refreshOnStart or refreshInterval (seconds) of an S3 storage method.';

-- API: private
CREATE FUNCTION notify.set_storage_method_metadata_impl(caller oid, method_id text, key text, value text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m notify.storage_method;
BEGIN
	PERFORM notify.require_arg(method_id, 'method_id');
	PERFORM notify.require_arg(key, 'key');
	SELECT * INTO m FROM notify.storage_method s WHERE s.id OPERATOR(pg_catalog.=) method_id FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'storage method "%" does not exist', notify.quote_value(method_id)
			USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM notify.require_owner(caller, m.owner, pg_catalog.format('storage method "%s"', method_id));
	IF key = 'sqsName' THEN
		IF value !~ '^[A-Za-z0-9_-]{1,80}(\.fifo)?$' THEN
			RAISE EXCEPTION 'invalid SQS queue name "%"', notify.quote_value(value)
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = 'A queue name has 1 to 80 letters, digits, "-" or "_" (and ".fifo").';
		END IF;
		UPDATE notify.storage_method s SET sqs_name = value WHERE s.id OPERATOR(pg_catalog.=) method_id;
	ELSIF key = 'sqsEndpoint' THEN
		IF value !~ '^(https?://)?[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$' THEN
			RAISE EXCEPTION 'invalid SQS endpoint "%"', notify.quote_value(value)
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = 'An endpoint is a host such as sqs.eu-west-1.amazonaws.com, or an http or https URL of a server without a path.';
		END IF;
		UPDATE notify.storage_method s SET sqs_endpoint = pg_catalog.rtrim(value, '/') WHERE s.id OPERATOR(pg_catalog.=) method_id;
	ELSIF key = 'refreshOnStart' THEN
		IF value IS NOT NULL AND value NOT IN ('true', 'false') THEN
			RAISE EXCEPTION 'invalid value "%" of refreshOnStart', notify.quote_value(value)
				USING ERRCODE = 'invalid_parameter_value', DETAIL = 'It is true or false.';
		END IF;
		UPDATE notify.storage_method s SET refresh_on_start = COALESCE(value::boolean, true)
		 WHERE s.id OPERATOR(pg_catalog.=) method_id;
	ELSIF key = 'refreshInterval' THEN
		IF value !~ '^[0-9]{1,9}$' OR value::integer < 1 THEN
			RAISE EXCEPTION 'invalid value "%" of refreshInterval', notify.quote_value(value)
				USING ERRCODE = 'invalid_parameter_value', DETAIL = 'It is a number of seconds, at least 1.';
		END IF;
		UPDATE notify.storage_method s SET refresh_interval = value::integer WHERE s.id OPERATOR(pg_catalog.=) method_id;
	ELSE
		RAISE EXCEPTION 'unknown storage method metadata key "%"', notify.quote_value(key)
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The keys are sqsName, sqsEndpoint, refreshOnStart and refreshInterval.';
	END IF;
	IF key IN ('sqsName', 'sqsEndpoint') THEN
		PERFORM notify.storage_method_check_hosts(s) FROM notify.storage_method s
		  WHERE s.id OPERATOR(pg_catalog.=) method_id;
	END IF;
	PERFORM notify.ingest_wake();
END
$$;

-- API: public (notify_admin)
CREATE FUNCTION notify.delete_storage_method(method_id text)
RETURNS void
AS 'MODULE_PATHNAME', 'notify_ext_definition_api'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION notify.delete_storage_method(text) IS
	'API: public. Removes an S3 storage method (its files stay); its inline credentials go with it.';

-- API: private
CREATE FUNCTION notify.delete_storage_method_impl(caller oid, method_id text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m notify.storage_method;
BEGIN
	PERFORM notify.require_arg(method_id, 'method_id');
	SELECT * INTO m FROM notify.storage_method s WHERE s.id OPERATOR(pg_catalog.=) method_id FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'storage method "%" does not exist', notify.quote_value(method_id)
			USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM notify.require_owner(caller, m.owner, pg_catalog.format('storage method "%s"', method_id));
	DELETE FROM notify.storage_method s WHERE s.id OPERATOR(pg_catalog.=) method_id;
	DELETE FROM notify.aws_credential c WHERE c.alias OPERATOR(pg_catalog.=) ('method.' OPERATOR(pg_catalog.||) method_id);
	PERFORM notify.ingest_wake();
END
$$;

-- API: public (notify_admin)
CREATE FUNCTION notify.rescan_storage_method(method_id text)
RETURNS void
AS 'MODULE_PATHNAME', 'notify_ext_definition_api'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION notify.rescan_storage_method(text) IS
	'API: public. Asks the ingest poller for a full scan of the method''s bucket now.';

-- API: private
CREATE FUNCTION notify.rescan_storage_method_impl(caller oid, method_id text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m notify.storage_method;
BEGIN
	PERFORM notify.require_arg(method_id, 'method_id');
	SELECT * INTO m FROM notify.storage_method s WHERE s.id OPERATOR(pg_catalog.=) method_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'storage method "%" does not exist', notify.quote_value(method_id)
			USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM notify.require_owner(caller, m.owner, pg_catalog.format('storage method "%s"', method_id));
	UPDATE notify.storage_method_state st SET scan_requested = true
	 WHERE st.method_id OPERATOR(pg_catalog.=) rescan_storage_method_impl.method_id;
	PERFORM notify.ingest_wake();
END
$$;

-- API: public (notify_admin, notify_monitor).  Methods with their metadata
-- (Vidispine's names) and status; credentials never shown.
CREATE VIEW notify.storage_methods AS
SELECT m.id, m.storage_id,
	   's3://' OPERATOR(pg_catalog.||) m.bucket OPERATOR(pg_catalog.||) '/' OPERATOR(pg_catalog.||) m.prefix AS uri,
	   m.endpoint, m.region, m.credential,
	   pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
		   'sqsName', m.sqs_name, 'sqsEndpoint', m.sqs_endpoint,
		   'refreshOnStart', m.refresh_on_start, 'refreshInterval', m.refresh_interval)) AS metadata,
	   st.last_success, st.last_failure, st.failure_message,
	   st.messages_applied, st.stale_dropped, st.messages_skipped,
	   st.last_scan_started, st.last_scan_finished,
	   st.last_scan_finished OPERATOR(pg_catalog.-) st.last_scan_started AS last_scan_duration,
	   st.last_scan_objects,
	   pg_catalog.pg_get_userbyid(m.owner) AS owner
  FROM notify.storage_method m
  LEFT JOIN notify.storage_method_state st ON st.method_id OPERATOR(pg_catalog.=) m.id;
COMMENT ON VIEW notify.storage_methods IS
	'API: public. S3 storage methods, their metadata and the ingest poller''s status (lastSuccess, lastFailure, failureMessage, counters).';

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

/* ------------------------------------------------------------------------
 * Dumps: every table and sequence holding data travels with pg_dump
 * (test/sql/dump_members.sql lists them).
 * ------------------------------------------------------------------------ */
SELECT pg_catalog.pg_extension_config_dump(
	pg_catalog.pg_get_serial_sequence('notify.outbox', 'id')::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('notify.attempt', '');
SELECT pg_catalog.pg_extension_config_dump('notify.change_set_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('notify.storage_method', '');
SELECT pg_catalog.pg_extension_config_dump('notify.storage_method_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('notify.storage_method_state', '');
SELECT pg_catalog.pg_extension_config_dump('notify.ingest_key', '');

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
	notify.set_aws_credential(text, text, text, text),
	notify.set_ordering(text, text, text),
	notify.set_signing_secret(text, text, text),
	notify.set_signing(text, text, text),
	notify.redeliver(bigint),
	notify.redeliver(text),
	notify.redeliver(timestamptz, timestamptz, text, integer, text),
	notify.discard(bigint),
	notify.discard(text),
	notify.discard(timestamptz, timestamptz, text),
	notify.resume_delivery(),
	notify.pause_delivery()
	TO notify_admin;
GRANT EXECUTE ON FUNCTION notify.list_notifications(text) TO notify_monitor;
GRANT EXECUTE ON FUNCTION
	notify.create_storage_method(text, text, text, text, text),
	notify.set_storage_method_metadata(text, text, text),
	notify.delete_storage_method(text),
	notify.rescan_storage_method(text)
	TO notify_admin;
GRANT SELECT ON notify.storage_methods TO notify_admin, notify_monitor;
-- notify.worker_status calls it as the reader
GRANT EXECUTE ON FUNCTION notify.worker_slots() TO notify_admin, notify_monitor;
-- each role reads its own credentials (row security)
GRANT SELECT ON notify.notification_secret, notify.aws_credential, notify.signing_secret
	TO notify_admin;
GRANT USAGE ON SEQUENCE notify.change_set_id_seq TO notify_admin;
GRANT SELECT ON notify.notifications, notify.outbox, notify.delivery_status,
	notify.delivery_attempts, notify.delivery_state, notify.worker_status
	TO notify_admin, notify_monitor;

GRANT EXECUTE ON FUNCTION
	notify.create_bucket_destination(text, text),
	notify.drop_bucket_destination(text),
	notify.put_bucket_notification(text, text)
	TO notify_admin;
GRANT EXECUTE ON FUNCTION
	notify.list_bucket_destinations(),
	notify.get_bucket_notification(text)
	TO notify_admin, notify_monitor;

-- without the library preloaded nothing is delivered: say so now
SELECT notify.check_preloaded();

-- quota usage and deletion-lock state: read by the roles that read the outbox
GRANT SELECT ON notify.quota_usage, notify.deletion_lock_state, notify.deletion_lock_effective
	TO notify_admin, notify_monitor;

-- per-endpoint budgets and circuit breakers: read by the roles that read
-- the outbox
GRANT EXECUTE ON FUNCTION notify.endpoint_slots() TO notify_admin, notify_monitor;
GRANT SELECT ON notify.endpoint_status TO notify_admin, notify_monitor;
