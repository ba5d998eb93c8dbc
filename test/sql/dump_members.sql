--
-- dump_members: every table and sequence of notify_ext and
-- notify_ext_assets, and how pg_dump dumps its rows.  A table or sequence
-- holding data must be in extconfig (pg_extension_config_dump), or a
-- restore loses its rows; this list is the reviewed one, so a new member
-- shows up here.
--
SELECT e.extname, c.relname, c.relkind,
	   pg_catalog.array_position(e.extconfig, c.oid) IS NOT NULL AS dumped,
	   e.extcondition[pg_catalog.array_position(e.extconfig, c.oid)] AS filter
  FROM pg_depend d
  JOIN pg_extension e ON e.oid = d.refobjid
  JOIN pg_class c ON c.oid = d.objid
 WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_extension'::regclass
   AND d.deptype = 'e' AND e.extname IN ('notify_ext', 'notify_ext_assets')
   AND c.relkind IN ('r', 'p', 'S')
 ORDER BY 1, 3, 2;

-- the identity sequence of notify.outbox is the one dumped above
SELECT pg_get_serial_sequence('notify.outbox', 'id');

-- no member of one extension depends on the other: dropping notify_ext
-- keeps the asset tables (only their capture triggers go)
SELECT count(*) AS cross_dependencies
  FROM pg_depend d1
  JOIN pg_depend d2 ON d2.classid = d1.refclassid AND d2.objid = d1.refobjid
  JOIN pg_depend m ON m.classid = d1.classid AND m.objid = d1.objid
 WHERE m.deptype = 'e' AND m.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'notify_ext_assets')
   AND d2.deptype = 'e' AND d2.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'notify_ext');
-- the schema belongs to neither
SELECT count(*) AS schema_members FROM pg_depend
 WHERE classid = 'pg_namespace'::regclass AND objid = 'notify'::regnamespace AND deptype = 'e';

--
-- The delivery site: this database delivers as itself
--
SELECT count(*) AS sites FROM notify.delivery_site s, notify.current_site c
 WHERE (s.system_identifier, s.database_oid, s.paused) = (c.system_identifier, c.database_oid, false);
SELECT paused, reason, recorded_site, paused_at IS NULL AS not_paused_by_hand
  FROM notify.delivery_state;

-- a pause by hand
SELECT notify.pause_delivery();
SELECT notify.pause_delivery();		-- once is enough
SELECT paused, reason, recorded_site, paused_at IS NOT NULL AS paused_by_hand
  FROM notify.delivery_state;
SELECT count(*) FILTER (WHERE paused) AS pauses FROM notify.delivery_site;
SELECT notify.resume_delivery();
SELECT paused, reason FROM notify.delivery_state;

-- the row of another database (as a restore brings it) pauses delivery
INSERT INTO notify.delivery_site (system_identifier, database_oid, recorded_at)
	VALUES (42, 4242, '2026-01-02 03:04:05+00');
SET timezone = 'UTC';
SELECT paused, reason, recorded_site,
	   this_site = (SELECT 'system identifier ' || system_identifier || ', database OID ' || database_oid
					  FROM notify.current_site) AS this_site_ok
  FROM notify.delivery_state;
RESET timezone;

-- the monitor reads the state; only the admin resumes
SET ROLE notify_monitor;
SELECT paused FROM notify.delivery_state;
SELECT notify.resume_delivery();
SELECT notify.pause_delivery();
RESET ROLE;
SET ROLE notify_admin;
SELECT notify.resume_delivery();
SELECT paused, reason FROM notify.delivery_state;
RESET ROLE;
SELECT count(*) AS sites FROM notify.delivery_site;
