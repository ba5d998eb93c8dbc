--
-- extension_objects.sql
--	One line per member object of notify_ext and notify_ext_assets and per
--	property a user can observe: definitions of functions, views, columns,
--	constraints, indexes, triggers, policies, privileges, comments, the
--	dump configuration, and the grants the scripts give outside their
--	members.  test/t/012_upgrade.pl compares its output between a fresh
--	install and an updated one.
--
WITH members AS (
	SELECT e.extname, d.classid, d.objid
	  FROM pg_catalog.pg_depend d
	  JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
	 WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.deptype = 'e'
	   AND e.extname IN ('notify_ext', 'notify_ext_assets')
), rels AS (
	SELECT m.extname, c.* FROM members m JOIN pg_catalog.pg_class c ON c.oid = m.objid
	 WHERE m.classid = 'pg_catalog.pg_class'::regclass
), lines AS (
	-- every member, by description
	SELECT m.extname, pg_catalog.pg_describe_object(m.classid, m.objid, 0) AS line FROM members m
	UNION ALL
	-- functions: the whole definition, privileges, comment
	SELECT m.extname, pg_catalog.concat_ws(' | ', pg_catalog.pg_describe_object(m.classid, m.objid, 0),
		CASE WHEN p.prokind IN ('f', 'p') THEN pg_catalog.pg_get_functiondef(p.oid) END,
		p.proacl::text, pg_catalog.obj_description(p.oid, 'pg_proc'))
	  FROM members m JOIN pg_catalog.pg_proc p ON p.oid = m.objid
	 WHERE m.classid = 'pg_catalog.pg_proc'::regclass
	UNION ALL
	-- relations: kind, options, privileges, row security, comment, view text
	SELECT r.extname, pg_catalog.concat_ws(' | ', r.oid::regclass::text, r.relkind, r.reloptions::text,
		r.relacl::text, r.relrowsecurity, r.relforcerowsecurity, r.relpersistence,
		pg_catalog.obj_description(r.oid, 'pg_class'),
		CASE WHEN r.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(r.oid) END)
	  FROM rels r
	UNION ALL
	-- columns, in order
	SELECT r.extname, pg_catalog.concat_ws(' | ', r.oid::regclass::text, a.attnum, a.attname,
		pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity, a.attgenerated,
		pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), a.attacl::text,
		pg_catalog.col_description(r.oid, a.attnum))
	  FROM rels r JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
	  LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = r.oid AND ad.adnum = a.attnum
	UNION ALL
	-- constraints
	SELECT r.extname, pg_catalog.concat_ws(' | ', r.oid::regclass::text, co.conname,
		pg_catalog.pg_get_constraintdef(co.oid))
	  FROM rels r JOIN pg_catalog.pg_constraint co ON co.conrelid = r.oid
	UNION ALL
	-- indexes of member tables
	SELECT r.extname, pg_catalog.pg_get_indexdef(i.indexrelid)
	  FROM rels r JOIN pg_catalog.pg_index i ON i.indrelid = r.oid
	UNION ALL
	-- triggers on member tables (capture triggers included)
	SELECT r.extname, pg_catalog.pg_get_triggerdef(t.oid)
	  FROM rels r JOIN pg_catalog.pg_trigger t ON t.tgrelid = r.oid AND NOT t.tgisinternal
	UNION ALL
	-- row security policies
	SELECT r.extname, pg_catalog.concat_ws(' | ', r.oid::regclass::text, po.polname, po.polcmd,
		po.polpermissive, po.polroles::regrole[]::text, pg_catalog.pg_get_expr(po.polqual, po.polrelid),
		pg_catalog.pg_get_expr(po.polwithcheck, po.polrelid))
	  FROM rels r JOIN pg_catalog.pg_policy po ON po.polrelid = r.oid
	UNION ALL
	-- sequences
	SELECT r.extname, pg_catalog.concat_ws(' | ', r.oid::regclass::text, s.seqtypid::regtype,
		s.seqstart, s.seqincrement, s.seqmax, s.seqmin, s.seqcache, s.seqcycle)
	  FROM rels r JOIN pg_catalog.pg_sequence s ON s.seqrelid = r.oid
	UNION ALL
	-- types (enums with their labels in order)
	SELECT m.extname, pg_catalog.concat_ws(' | ', t.oid::regtype::text, t.typtype,
		(SELECT pg_catalog.string_agg(en.enumlabel::text, ',' ORDER BY en.enumsortorder)
		   FROM pg_catalog.pg_enum en WHERE en.enumtypid = t.oid),
		pg_catalog.obj_description(t.oid, 'pg_type'))
	  FROM members m JOIN pg_catalog.pg_type t ON t.oid = m.objid
	 WHERE m.classid = 'pg_catalog.pg_type'::regclass
	UNION ALL
	-- what pg_dump dumps of each member table
	SELECT e.extname, pg_catalog.concat_ws(' | ', 'dumped', cfg.rel::regclass::text, cfg.cond)
	  FROM pg_catalog.pg_extension e,
		   LATERAL unnest(e.extconfig, e.extcondition) AS cfg(rel, cond)
	 WHERE e.extname IN ('notify_ext', 'notify_ext_assets')
	UNION ALL
	-- the schema's privileges
	SELECT 'schema', pg_catalog.concat_ws(' | ', n.nspname, n.nspacl::text)
	  FROM pg_catalog.pg_namespace n WHERE n.nspname = 'notify'
)
SELECT extname || ': ' || line FROM lines ORDER BY 1;
