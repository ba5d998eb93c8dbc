--
-- ownership: a notification belongs to the role that created it; secrets
-- are kept out of documents, views and messages; API arguments are checked
--
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DELETE FROM notify.notification;
DELETE FROM notify.aws_credential;
TRUNCATE notify.outbox;
RESET client_min_messages;
-- ids in this file do not depend on the tests before it
SELECT setval('notify.notification_id_seq', 100) AS first_id_follows;

CREATE ROLE regress_alice IN ROLE notify_admin;
CREATE ROLE regress_mallory IN ROLE notify_admin;
CREATE ROLE regress_alice_deputy IN ROLE regress_alice;
GRANT notify_admin TO regress_alice_deputy;
CREATE ROLE regress_monitor IN ROLE notify_monitor;

CREATE FUNCTION public.alice_hook(jsonb) RETURNS text LANGUAGE sql AS $$ SELECT 'ok' $$;
REVOKE ALL ON FUNCTION public.alice_hook(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.alice_hook(jsonb) TO regress_alice;

-- ---------------------------------------------------------------------
-- the owner is the calling role, by OID
-- ---------------------------------------------------------------------
SET ROLE regress_alice;
SELECT notify.create_notification('item',
	'<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action><http><url>https://hook:s3cr3t@example.com/in</url></http></action><trigger><item><create/></item></trigger></NotificationDocument>') AS alice_http \gset
SELECT notify.create_notification('item',
	'{"action": {"function": {"name": "public.alice_hook"}}, "trigger": {"item": {"delete": ""}}}') AS alice_fn \gset
RESET ROLE;
SELECT id = :'alice_http' AS http, pg_get_userbyid(owner) AS owner
  FROM notify.notification ORDER BY length(id), id;
SELECT owner FROM notify.notifications ORDER BY length(id), id;

-- a function the caller may not execute is refused (42501), nothing stored
SET ROLE regress_mallory;
SELECT notify.create_notification('item',
	'{"action": {"function": {"name": "public.alice_hook"}}, "trigger": {"item": {"create": ""}}}');
SELECT count(*) AS mallory_owns FROM notify.notifications WHERE owner = 'regress_mallory';

-- another admin may not change, re-order, redeliver or delete it (42501)
SELECT notify.update_notification('item', :'alice_http',
	'{"action": {"http": {"url": "https://evil.example.com/"}}, "trigger": {"item": {"create": ""}}}');
SELECT notify.set_ordering('item', :'alice_http', 'endpoint');
SELECT notify.redeliver(:'alice_http');
SELECT notify.delete_notification('item', :'alice_http');
RESET ROLE;
SELECT summary FROM notify.notifications WHERE id = :'alice_http';

-- a member of the owner role may, and the action keeps running as the owner
SET ROLE regress_alice_deputy;
SELECT notify.set_ordering('item', :'alice_http', 'endpoint');
SELECT notify.update_notification('item', :'alice_fn',
	'{"action": {"function": {"name": "public.alice_hook"}}, "trigger": {"item": {"create": ""}}}') IS NOT NULL AS updated;
RESET ROLE;
SELECT id = :'alice_fn' AS fn, pg_get_userbyid(owner) AS owner, ordering
  FROM notify.notification ORDER BY length(id), id;

-- ---------------------------------------------------------------------
-- secrets: masked in documents, summaries and views, in every spelling
-- libcurl sends
-- ---------------------------------------------------------------------
SET ROLE regress_alice;
SELECT notify.create_notification('item',
	'{"action": {"http": {"url": "http:/u1:pw-one@example.com/a"}}, "trigger": {"item": {"create": ""}}}') AS slash1 \gset
SELECT notify.create_notification('item',
	'{"action": {"http": {"url": "http:///u3:pw-three@example.com/c"}}, "trigger": {"item": {"create": ""}}}') AS slash3 \gset
SELECT notify.create_notification('item',
	'{"action": {"sqs": {"endpoint": "sqs.eu-west-1.amazonaws.com", "queue": "q", "accessKey": "AKIAEXAMPLE", "secret": "sqs-secret-key"}}, "trigger": {"item": {"create": ""}}}') AS sqs \gset
RESET ROLE;
SELECT id, summary FROM notify.list_notifications() ORDER BY length(id), id;
SELECT notify.get_notification('item', :'alice_http');
SELECT notify.get_notification('item', :'slash1', 'json');
SELECT notify.get_notification('item', :'slash3', 'json');
SELECT notify.get_notification('item', :'sqs', 'json');
-- no stored document, summary or view holds a secret
SELECT count(*) AS leaked FROM notify.notification
 WHERE document ~ '(s3cr3t|pw-one|pw-three|sqs-secret-key)'
	OR summary ~ '(s3cr3t|pw-one|pw-three|sqs-secret-key)';
-- they are kept apart, for the worker
SELECT n.id = :'alice_http' AS http, s.url_password, s.sqs_secret
  FROM notify.notification_secret s JOIN notify.notification n ON n.id = s.notification_id
 ORDER BY length(n.id), n.id;

-- the owner reads its own secrets; another admin and the monitor do not
SET ROLE regress_alice;
SELECT count(*) AS alice_sees FROM notify.notification_secret;
SET ROLE regress_mallory;
SELECT count(*) AS mallory_sees FROM notify.notification_secret;
SET ROLE regress_monitor;
SELECT count(*) FROM notify.notification_secret;
RESET ROLE;

-- an update that carries the mask back keeps the stored secret; a new
-- password replaces it
SET ROLE regress_alice;
SELECT notify.update_notification('item', :'alice_http',
	notify.get_notification('item', :'alice_http')) IS NOT NULL AS kept;
RESET ROLE;
SELECT url_password FROM notify.notification_secret WHERE notification_id = :'alice_http';
SET ROLE regress_alice;
SELECT notify.update_notification('item', :'alice_http',
	'{"action": {"http": {"url": "https://hook:n3w@example.com/in"}}, "trigger": {"item": {"create": ""}}}');
RESET ROLE;
SELECT url_password FROM notify.notification_secret WHERE notification_id = :'alice_http';
-- a mask with nothing stored behind it is refused
SET ROLE regress_alice;
SELECT notify.create_notification('item',
	'{"action": {"http": {"url": "https://hook:***@example.com/in"}}, "trigger": {"item": {"create": ""}}}');
RESET ROLE;

-- user information is user:password: a user name alone (a token), or one
-- hiding part of the password behind an encoded ':', is refused, and the
-- message does not show it; a token as the password of an empty user works
SET ROLE regress_alice;
SELECT notify.create_notification('item',
	'{"action": {"http": {"url": "http://TOKEN11@example.com/"}}, "trigger": {"item": {"create": ""}}}');
SELECT notify.create_notification('item',
	'{"action": {"http": {"url": "http://u;SEC15@example.com/"}}, "trigger": {"item": {"create": ""}}}');
SELECT notify.create_notification('item',
	'{"action": {"http": {"url": "https://u%3ASEC17@example.com/"}}, "trigger": {"item": {"create": ""}}}');
SELECT notify.create_notification('item',
	'{"action": {"http": {"url": "https://u%3aSEC18:pw@example.com/"}}, "trigger": {"item": {"create": ""}}}');
SELECT notify.create_notification('item',
	'{"action": {"http": {"url": "ftp://TOKEN19@example.com/"}}, "trigger": {"item": {"create": ""}}}');
SELECT notify.create_notification('item',
	'{"action": {"http": {"url": "http://:TOKEN20@example.com/"}}, "trigger": {"item": {"create": ""}}}') AS token \gset
RESET ROLE;
SELECT summary FROM notify.notifications WHERE id = :'token';
SELECT url_password FROM notify.notification_secret WHERE notification_id = :'token';

-- a failed definition echoes no secret
SET ROLE regress_alice;
SELECT notify.create_notification('item',
	'{"action": {"http": {"url": "ftp://hook:leak-me@example.com/in"}}, "trigger": {"item": {"create": ""}}}');
RESET ROLE;

-- ---------------------------------------------------------------------
-- AWS credentials belong to the role that stored them first
-- ---------------------------------------------------------------------
SET ROLE regress_alice;
SELECT notify.set_aws_credential('alice-prod', 'AKIAALICE', 'alice-secret', 'eu-west-1');
SELECT notify.create_notification('item',
	'{"action": {"sqs": {"endpoint": "sqs.eu-west-1.amazonaws.com", "queue": "q", "secret": "alice-prod"}}, "trigger": {"item": {"create": ""}}}') IS NOT NULL AS uses_own_alias;
SELECT alias, access_key, region FROM notify.aws_credential;
SET ROLE regress_mallory;
SELECT notify.set_aws_credential('alice-prod', 'AKIAMALLORY', 'mallory-secret');
SELECT notify.create_notification('item',
	'{"action": {"sqs": {"endpoint": "sqs.eu-west-1.amazonaws.com", "queue": "q", "secret": "alice-prod"}}, "trigger": {"item": {"create": ""}}}');
SELECT notify.create_notification('item',
	'{"action": {"sqs": {"endpoint": "sqs.eu-west-1.amazonaws.com", "queue": "q", "secret": "nobody-stored-this"}}, "trigger": {"item": {"create": ""}}}');
SELECT count(*) AS mallory_sees FROM notify.aws_credential;
RESET ROLE;
SELECT alias, access_key, secret_key, pg_get_userbyid(owner) AS owner FROM notify.aws_credential;

-- ---------------------------------------------------------------------
-- arguments: NULLs and values the documents cannot name (22004 / 22023),
-- with no secret in the message
-- ---------------------------------------------------------------------
SET ROLE regress_alice;
SELECT notify.set_aws_credential(NULL, 'AKIAEXAMPLE', 'NULL-ALIAS-SECRET');
SELECT notify.set_aws_credential('a b', 'AKIAEXAMPLE', 'BAD-ALIAS-SECRET');
SELECT notify.set_aws_credential(repeat('a', 64), 'AKIAEXAMPLE', 'LONG-ALIAS-SECRET');
SELECT notify.set_aws_credential('ok', NULL, 'NULL-KEY-SECRET');
SELECT notify.set_aws_credential('ok', 'AKIA EXAMPLE', 'BAD-KEY-SECRET');
SELECT notify.set_aws_credential('ok', 'AKIAEXAMPLE', NULL);
SELECT notify.set_aws_credential('ok', 'AKIAEXAMPLE', 'with space');
SELECT notify.set_aws_credential('ok', 'AKIAEXAMPLE', 'REGION-SECRET', 'EU WEST');
SELECT notify.create_notification(NULL, '{"action": {"channel": {"name": "x"}}, "trigger": {"item": {"create": ""}}}');
SELECT notify.create_notification('item', NULL);
SELECT notify.create_notification('item', NULL, '{"action": {"channel": {"name": "x"}}, "trigger": {"item": {"create": ""}}}');
SELECT notify.update_notification('item', NULL, '{}');
SELECT notify.delete_notification(NULL, :'alice_http');
SELECT notify.get_notification('item', :'alice_http', NULL);
SELECT notify.set_ordering('item', :'alice_http', NULL);
SELECT notify.redeliver(NULL::bigint);
SELECT notify.redeliver(NULL::text);
-- a long id with line breaks is cut and escaped in the message
SELECT notify.get_notification('item', repeat('x', 200) || E'\r\nInjected: line');
RESET ROLE;
SELECT count(*) AS stored FROM notify.aws_credential;
-- a function the owner may not execute: its name (a quoted identifier may
-- hold line breaks) is escaped in the message, as every other value
CREATE FUNCTION public."hook
Injected: line"(jsonb) RETURNS text LANGUAGE sql AS $$ SELECT 'ok' $$;
REVOKE ALL ON FUNCTION public."hook
Injected: line"(jsonb) FROM PUBLIC;
SET ROLE regress_mallory;
SELECT notify.create_notification('item',
	'{"action": {"function": {"name": "public.\"hook\nInjected: line\""}}, "trigger": {"item": {"create": ""}}}');
RESET ROLE;
DROP FUNCTION public."hook
Injected: line"(jsonb);

-- ---------------------------------------------------------------------
-- which functions act for their caller: C entry points, not SECURITY
-- DEFINER, and their _impl bodies are granted to nobody
-- ---------------------------------------------------------------------
SELECT p.oid::regprocedure AS function, l.lanname, p.prosecdef
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_language l ON l.oid = p.prolang
 WHERE n.nspname = 'notify' AND p.prosrc = 'notify_ext_definition_api'
 ORDER BY 1;
SELECT p.oid::regprocedure AS impl,
	   has_function_privilege('notify_admin', p.oid, 'EXECUTE') AS admin_may_call
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'notify' AND p.proname LIKE '%\_impl'
 ORDER BY 1;
-- capture sources are not for notify_admin: attaching defines what events exist
SELECT has_function_privilege('notify_admin', 'notify.attach(regclass, text, name, jsonb, boolean)', 'EXECUTE') AS admin_attach,
	   has_function_privilege('notify_admin', 'notify.capture()', 'EXECUTE') AS admin_capture;

SET client_min_messages = warning;
DELETE FROM notify.notification;
DELETE FROM notify.aws_credential;
RESET client_min_messages;
DROP FUNCTION public.alice_hook(jsonb);
DROP ROLE regress_alice_deputy, regress_alice, regress_mallory, regress_monitor;
