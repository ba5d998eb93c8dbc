--
-- security_probe: one admin's changes run another admin's synchronous
-- function action in their own session; that session's temporary objects
-- must not stand in for the owner's tables.  Create and update refuse an
-- <sqs>/<sns> endpoint the SSRF guard would refuse (definition_errors).
--
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DELETE FROM notify.notification;
TRUNCATE notify.outbox;
RESET client_min_messages;
-- ids in this file do not depend on the tests before it
SELECT setval('notify.notification_id_seq', 100) AS first_id_follows;

CREATE ROLE regress_owner IN ROLE notify_admin;
CREATE ROLE regress_changer IN ROLE notify_admin;
CREATE SCHEMA owner_app AUTHORIZATION regress_owner;
GRANT USAGE ON SCHEMA owner_app TO regress_changer;

SET ROLE regress_owner;
CREATE TABLE owner_app.audit (v text);
-- a function with its own search_path: pg_temp is then searched first
CREATE FUNCTION owner_app.audit_hook(e jsonb) RETURNS text
	LANGUAGE plpgsql SET search_path = owner_app AS $$
BEGIN
	INSERT INTO audit VALUES (e #>> '{itemId,0}');
	RETURN 'ok';
END $$;
SELECT notify.create_notification('item',
	'<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action>'
	|| '<function synchronous="true"><name>owner_app.audit_hook</name></function>'
	|| '</action><trigger><item><create/></item></trigger></NotificationDocument>') IS NOT NULL AS defined;
RESET ROLE;

-- another admin's change runs the owner's action, as the owner
SET ROLE regress_changer;
INSERT INTO notify.item (id, title) VALUES ('SP-1', 'plain');
RESET ROLE;
SELECT v FROM owner_app.audit ORDER BY v;

-- the same admin with a temporary table of the name and a trigger of its
-- own: the owner's function would write into it and run that trigger as
-- the owner; the action stops instead (DETAIL: "a synchronous function
-- action of another role does not run in a session with temporary objects")
SET ROLE regress_changer;
CREATE FUNCTION pg_temp.spy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.v := NEW.v || ' spied as ' || current_user;
	RETURN NEW;
END $$;
CREATE TEMP TABLE audit (v text);
GRANT INSERT ON pg_temp.audit TO regress_owner;
CREATE TRIGGER spy BEFORE INSERT ON pg_temp.audit
	FOR EACH ROW EXECUTE FUNCTION pg_temp.spy();
\set VERBOSITY terse
INSERT INTO notify.item (id, title) VALUES ('SP-2', 'temp');
\set VERBOSITY default
SELECT v AS spied FROM pg_temp.audit;
DROP TABLE pg_temp.audit;
DROP FUNCTION pg_temp.spy();
RESET ROLE;
SELECT v FROM owner_app.audit ORDER BY v;
SELECT count(*) AS items FROM notify.item WHERE id = 'SP-2';

-- the owner's own session with temporary objects runs it
SET ROLE regress_owner;
CREATE TEMP TABLE owner_scratch (x int);
INSERT INTO notify.item (id, title) VALUES ('SP-3', 'owner');
DROP TABLE owner_scratch;
RESET ROLE;
SELECT v FROM owner_app.audit ORDER BY v;

SET client_min_messages = warning;
DELETE FROM notify.notification;
DELETE FROM notify.item WHERE id LIKE 'SP-%';
DROP SCHEMA owner_app CASCADE;
RESET client_min_messages;
DROP ROLE regress_owner, regress_changer;
