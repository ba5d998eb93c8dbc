--
-- definitions: NotificationDocuments in XML and JSON through the definition
-- API, for every action kind and every trigger of every resource, including
-- every example of the Vidispine trigger and action reference.
--
-- Helpers live in schema defs, dropped at the end; every notification
-- created here is deleted again.
--
CREATE SCHEMA defs;

-- the AWS credential the reference's <sqs> example names by alias
SELECT notify.set_aws_credential('aws', 'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');

-- handler for <function> actions: takes the event as jsonb, returns text
CREATE FUNCTION defs.on_event(event jsonb) RETURNS text
LANGUAGE sql AS $$ SELECT 'accepted' $$;

-- wrap an action and a trigger into a NotificationDocument
CREATE FUNCTION defs.doc(action text, trigger text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action>'
		|| action || '</action><trigger>' || trigger || '</trigger></NotificationDocument>'
$$;

-- the reference examples leave the action (or the trigger) as "...": fill in
-- an HTTP action and an item create trigger
CREATE FUNCTION defs.fill(document text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT regexp_replace(regexp_replace(regexp_replace(document,
		'(<action>\s*)\.\.\.(\s*</action>)',
		'\1<http synchronous="false"><url>http://example.com/notify</url><method>POST</method><timeout>5</timeout><retry>3</retry></http>\2'),
		'(<http[^>]*>\s*)\.\.\.(\s*</http>)',
		'\1<url>http://example.com/notify</url><method>POST</method><timeout>5</timeout><retry>3</retry>\2'),
		'(<trigger>\s*)\.\.\.(\s*</trigger>)',
		'\1<item><create/></item>\2')
$$;

-- Create a notification, read it back as XML and as JSON, and check that the
-- stored document is canonical: the XML rendering is the stored text and
-- parsing either rendering gives the stored document again.
CREATE FUNCTION defs.roundtrip(resource text, document text,
	OUT trigger_event text, OUT stable boolean, OUT as_json text)
LANGUAGE plpgsql AS $$
DECLARE
	new_id text;
	stored text;
	as_xml text;
BEGIN
	new_id := notify.create_notification(resource, document);
	SELECT n.event, n.document INTO trigger_event, stored
	  FROM notify.notification n WHERE n.id = new_id;
	as_xml := notify.get_notification(resource, new_id, 'xml');
	as_json := notify.get_notification(resource, new_id, 'json');
	stable := as_xml = stored
		AND (notify.parse_document(resource, as_xml, current_user::regrole::oid)).document_xml = stored
		AND (notify.parse_document(resource, as_json, current_user::regrole::oid)).document_xml = stored;
END
$$;

-- the SQLSTATE a statement fails with, or 'ok'
CREATE FUNCTION defs.sqlstate_of(statement text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE statement;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END
$$;

-- delete every notification through the API; returns how many
CREATE FUNCTION defs.delete_all() RETURNS bigint
LANGUAGE sql AS $$
	SELECT count(*) FROM (SELECT notify.delete_notification(n.resource, n.id)
							FROM notify.notification n) d
$$;

--
-- 1. Every example of the trigger reference (seed 001) and of the action
--    reference (seed 002), exactly as written there, with "..." filled in.
--    The <ejb>, <jms> and <javascript> examples are in definition_errors.
--
CREATE TABLE defs.seed (n int PRIMARY KEY, name text, resource text, document text);
INSERT INTO defs.seed (n, name, resource, document) VALUES
(0, '001 item create', 'item', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<item>
<create/>
</item>
</trigger>
</NotificationDocument>$doc$),
(1, '001 item delete', 'item', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<item>
<delete/>
</item>
</trigger>
</NotificationDocument>$doc$),
(2, '001 item modify', 'item', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<metadata>
<modify>
<field>field_a, field_b</field>
<language>en_*</language>
</modify>
</metadata>
</trigger>
</NotificationDocument>$doc$),
(3, '001 item create access', 'item', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<access>
<create/>
</access>
</trigger>
</NotificationDocument>$doc$),
(4, '001 item delete access', 'item', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<access>
<delete/>
</access>
</trigger>
</NotificationDocument>$doc$),
(5, '001 item change access', 'item', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<access>
<change/>
</access>
</trigger>
</NotificationDocument>$doc$),
(6, '001 item create shape', 'item', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<shape>
<create/>
</shape>
</trigger>
</NotificationDocument>$doc$),
(7, '001 item modify shape', 'item', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<shape>
<modify/>
</shape>
</trigger>
</NotificationDocument>$doc$),
(8, '001 item delete shape', 'item', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<shape>
<delete/>
</shape>
</trigger>
</NotificationDocument>$doc$),
(9, '001 collection create', 'collection', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<collection>
<create/>
</collection>
</trigger>
</NotificationDocument>$doc$),
(10, '001 collection delete', 'collection', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<collection>
<delete/>
</collection>
</trigger>
</NotificationDocument>$doc$),
(11, '001 collection metadata', 'collection', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<collection>
<metadata>
<modify>
<field>field_a, field_b</field>
<language>en_*</language>
</modify>
</metadata>
</collection>
</trigger>
</NotificationDocument>$doc$),
(12, '001 collection modify', 'collection', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<collection>
<modify/>
</collection>
</trigger>
</NotificationDocument>$doc$),
(13, '001 document create', 'document', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<document>
<create/>
</document>
</trigger>
</NotificationDocument>$doc$),
(14, '001 document delete', 'document', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<document>
<delete/>
</document>
</trigger>
</NotificationDocument>$doc$),
(15, '001 document update', 'document', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<document>
<modify>
<field>field_a, field_b</field>
<language>en_*</language>
</modify>
</document>
</trigger>
</NotificationDocument>$doc$),
(16, '001 group create', 'group', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<group>
<create/>
</group>
</trigger>
</NotificationDocument>$doc$),
(17, '001 group delete', 'group', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<group>
<delete/>
</group>
</trigger>
</NotificationDocument>$doc$),
(18, '001 group modify', 'group', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<group>
<modify/>
</group>
</trigger>
</NotificationDocument>$doc$),
(19, '001 normal job notification', 'job', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<job>
<stop/>
</job>
</trigger>
</NotificationDocument>$doc$),
(20, '001 placeholder job notification', 'job', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<job>
<stop/>
<placeholder>true</placeholder>
</job>
</trigger>
</NotificationDocument>$doc$),
(21, '001 job create', 'job', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<job>
<create/>
</job>
</trigger>
</NotificationDocument>$doc$),
(22, '001 job stop', 'job', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<job>
<stop/>
</job>
</trigger>
</NotificationDocument>$doc$),
(23, '001 job update', 'job', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<job>
<update/>
</job>
</trigger>
</NotificationDocument>$doc$),
(24, '001 job filtering by type', 'job', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<job>
<stop/>
<filter>
<type>PLACEHOLDER_IMPORT</type>
</filter>
</job>
</trigger>
</NotificationDocument>$doc$),
(25, '001 job metadata, string comparison', 'job', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<job>
<stop/>
<filter>
<type>PLACEHOLDER_IMPORT</type>
<jobdata>
<key>key</key>
<value>value</value>
</jobdata>
</filter>
</job>
</trigger>
</NotificationDocument>$doc$),
(26, '001 job metadata, regular expressions', 'job', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<job>
<stop/>
<filter>
<type>PLACEHOLDER_IMPORT</type>
<jobdata>
<key-regex>regex</key-regex>
<value-regex>regex</value-regex>
</jobdata>
</filter>
</job>
</trigger>
</NotificationDocument>$doc$),
(27, '001 content filter', 'job', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<job>
<stop/>
<contentFilters>
<contentFilter>jobId</contentFilter>
<contentFilter>jobState</contentFilter>
</contentFilters>
</job>
</trigger>
</NotificationDocument>$doc$),
(28, '001 create storage', 'storage', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<storage>
<create/>
</storage>
</trigger>
</NotificationDocument>$doc$),
(29, '001 delete storage', 'storage', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<storage>
<delete/>
</storage>
</trigger>
</NotificationDocument>$doc$),
(30, '001 generate filename', 'storage', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<storage>
<filename/>
</storage>
</trigger>
</NotificationDocument>$doc$),
(31, '001 creating file notifications', 'file', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<file>
<new/>
</file>
</trigger>
</NotificationDocument>$doc$),
(32, '001 new file', 'file', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<file>
<new/>
</file>
</trigger>
</NotificationDocument>$doc$),
(33, '001 file has changed', 'file', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<file>
<change/>
</file>
</trigger>
</NotificationDocument>$doc$),
(34, '001 file has closed', 'file', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<file>
<close/>
</file>
</trigger>
</NotificationDocument>$doc$),
(35, '001 file was deleted', 'file', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<file>
<delete/>
</file>
</trigger>
</NotificationDocument>$doc$),
(36, '001 file hash has been computed', 'file', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<file>
<hash/>
</file>
</trigger>
</NotificationDocument>$doc$),
(37, '001 file has been lost', 'file', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<file>
<lost/>
</file>
</trigger>
</NotificationDocument>$doc$),
(38, '001 creating quota notifications', 'quota', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<quota>
<warning/>
</quota>
</trigger>
</NotificationDocument>$doc$),
(39, '001 quota warning', 'quota', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<quota>
<warning/>
</quota>
</trigger>
</NotificationDocument>$doc$),
(40, '001 quota create', 'quota', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<quota>
<created/>
</quota>
</trigger>
</NotificationDocument>$doc$),
(41, '001 quota delete', 'quota', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<quota>
<delete/>
</quota>
</trigger>
</NotificationDocument>$doc$),
(42, '001 lock create', 'deletion-lock', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<deletionLock>
<create/>
</deletionLock>
</trigger>
</NotificationDocument>$doc$),
(43, '001 lock modify', 'deletion-lock', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<deletionLock>
<modify/>
</deletionLock>
</trigger>
</NotificationDocument>$doc$),
(44, '001 lock delete', 'deletion-lock', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<deletionLock>
<delete/>
</deletionLock>
</trigger>
</NotificationDocument>$doc$),
(45, '001 lock expired', 'deletion-lock', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<deletionLock>
<expire/>
</deletionLock>
</trigger>
</NotificationDocument>$doc$),
(46, '001 effective lock change', 'deletion-lock', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
<action>
...
</action>
<trigger>
<deletionLock>
<effective/>
</deletionLock>
</trigger>
</NotificationDocument>$doc$),
(47, '002 asynchronous delivery (thread group)', 'item', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
    <action>
        <http synchronous="false" group="app_notifications">
            ...
        </http>
    </action>
    <trigger>
        ...
    </trigger>
</NotificationDocument>$doc$),
(48, '002 HTTP action', 'item', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
    <action>
        <http synchronous="false">
            <retry>3</retry>
            <contentType>application/json</contentType>
            <url>http://example.com/notify</url>
            <method>POST</method>
            <timeout>5</timeout>
        </http>
    </action>
    <trigger>
        ...
    </trigger>
</NotificationDocument>$doc$),
(52, '002 Amazon SQS action', 'item', $doc$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
  <action>
    <sqs synchronous="false">
      <contentType>application/xml</contentType>
      <endpoint>sqs.eu-west-1.amazonaws.com</endpoint>
      <queue>notification</queue>
      <secret>aws</secret>
    </sqs>
  </action>
  <trigger>
    ...
  </trigger>
</NotificationDocument>$doc$);

\pset format unaligned
SELECT s.name, r.trigger_event, r.stable, r.as_json
  FROM defs.seed s, LATERAL defs.roundtrip(s.resource, defs.fill(s.document)) r
 ORDER BY s.n;
\pset format aligned

-- the canonical form stored for three of them
SELECT n.document FROM notify.notification n WHERE n.event = 'collection.metadata.modify';
SELECT n.document FROM notify.notification n
 WHERE n.action_kind = 'sqs';
-- summaries of the job and group examples and of the thread group example
SELECT n.summary FROM notify.notification n
 WHERE n.summary LIKE '%group%' OR n.event LIKE 'job.%' ORDER BY n.summary;

SELECT defs.delete_all();

--
-- 2. The triggers the reference has no example for, and every parameter of
--    the metadata and job triggers, in XML and in JSON.
--
\set act '<http><url>http://example.com/hook</url></http>'
\pset format unaligned
SELECT t.resource, r.trigger_event, r.stable, r.as_json
  FROM (VALUES
	('job', '<job><finished/></job>'),
	('job', '<job><fail/></job>'),
	('quota', '<quota><create/></quota>'),
	('file', '<file><close/><storage>VX-2</storage></file>'),
	('item', '<metadata><modify><field> title , -internal,tags:keywords, /game/first_half/goal_scored, /rating </field><interval>0-10, 20.5-+INF,-INF-5</interval><language>en_*, sv</language><track>A1, V2</track></modify></metadata>'),
	('item', '<metadata><modify><interval>generic</interval></modify></metadata>'),
	('item', '<metadata><modify><interval>all</interval><field/></modify></metadata>'),
	('collection', '<collection><metadata><modify><field>title</field><track>A12</track></modify></metadata></collection>'),
	('document', '<document><modify><language>*</language></modify></document>'),
	('job', '<job><update/><placeholder>FALSE</placeholder><filter><type>IMPORT</type><type>TRANSCODE</type><step>007</step><jobdata><key>originalFilename</key><value>a.mov</value></jobdata><jobdata><key-regex>^custom_</key-regex><value-regex>[0-9]+</value-regex></jobdata></filter><contentFilters><contentFilter>jobId</contentFilter><contentFilter>jobState</contentFilter><contentFilter>user</contentFilter><contentFilter>startTime</contentFilter><contentFilter>jobType</contentFilter><contentFilter>jobData</contentFilter><contentFilter>errorMessage</contentFilter><contentFilter>itemId</contentFilter><contentFilter>totalSteps</contentFilter><contentFilter>currentStep</contentFilter></contentFilters></job>')
	) AS t(resource, trigger),
	LATERAL defs.roundtrip(t.resource, defs.doc(:'act', t.trigger)) r;

SELECT t.resource, r.trigger_event, r.stable, r.as_json
  FROM (VALUES
	('item', '{"item": {"create": ""}}'),
	('item', '{"access": {"change": {}}}'),
	('item', '{"shape": {"modify": null}}'),
	('item', '{"metadata": {"modify": {"field": "title,tags", "track": "V1"}}}'),
	('collection', '{"collection": {"metadata": {"modify": true}}}'),
	('document', '{"document": {"delete": ""}}'),
	('group', '{"group": {"modify": ""}}'),
	('job', '{"job": {"stop": "", "placeholder": true, "filter": {"type": "PLACEHOLDER_IMPORT", "step": 2, "jobdata": {"key-regex": "^a", "value-regex": "b$"}}, "contentFilters": {"contentFilter": ["jobId", "itemId"]}}}'),
	('storage', '{"storage": {"filename": ""}}'),
	('file', '{"file": {"hash": "", "storage": "VX-7"}}'),
	('quota', '{"quota": {"created": ""}}'),
	('deletion-lock', '{"deletionLock": {"effective": ""}}')
	) AS t(resource, trigger),
	LATERAL defs.roundtrip(t.resource,
		'{"action": {"http": {"url": "http://example.com/hook"}}, "trigger": ' || t.trigger || '}') r;
\pset format aligned

-- what the trigger summaries look like
SELECT n.summary FROM notify.notification n ORDER BY n.summary;

SELECT defs.delete_all();

--
-- 3. Every action kind, in XML and in JSON, with the stored document and its
--    JSON rendering.
--

-- http: every element, in an order of its own, spelled loosely
SELECT notify.create_notification('item', $$<?xml version="1.0" encoding="UTF-8"?>
<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
  <!-- a comment is ignored -->
  <trigger><item><delete/></item></trigger>
  <action>
    <http group="app.hooks" synchronous="TRUE">
      <contentType>Application/JSON</contentType>
      <url>
        https://hook:s3cr3t@example.com/notify?source=db&amp;v=1
      </url>
      <method>put</method>
      <timeout>NONE</timeout>
      <retry>0</retry>
    </http>
  </action>
</NotificationDocument>$$) AS http_xml \gset
SELECT notify.get_notification('item', :'http_xml');
SELECT notify.get_notification('item', :'http_xml', 'json');

-- http in JSON: only the url; defaults are made explicit
SELECT notify.create_notification('item',
	'{"action": {"http": {"url": "http://example.com/hook"}}, "trigger": {"item": {"create": ""}}}') AS http_json \gset
SELECT notify.get_notification('item', :'http_json');
SELECT notify.get_notification('item', :'http_json', 'json');

-- sqs with a stored credential (the alias "aws")
SELECT notify.create_notification('storage', defs.doc(
	'<sqs synchronous="false"><contentType>application/xml</contentType><endpoint>sqs.eu-west-1.amazonaws.com</endpoint><queue>notification</queue><secret>aws</secret><retry>10</retry></sqs>',
	'<storage><create/></storage>')) AS sqs_xml \gset
SELECT notify.get_notification('storage', :'sqs_xml');
SELECT notify.get_notification('storage', :'sqs_xml', 'json');

-- sqs in JSON with keys, a URL endpoint and an explicit region (a FIFO queue)
SELECT notify.create_notification('file', $${"NotificationDocument": {
	"action": {"sqs": {"synchronous": "false", "group": "files", "endpoint": "http://127.0.0.1:9324",
		"queue": "file-events.fifo", "region": "us-east-1", "accessKey": "AKIDEXAMPLE",
		"secret": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "retry": 5, "contentType": "application/json"}},
	"trigger": {"file": {"new": ""}}}}$$) AS sqs_json \gset
SELECT notify.get_notification('file', :'sqs_json');
SELECT notify.get_notification('file', :'sqs_json', 'json');

-- sqs with a queue URL, a message group and the role fields (kept, not assumed)
SELECT notify.create_notification('item', defs.doc(
	'<sqs synchronous="false"><endpoint>https://sqs.eu-west-1.amazonaws.com</endpoint><queue>https://sqs.eu-west-1.amazonaws.com/123456789012/orders.fifo</queue><secret>aws</secret><roleArn>arn:aws:iam::123456789012:role/notify</roleArn><roleSessionName>notify-ext</roleSessionName><roleExternalId>ext-1</roleExternalId><messageGroupId>orders</messageGroupId></sqs>',
	'<item><create/></item>')) AS sqs_url \gset
SELECT notify.get_notification('item', :'sqs_url');
SELECT n.summary FROM notify.notification n WHERE n.id = :'sqs_url';

-- sns: keys kept apart like an sqs secret key; the region from the topic ARN
SELECT notify.create_notification('item', defs.doc(
	'<sns synchronous="false"><endpoint>http://127.0.0.1:4566</endpoint><topic>arn:aws:sns:eu-central-1:123456789012:items</topic><accessKey>AKIDEXAMPLE</accessKey><secret>wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY</secret><retry>2</retry><contentType>application/json</contentType></sns>',
	'<item><create/></item>')) AS sns_xml \gset
SELECT notify.get_notification('item', :'sns_xml');
SELECT notify.get_notification('item', :'sns_xml', 'json');
SELECT n.action_kind, n.summary FROM notify.notification n WHERE n.id = :'sns_xml';
SELECT s.sqs_secret IS NOT NULL AS secret_kept_apart FROM notify.notification_secret s
 WHERE s.notification_id = :'sns_xml';

-- function: the PostgreSQL counterpart of <ejb>
SELECT notify.create_notification('collection', defs.doc(
	'<function synchronous="true"><name>defs.on_event</name><retry>2</retry></function>',
	'<collection><modify/></collection>')) AS fn_xml \gset
SELECT notify.get_notification('collection', :'fn_xml');
SELECT notify.create_notification('group',
	'{"action": {"function": {"name": "defs.on_event", "group": "fn", "contentType": "application/json"}}, "trigger": {"group": {"create": ""}}}') AS fn_json \gset
SELECT notify.get_notification('group', :'fn_json', 'json');

-- channel: the PostgreSQL counterpart of <jms>
SELECT notify.create_notification('document', defs.doc(
	'<channel synchronous="false"><name>asset_events</name><contentType>application/json</contentType></channel>',
	'<document><create/></document>')) AS ch_xml \gset
SELECT notify.get_notification('document', :'ch_xml');
SELECT notify.create_notification('deletion-lock',
	'{"action": {"channel": {"name": "_locks$1"}}, "trigger": {"deletionLock": {"expire": ""}}}') AS ch_json \gset
SELECT notify.get_notification('deletion-lock', :'ch_json', 'json');

-- each stored document parses to itself, as XML and as JSON
SELECT n.action_kind, n.event,
	   (notify.parse_document(n.resource, n.document, n.owner)).document_xml = n.document AS xml_stable,
	   (notify.parse_document(n.resource, notify.render_document(n.document, 'json'), n.owner)).document_xml
		 = n.document AS json_stable
  FROM notify.notification n ORDER BY n.action_kind, n.event;

--
-- 4. Listing, with credentials masked: no password, no secret, access keys
--    cut after four characters.
--
SELECT resource, entity_id, trigger, action, summary FROM notify.list_notifications();
SELECT trigger, summary FROM notify.list_notifications('file');
SELECT count(*) AS leaked FROM notify.notifications
 WHERE summary LIKE '%s3cr3t%' OR summary LIKE '%wJalr%' OR summary LIKE '%AKIDEXAMPLE%';

--
-- 5. Update: the action and the trigger are replaced; the stored document is
--    returned.
--
SELECT notify.update_notification('item', :'http_json',
	'{"action": {"http": {"url": "https://user:pa55@example.com/v2", "method": "PUT", "timeout": 10}}, "trigger": {"metadata": {"modify": {"field": "title"}}}}');
SELECT event, action_kind, summary, updated_at >= created_at AS touched
  FROM notify.notification WHERE id = :'http_json';
SELECT notify.get_notification('item', :'http_json', 'json');

--
-- 6. A notification scoped to one entity (like /item/{id}/notification).
--
SELECT notify.create_notification('item', 'VX-42', defs.doc(
	'<http synchronous="false"><url>http://example.com/item</url></http>',
	'<shape><create/></shape>')) AS scoped \gset
SELECT resource, entity_id, trigger, action FROM notify.notifications WHERE id = :'scoped';
SELECT notify.get_notification('item', :'scoped', 'json');

--
-- 7. Delete, and lookups of what is not there.
--
SELECT notify.delete_notification('item', :'scoped');
SELECT count(*) FROM notify.notification WHERE id = :'scoped';
SELECT defs.sqlstate_of(format('SELECT notify.get_notification(%L, %L)', 'item', :'scoped')) AS get_deleted;
SELECT defs.sqlstate_of(format('SELECT notify.get_notification(%L, %L)', 'collection', :'http_xml')) AS get_other_resource;
SELECT defs.sqlstate_of(format('SELECT notify.delete_notification(%L, %L)', 'item', :'scoped')) AS delete_again;

-- rendering a document directly; format names are case-insensitive
SELECT notify.render_document(document, 'JSON') = notify.get_notification('item', :'http_xml', 'json') AS same
  FROM notify.notification WHERE id = :'http_xml';

SELECT defs.delete_all();
SELECT count(*) FROM notify.notification;
SET client_min_messages = warning;
DROP SCHEMA defs CASCADE;
DELETE FROM notify.aws_credential;
RESET client_min_messages;
