--
-- install: the extension creates its schema, tables and roles
--
CREATE EXTENSION notify_ext;
CREATE EXTENSION notify_ext_assets;
SELECT extname, extversion, extrelocatable FROM pg_extension WHERE extname = 'notify_ext';

-- the asset database is there
SELECT c.relname, c.relkind
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'notify' AND c.relkind IN ('r', 'v')
 ORDER BY 1;

-- capture triggers on the shipped asset tables
SELECT tgrelid::regclass AS "table", tgname
  FROM pg_trigger
 WHERE tgfoid = 'notify.capture()'::regprocedure
 ORDER BY 1;

-- roles for administration and monitoring
SELECT rolname, rolcanlogin FROM pg_roles
 WHERE rolname IN ('notify_admin', 'notify_monitor') ORDER BY 1;
