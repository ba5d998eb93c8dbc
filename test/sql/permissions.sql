--
-- permissions: nothing for PUBLIC; notify_admin defines, notify_monitor reads
--
SET client_min_messages = warning;
DELETE FROM notify.notification;
TRUNCATE notify.outbox;
RESET client_min_messages;

SELECT c.relname,
	   has_table_privilege('public', c.oid, 'SELECT') AS public_select,
	   has_table_privilege('public', c.oid, 'INSERT') AS public_insert
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'notify' AND c.relkind IN ('r', 'v', 'S')
 ORDER BY 1;
SELECT p.oid::regprocedure AS function
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'notify' AND has_function_privilege('public', p.oid, 'EXECUTE')
 ORDER BY 1;
SELECT has_schema_privilege('public', 'notify', 'USAGE') AS public_usage;

CREATE ROLE regress_admin IN ROLE notify_admin;
CREATE ROLE regress_monitor IN ROLE notify_monitor;
CREATE ROLE regress_app;
CREATE ROLE regress_nobody;
GRANT USAGE ON SCHEMA notify TO regress_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON notify.item TO regress_app;

-- the admin role defines notifications, with credentials in the URL; what
-- it reads back has them masked
SET ROLE regress_admin;
SELECT notify.create_notification('item',
	'<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action><http synchronous="false"><url>https://hook:s3cr3t@example.com/in</url><method>POST</method><timeout>5</timeout><retry>3</retry></http></action><trigger><item><create/></item></trigger></NotificationDocument>') AS id \gset
SELECT position('s3cr3t' IN notify.get_notification('item', :'id')) > 0 AS get_shows_secret;
RESET ROLE;

-- the monitor role lists (credentials masked) and reads status, defines nothing
SET ROLE regress_monitor;
SELECT resource, trigger, action, position('s3cr3t' IN summary) AS secret_shown FROM notify.list_notifications();
SELECT count(*) FROM notify.outbox;
SELECT notification_id = :'id' AS same, pending FROM notify.delivery_status;
SELECT notify.get_notification('item', :'id');
SELECT notify.create_notification('item', '{"action": {"channel": {"name": "x"}}, "trigger": {"item": {"create": ""}}}');
SELECT notify.delete_notification('item', :'id');
RESET ROLE;

-- an application role writes items; capture works without outbox privileges
SET ROLE regress_app;
INSERT INTO notify.item (id, title) VALUES ('VX-7001', 'by app');
SELECT count(*) FROM notify.outbox;
SELECT notify.list_notifications();
RESET ROLE;
SELECT entity_id, payload::text FROM notify.outbox;

-- anybody else gets nothing
SET ROLE regress_nobody;
SELECT * FROM notify.notifications;
SELECT notify.list_notifications();
INSERT INTO notify.item (title) VALUES ('x');
RESET ROLE;

DELETE FROM notify.notification;
DROP ROLE regress_admin, regress_monitor, regress_nobody;
REVOKE ALL ON SCHEMA notify FROM regress_app;
REVOKE ALL ON notify.item FROM regress_app;
DROP ROLE regress_app;
