--
-- outbox_ops: operating queued events.  notify.discard (by event, by
-- notification, by time window), notify.redeliver by time window, last
-- status and error pattern, delete_notification failing waiting events,
-- notify.worker_status: arguments, permissions and exactly which events
-- each touches.  Delivery is paused, so the rows written here stay as
-- written.
--
SET client_min_messages = warning;
DELETE FROM notify.notification;
TRUNCATE notify.outbox;
RESET client_min_messages;
SET timezone = 'UTC';
\set SHOW_CONTEXT never
SELECT notify.pause_delivery();
-- notification ids VX-1001 and VX-1002 whatever ran before
SELECT setval('notify.notification_id_seq', 1000) AS seq;

CREATE ROLE regress_ops_owner IN ROLE notify_admin;
CREATE ROLE regress_ops_other IN ROLE notify_admin;
CREATE ROLE regress_ops_monitor IN ROLE notify_monitor;

SET ROLE regress_ops_owner;
SELECT notify.create_notification('item',
	'<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action><http synchronous="false"><url>https://example.com/in</url><method>POST</method><timeout>5</timeout><retry>3</retry></http></action><trigger><item><create/></item></trigger></NotificationDocument>') AS n1 \gset
SELECT notify.create_notification('item',
	'<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action><http synchronous="false"><url>https://example.com/other</url><method>POST</method><timeout>5</timeout><retry>3</retry></http></action><trigger><item><create/></item></trigger></NotificationDocument>') AS n2 \gset
RESET ROLE;

-- events as the worker leaves them: failed at 10:05 and 10:10 with 503,
-- at 10:15 with a connection error, at 10:30 (outside the window) with
-- 503, one delivered, one pending, one retrying
INSERT INTO notify.outbox (id, notification_id, resource, event, entity_id, payload,
						   status, queued, attempts, created_at, last_status, last_error)
VALUES
 (101, :'n1', 'item', 'item.create', 'VX-1', '{}', 'failed', false, 4, '2026-03-02 10:05+00', 503, 'HTTP status 503'),
 (102, :'n1', 'item', 'item.create', 'VX-2', '{}', 'failed', false, 4, '2026-03-02 10:10+00', 503, 'HTTP status 503'),
 (103, :'n1', 'item', 'item.create', 'VX-3', '{}', 'failed', false, 4, '2026-03-02 10:15+00', NULL, 'could not connect to 127.0.0.1: Connection refused'),
 (104, :'n1', 'item', 'item.create', 'VX-4', '{}', 'failed', false, 4, '2026-03-02 10:30+00', 503, 'HTTP status 503'),
 (105, :'n1', 'item', 'item.create', 'VX-5', '{}', 'delivered', false, 1, '2026-03-02 10:06+00', 204, NULL),
 (106, :'n1', 'item', 'item.create', 'VX-6', '{}', 'pending', true, 0, '2026-03-02 10:07+00', NULL, NULL),
 (107, :'n1', 'item', 'item.create', 'VX-7', '{}', 'retrying', false, 1, '2026-03-02 10:08+00', 503, 'HTTP status 503'),
 (108, :'n2', 'item', 'item.create', 'VX-8', '{}', 'failed', false, 4, '2026-03-02 10:09+00', 503, 'HTTP status 503'),
 (109, 'VX-999', 'item', 'item.create', 'VX-9', '{}', 'failed', false, 4, '2026-03-02 10:09+00', 503, 'HTTP status 503');

-- argument errors
SET ROLE regress_ops_owner;
SELECT notify.redeliver(NULL::timestamptz, '2026-03-02 10:20+00');
SELECT notify.redeliver('2026-03-02 10:20+00'::timestamptz, '2026-03-02 10:00+00');
SELECT notify.redeliver('2026-03-02 10:00+00'::timestamptz, '2026-03-02 10:20+00', last_status => 42);
SELECT notify.redeliver('2026-03-02 10:00+00'::timestamptz, '2026-03-02 10:20+00', error_pattern => '(');
SELECT notify.redeliver('2026-03-02 10:00+00'::timestamptz, '2026-03-02 10:20+00', 'VX-424242');
SELECT notify.discard(NULL::bigint);
SELECT notify.discard(NULL::text);
SELECT notify.discard(-1::bigint);
SELECT notify.discard('VX-424242');
SELECT notify.discard(105::bigint);
SELECT notify.discard('2026-03-02 10:20+00'::timestamptz, NULL);
RESET ROLE;

-- permissions: another notify_admin member may not touch n1's events; a
-- window without a notification only covers the caller's notifications
SET ROLE regress_ops_other;
SELECT notify.discard(106::bigint);
SELECT notify.discard(:'n1');
SELECT notify.redeliver('2026-03-02 10:00+00'::timestamptz, '2026-03-02 10:20+00', :'n1');
SELECT notify.discard('2026-03-02 10:00+00'::timestamptz, '2026-03-02 10:20+00', :'n1');
SELECT notify.redeliver('2026-03-02 10:00+00'::timestamptz, '2026-03-02 10:20+00') AS others_redelivered;
SELECT notify.discard('2026-03-02 10:00+00'::timestamptz, '2026-03-02 10:20+00') AS others_discarded;
-- events of a deleted notification: superusers only
SELECT notify.discard(109::bigint);
RESET ROLE;
-- a monitor reads, steers nothing
SET ROLE regress_ops_monitor;
SELECT notify.discard(106::bigint);
SELECT notify.redeliver('2026-03-02 10:00+00'::timestamptz, '2026-03-02 10:20+00');
SELECT database = current_database() AS this_database, current FROM notify.worker_status WHERE current;
RESET ROLE;
SELECT id, status FROM notify.outbox ORDER BY id;

-- redeliver by window and last status: the failed 503s of 10:00-10:20 of
-- the caller's notifications (not 10:30, not the connection error)
SET ROLE regress_ops_owner;
SELECT notify.redeliver('2026-03-02 10:00+00'::timestamptz, '2026-03-02 10:20+00', last_status => 503);
-- by error pattern, one notification
SELECT notify.redeliver('2026-03-02 10:00+00'::timestamptz, '2026-03-02 10:20+00', :'n1',
						error_pattern => 'Connection refused');
-- nothing failed is left in the window
SELECT notify.redeliver('2026-03-02 10:00+00'::timestamptz, '2026-03-02 10:20+00');
RESET ROLE;
SELECT id, status, queued, attempts_base FROM notify.outbox ORDER BY id;

-- discard: by event, by window of one notification, by notification
SET ROLE regress_ops_owner;
SELECT notify.discard(101::bigint);
SELECT notify.discard(101::bigint);
SELECT notify.discard('2026-03-02 10:00+00'::timestamptz, '2026-03-02 10:09+00', :'n1');
SELECT notify.discard(:'n2');
RESET ROLE;
SELECT id, status, queued FROM notify.outbox ORDER BY id;
SELECT notification_id = :'n1' AS n1, pending, in_flight, retrying, delivered, failed, discarded
  FROM notify.delivery_status WHERE notification_id IN (:'n1', :'n2') ORDER BY 1 DESC;
-- discarded events are not redelivered
SELECT notify.redeliver(101::bigint);
-- superusers may discard the events of a deleted notification
SELECT notify.discard(109::bigint);

-- delete_notification fails the waiting events at once, with a message
UPDATE notify.outbox SET status = 'retrying', queued = false WHERE id = 104;
SET ROLE regress_ops_owner;
SELECT notify.delete_notification('item', :'n1');
RESET ROLE;
SELECT id, status, queued, last_error FROM notify.outbox ORDER BY id;

SELECT notify.resume_delivery();
DELETE FROM notify.notification;
TRUNCATE notify.outbox;
DROP ROLE regress_ops_owner, regress_ops_other, regress_ops_monitor;
