/* notify_ext--1.0--1.1.sql: from 1.0 to 1.1 (ALTER EXTENSION notify_ext UPDATE) */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION notify_ext UPDATE TO '1.1'" to load this file. \quit

/*
 * Every change to sql/notify_ext.sql since 1.0, in the same order.
 * test/t/012_upgrade.pl checks that 1.0 plus this script gives the same
 * objects as a fresh 1.1.
 */

/* Signing (Standard Webhooks): secrets by alias, named per notification */
ALTER TABLE notify.notification ADD COLUMN signing_alias text;

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

REVOKE ALL ON FUNCTION
	notify.check_signing_secret(text, text, text),
	notify.set_signing_secret(text, text, text),
	notify.set_signing_secret_impl(oid, text, text, text),
	notify.set_signing(text, text, text),
	notify.set_signing_impl(oid, text, text, text)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	notify.set_signing_secret(text, text, text),
	notify.set_signing(text, text, text)
	TO notify_admin;
GRANT SELECT ON notify.signing_secret TO notify_admin;

/*
 * notify.attach: column options default to the shipped tables' column
 * names, the file kind needs its storage, path and state columns, and an
 * attached table is changed only with replace => true.
 */
DROP FUNCTION notify.attach(regclass, text, name, jsonb);
DROP FUNCTION notify.capture_kind_options(text);
-- API: private.  The options notify.attach() takes for a kind of table, from
-- the table of capture kinds (src/capture/kinds.c), with the column each
-- defaults to.
CREATE FUNCTION notify.capture_kind_options(kind text,
		OUT option text, OUT role text, OUT multiple boolean, OUT required boolean,
		OUT default_column text)
RETURNS SETOF record
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'notify_ext_capture_kind_options';

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
	trigname text := 'notify_capture';
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

	attached := EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t
						 WHERE t.tgrelid OPERATOR(pg_catalog.=) relation
						   AND t.tgname OPERATOR(pg_catalog.=) trigname);
	IF attached AND NOT attach.replace THEN
		RAISE EXCEPTION 'table % is attached already', relation
			USING ERRCODE = 'duplicate_object',
				  HINT = 'Give replace => true to replace its capture trigger, or call notify.detach first.';
	END IF;
	EXECUTE pg_catalog.format(
		'CREATE OR REPLACE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION notify.capture(%s)',
		trigname, relation,
		(SELECT pg_catalog.string_agg(pg_catalog.quote_literal(a), ', ') FROM pg_catalog.unnest(args) a));
END
$$;
COMMENT ON FUNCTION notify.attach(regclass, text, name, jsonb, boolean) IS
	'API: public. Installs the capture trigger on a table of an existing asset database: which resource it holds, which column is the entity id and which columns hold the rest (defaulting to the shipped tables'' column names); an attached table is changed only with replace => true.';

REVOKE ALL ON FUNCTION
	notify.capture_kind_options(text),
	notify.attach(regclass, text, name, jsonb, boolean)
	FROM PUBLIC;

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
