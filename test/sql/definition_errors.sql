--
-- definition_errors: every way a NotificationDocument is refused, with the
-- SQLSTATE, message, detail and hint.  Nothing is stored, and no message
-- shows a password or a secret.
--
CREATE SCHEMA errs;
CREATE TABLE errs.log (n serial, result text);

CREATE FUNCTION errs.doc(action text, trigger text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action>'
		|| action || '</action><trigger>' || trigger || '</trigger></NotificationDocument>'
$$;

-- create the notification; report "SQLSTATE: message" plus detail and hint
CREATE FUNCTION errs.try(resource text, document text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	st text;
	msg text;
	det text;
	hnt text;
	result text;
BEGIN
	PERFORM notify.create_notification(resource, document);
	result := 'accepted';
	INSERT INTO errs.log (result) VALUES (result);
	RETURN result;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
		det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
	result := st || ': ' || msg
		|| CASE WHEN det <> '' THEN E'\n  DETAIL: ' || det ELSE '' END
		|| CASE WHEN hnt <> '' THEN E'\n  HINT: ' || hnt ELSE '' END;
	INSERT INTO errs.log (result) VALUES (result);
	RETURN result;
END
$$;

-- the usual action and trigger, to break one thing at a time
\set http '<http><url>http://example.com/hook</url></http>'
\set item '<item><create/></item>'
\pset format unaligned
\pset tuples_only on

--
-- The document as a whole
--
-- neither XML nor JSON
SELECT errs.try('item', 'action=http');
SELECT errs.try('item', '   ');
-- larger than notify_ext.max_document_size
SET notify_ext.max_document_size = 1024;
SELECT errs.try('item', errs.doc(:'http', :'item') || repeat(' ', 1024));
RESET notify_ext.max_document_size;
-- malformed XML
SELECT errs.try('item', errs.doc(:'http', '<item><create></item>'));
-- a DOCTYPE (here the "billion laughs" entity bomb) is refused before it is read
SELECT errs.try('item', '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'
	|| errs.doc(:'http', '<item><create>&lol2;</create></item>'));
-- an external entity is refused the same way
SELECT errs.try('item', '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
	|| errs.doc(:'http', '<item><create>&x;</create></item>'));
-- an undefined entity
SELECT errs.try('item', errs.doc(:'http', '<item><create>&x;</create></item>'));
-- wrong root element, missing and wrong namespace
SELECT errs.try('item', '<NotificationDocumentX xmlns="http://xml.vidispine.com/schema/vidispine"/>');
SELECT errs.try('item', '<NotificationDocument><action/><trigger/></NotificationDocument>');
SELECT errs.try('item', '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine/v2"><action/></NotificationDocument>');
SELECT errs.try('item', '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine" xmlns:x="urn:other"><action><x:http/></action></NotificationDocument>');
-- mixed text and elements
SELECT errs.try('item', errs.doc('<http>url: <url>http://example.com/</url></http>', :'item'));
-- nested too deeply
SELECT errs.try('item', errs.doc(:'http', repeat('<item>', 40) || repeat('</item>', 40)));
-- malformed JSON, trailing text, too deep, bad key, array of arrays, bad wrapper
SELECT errs.try('item', '{"action": {"http": {"url": "http://example.com/"}}, "trigger": {"item": {"create": ""}},}');
SELECT errs.try('item', '{"action": {"http": {"url": "http://example.com/"}}, "trigger": {"item": {"create": ""}}} {}');
SELECT errs.try('item', '{"action": {"http": {"url": "http://example.com/"}}, "trigger": {"item": {"create": ""}}');
SELECT errs.try('item', '{"action": ' || repeat('{"a": ', 40) || '1' || repeat('}', 40) || '}');
SELECT errs.try('item', '{"action": {"http": {"url": "http://example.com/"}}, "trigger": {"item": {"create now": ""}}}');
SELECT errs.try('item', '{"action": {"http": {"url": "http://example.com/"}}, "trigger": {"item": [["create"]]}}');
SELECT errs.try('item', '{"NotificationDocument": "item"}');
SELECT errs.try('item', '{"action": {"http": {"url": "http://example.com/\u0007"}}, "trigger": {"item": {"create": ""}}}');

--
-- The root: exactly one <action> and one <trigger>
--
SELECT errs.try('item', '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><trigger><item><create/></item></trigger></NotificationDocument>');
SELECT errs.try('item', '{"action": {"http": {"url": "http://example.com/"}}}');
SELECT errs.try('item', '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action>' || :'http' || '</action><trigger>' || :'item' || '</trigger><trigger>' || :'item' || '</trigger></NotificationDocument>');
SELECT errs.try('item', '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action>' || :'http' || '</action><trigger>' || :'item' || '</trigger><id>VX-1</id></NotificationDocument>');
SELECT errs.try('item', '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine" version="2"><action>' || :'http' || '</action><trigger>' || :'item' || '</trigger></NotificationDocument>');
SELECT errs.try('item', '{"action": "http", "trigger": {"item": {"create": ""}}}');

--
-- Actions
--
SELECT errs.try('item', errs.doc('', :'item'));
SELECT errs.try('item', errs.doc(:'http' || '<channel><name>x</name></channel>', :'item'));
SELECT errs.try('item', errs.doc('<smtp><to>ops@example.com</to></smtp>', :'item'));
-- the reference's EJB, JMS and JavaScript examples, as written
SELECT errs.try('item', $$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
   <action>
      <ejb synchronous="true">
         <bean>vidibrain.beans.MyBeanRemote</bean>
         <method>myMethod</method>
      </ejb>
   </action>
   <trigger>
      <item><create/></item>
   </trigger>
</NotificationDocument>$$);
SELECT errs.try('item', $$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
   <action>
      <jms synchronous="true">
         <queueFactory>VidibrainQueueFactory</queueFactory>
         <queue>VidibrainQueue</queue>
      </jms>
   </action>
   <trigger>
      <item><create/></item>
   </trigger>
</NotificationDocument>$$);
SELECT errs.try('item', $$<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine">
   <action>
      <javascript>
         <script>
             logger.log("itemId: "+itemId+", "+data);
         </script>
      </javascript>
   </action>
   <trigger>
      <item><create/></item>
   </trigger>
</NotificationDocument>$$);
SELECT errs.try('item', '{"action": {"sns": {"topic": "arn:aws:sns:eu-west-1:1:t"}}, "trigger": {"item": {"create": ""}}}');
SELECT errs.try('item', '{"action": {"sns": {"endpoint": "sns.eu-west-1.amazonaws.com", "topic": "items"}}, "trigger": {"item": {"create": ""}}}');
SELECT errs.try('item', '{"action": {"sns": {"endpoint": "sns.eu-west-1.amazonaws.com", "topic": "arn:aws:sns:us-east-1:1:t"}}, "trigger": {"item": {"create": ""}}}');
SELECT errs.try('item', '{"action": {"sns": {"endpoint": "sns.eu-west-1.amazonaws.com", "topic": "arn:aws:sns:eu-west-1:1:t", "region": "us-east-1"}}, "trigger": {"item": {"create": ""}}}');
SELECT errs.try('item', '{"action": {"sqs": {"endpoint": "sqs.eu-west-1.amazonaws.com", "queue": "https://user:pw@sqs.eu-west-1.amazonaws.com/1/q"}}, "trigger": {"item": {"create": ""}}}');
SELECT errs.try('item', '{"action": {"sqs": {"endpoint": "sqs.eu-west-1.amazonaws.com", "queue": "q.fifo", "messageGroupId": "a b"}}, "trigger": {"item": {"create": ""}}}');
SELECT errs.try('item', '{"action": {"sqs": {"endpoint": "sqs.eu-west-1.amazonaws.com", "queue": "q", "roleArn": "arn with spaces"}}, "trigger": {"item": {"create": ""}}}');

-- attributes common to every action
SELECT errs.try('item', errs.doc('<http synchronous="yes"><url>http://example.com/</url></http>', :'item'));
SELECT errs.try('item', errs.doc('<http group="app notifications"><url>http://example.com/</url></http>', :'item'));
SELECT errs.try('item', errs.doc('<http priority="1"><url>http://example.com/</url></http>', :'item'));
SELECT errs.try('item', '{"action": {"http": {"url": "http://example.com/", "synchronous": 1}}, "trigger": {"item": {"create": ""}}}');
SELECT errs.try('item', errs.doc('<http synchronous="true"><synchronous>false</synchronous><url>http://example.com/</url></http>', :'item'));

-- http
SELECT errs.try('item', errs.doc('<http><method>POST</method></http>', :'item'));
SELECT errs.try('item', errs.doc('<http><url>  </url></http>', :'item'));
SELECT errs.try('item', errs.doc('<http><url>ftp://ops:s3cr3t@example.com/in</url></http>', :'item'));
SELECT errs.try('item', errs.doc('<http><url>http://ops:s3cr3t@exa mple.com/</url></http>', :'item'));
SELECT errs.try('item', errs.doc('<http><url>http://ops:s3/cr3t@example.com/</url></http>', :'item'));
SELECT errs.try('item', errs.doc('<http><url>example.com/hook</url></http>', :'item'));
SELECT errs.try('item', errs.doc('<http><url>localhost:8080/hook</url></http>', :'item'));
SELECT errs.try('item', errs.doc('<http><url>ops:s3cr3t@localhost:8080/hook</url></http>', :'item'));
-- hosts delivery would refuse are refused already here (the worker checks
-- again when it connects)
SELECT errs.try('item', errs.doc('<http><url>http://169.254.169.254/latest/meta-data</url></http>', :'item'));
SELECT errs.try('item', errs.doc('<http><url>http://ops:s3cr3t@0.0.0.0:8080/hook</url></http>', :'item'));
SELECT errs.try('item', errs.doc('<http><url>http://[fe80::1]/hook</url></http>', :'item'));
SELECT errs.try('item', errs.doc('<http><url>http://100.100.100.200/</url></http>', :'item'));
-- the arguments swapped: the document is not echoed as the resource
SELECT errs.try(errs.doc(:'http', :'item'), 'item');
SELECT errs.try(E'\n  {"action": {"http": {"url": "http://example.com/"}}}', 'item');
SELECT errs.try('item', errs.doc('<http><url>http://example.com/</url><url>http://example.org/</url></http>', :'item'));
SELECT errs.try('item', errs.doc('<http><url kind="primary">http://example.com/</url></http>', :'item'));
SELECT errs.try('item', errs.doc('<http><url><host>example.com</host></url></http>', :'item'));
SELECT errs.try('item', errs.doc('<http><url>http://example.com/</url><method>GET</method></http>', :'item'));
SELECT errs.try('item', errs.doc('<http><url>http://example.com/</url><timeout>-1</timeout></http>', :'item'));
SELECT errs.try('item', errs.doc('<http><url>http://example.com/</url><timeout>86401</timeout></http>', :'item'));
SELECT errs.try('item', errs.doc('<http><url>http://example.com/</url><retry>101</retry></http>', :'item'));
SELECT errs.try('item', errs.doc('<http><url>http://example.com/</url><retry>three</retry></http>', :'item'));
SELECT errs.try('item', errs.doc('<http><url>http://example.com/</url><contentType>text/html</contentType></http>', :'item'));
SELECT errs.try('item', errs.doc('<http><url>http://example.com/</url><headers/></http>', :'item'));
SELECT errs.try('item', errs.doc('<http>http://example.com/</http>', :'item'));

-- sqs
SELECT errs.try('item', errs.doc('<sqs><queue>q</queue></sqs>', :'item'));
SELECT errs.try('item', errs.doc('<sqs><endpoint>sqs..amazonaws.com</endpoint><queue>q</queue></sqs>', :'item'));
SELECT errs.try('item', errs.doc('<sqs><endpoint>https://sqs.eu-west-1.amazonaws.com/123456789012/q</endpoint><queue>q</queue></sqs>', :'item'));
SELECT errs.try('item', errs.doc('<sqs><endpoint>https://key:s3cr3t@sqs.eu-west-1.amazonaws.com</endpoint><queue>q</queue></sqs>', :'item'));
SELECT errs.try('item', errs.doc('<sqs><endpoint>sqs.eu-west-1.amazonaws.com</endpoint></sqs>', :'item'));
SELECT errs.try('item', errs.doc('<sqs><endpoint>sqs.eu-west-1.amazonaws.com</endpoint><queue>my queue</queue></sqs>', :'item'));
SELECT errs.try('item', errs.doc('<sqs><endpoint>sqs.eu-west-1.amazonaws.com</endpoint><queue>' || repeat('q', 81) || '</queue></sqs>', :'item'));
SELECT errs.try('item', errs.doc('<sqs><endpoint>sqs.eu-west-1.amazonaws.com</endpoint><queue>q</queue><region>us-east-1</region></sqs>', :'item'));
SELECT errs.try('item', errs.doc('<sqs><endpoint>localhost</endpoint><queue>q</queue><region>Europe/Stockholm</region></sqs>', :'item'));
SELECT errs.try('item', errs.doc('<sqs><endpoint>localhost</endpoint><queue>q</queue><accessKey>AKIDEXAMPLE</accessKey></sqs>', :'item'));
SELECT errs.try('item', errs.doc('<sqs><endpoint>localhost</endpoint><queue>q</queue><accessKey>AKID-s3cr3t</accessKey><secret>x</secret></sqs>', :'item'));
SELECT errs.try('item', errs.doc('<sqs><endpoint>localhost</endpoint><queue>q</queue><accessKey>AKIDEXAMPLE</accessKey><secret>s3cr3t with blanks</secret></sqs>', :'item'));
-- without <accessKey>, <secret> is an alias; a real secret there is not echoed
SELECT errs.try('item', errs.doc('<sqs><endpoint>localhost</endpoint><queue>q</queue><secret>s3cr3t/K7MDENG+bPxRfiCY</secret></sqs>', :'item'));
SELECT errs.try('item', errs.doc('<sqs><endpoint>localhost</endpoint><queue>q</queue><timeout>5</timeout></sqs>', :'item'));
-- the SSRF guard refuses an endpoint or queue URL delivery would refuse,
-- as for <http> (the worker checks every address again when it connects)
SELECT errs.try('item', errs.doc('<sqs><endpoint>169.254.169.254</endpoint><queue>q</queue><accessKey>AKIDEXAMPLE</accessKey><secret>s3cr3t</secret></sqs>', :'item'));
SELECT errs.try('item', errs.doc('<sqs><endpoint>http://[fd00:ec2::254]:8080</endpoint><queue>q</queue><accessKey>AKIDEXAMPLE</accessKey><secret>s3cr3t</secret></sqs>', :'item'));
SELECT errs.try('item', errs.doc('<sqs><endpoint>localhost</endpoint><queue>http://0.0.0.0:9324/000000000000/q</queue><accessKey>AKIDEXAMPLE</accessKey><secret>s3cr3t</secret></sqs>', :'item'));
SELECT errs.try('item', errs.doc('<sns><endpoint>http://100.100.100.200/</endpoint><topic>arn:aws:sns:eu-west-1:123456789012:t</topic><accessKey>AKIDEXAMPLE</accessKey><secret>s3cr3t</secret></sns>', :'item'));

-- function
SELECT errs.try('item', errs.doc('<function><retry>1</retry></function>', :'item'));
SELECT errs.try('item', errs.doc('<function><name>a.b.c.d</name></function>', :'item'));
SELECT errs.try('item', errs.doc('<function><name>"unterminated</name></function>', :'item'));
SELECT errs.try('item', errs.doc('<function><name>public.no_such_handler</name></function>', :'item'));
-- unqualified names are looked up with search_path = pg_catalog, pg_temp
CREATE FUNCTION public.handler(jsonb) RETURNS text LANGUAGE sql AS $$ SELECT 'ok' $$;
SELECT errs.try('item', errs.doc('<function><name>handler</name></function>', :'item'));
CREATE FUNCTION public.wrong_handler(jsonb) RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;
SELECT errs.try('item', errs.doc('<function><name>public.wrong_handler</name></function>', :'item'));
CREATE PROCEDURE public.proc_handler(jsonb) LANGUAGE sql AS $$ SELECT 1 $$;
SELECT errs.try('item', errs.doc('<function><name>public.proc_handler</name></function>', :'item'));
DROP FUNCTION public.handler(jsonb), public.wrong_handler(jsonb);
DROP PROCEDURE public.proc_handler(jsonb);

-- channel
SELECT errs.try('item', errs.doc('<channel><contentType>text/plain</contentType></channel>', :'item'));
SELECT errs.try('item', errs.doc('<channel><name>asset-events</name></channel>', :'item'));
SELECT errs.try('item', errs.doc('<channel><name>' || repeat('c', 64) || '</name></channel>', :'item'));
SELECT errs.try('item', errs.doc('<channel><name>events</name><retry>3</retry></channel>', :'item'));

--
-- Triggers
--
SELECT errs.try('item', errs.doc(:'http', ''));
SELECT errs.try('item', errs.doc(:'http', '<asset><create/></asset>'));
SELECT errs.try('item', errs.doc(:'http', '<item><create/></item><shape><create/></shape>'));
SELECT errs.try('item', errs.doc(:'http', '<item/>'));
SELECT errs.try('item', errs.doc(:'http', '<item><rename/></item>'));
SELECT errs.try('item', errs.doc(:'http', '<item><create/><delete/></item>'));
SELECT errs.try('item', errs.doc(:'http', '<item><create>now</create></item>'));
SELECT errs.try('item', errs.doc(:'http', '<item><create><when/></create></item>'));
SELECT errs.try('item', '{"action": {"http": {"url": "http://example.com/"}}, "trigger": {"item": {"create": false}}}');
-- a trigger of another resource
SELECT errs.try('item', errs.doc(:'http', '<file><new/></file>'));
SELECT errs.try('collection', errs.doc(:'http', '<metadata><modify/></metadata>'));
SELECT errs.try('deletion-lock', errs.doc(:'http', '<quota><warning/></quota>'));
-- an unknown resource
SELECT errs.try('asset', errs.doc(:'http', :'item'));
-- parameters only some triggers take
SELECT errs.try('item', errs.doc(:'http', '<item><create/><placeholder>true</placeholder></item>'));
SELECT errs.try('item', errs.doc(:'http', '<shape><modify><field>title</field></modify></shape>'));
SELECT errs.try('job', errs.doc(:'http', '<job><stop/><storage>VX-1</storage></job>'));
SELECT errs.try('collection', errs.doc(:'http', '<collection><metadata><create/></metadata></collection>'));
SELECT errs.try('collection', errs.doc(:'http', '<collection><metadata/></collection>'));

-- metadata parameters
SELECT errs.try('item', errs.doc(:'http', '<metadata><modify><field>a</field><field>b</field></modify></metadata>'));
SELECT errs.try('item', errs.doc(:'http', '<metadata><modify><fields>a</fields></modify></metadata>'));
SELECT errs.try('item', errs.doc(:'http', '<metadata><modify><field>title, description text</field></modify></metadata>'));
SELECT errs.try('item', errs.doc(:'http', '<metadata><modify><field>title,,tags</field></modify></metadata>'));
SELECT errs.try('item', errs.doc(:'http', '<metadata><modify><field>/game/goal:score</field></modify></metadata>'));
SELECT errs.try('item', errs.doc(:'http', '<metadata><modify><field>/game//goal</field></modify></metadata>'));
SELECT errs.try('item', errs.doc(:'http', '<metadata><modify><interval>10-5</interval></modify></metadata>'));
SELECT errs.try('item', errs.doc(:'http', '<metadata><modify><interval>-5-10</interval></modify></metadata>'));
SELECT errs.try('item', errs.doc(:'http', '<metadata><modify><interval>+INF--INF</interval></modify></metadata>'));
SELECT errs.try('item', errs.doc(:'http', '<metadata><modify><interval>generic,0-1</interval></modify></metadata>'));
SELECT errs.try('item', errs.doc(:'http', '<metadata><modify><language>en US</language></modify></metadata>'));
SELECT errs.try('item', errs.doc(:'http', '<metadata><modify><track>A0</track></modify></metadata>'));
SELECT errs.try('item', errs.doc(:'http', '<metadata><modify><track>1A</track></modify></metadata>'));

-- job parameters
SELECT errs.try('job', errs.doc(:'http', '<job><stop/><placeholder>yes</placeholder></job>'));
SELECT errs.try('job', errs.doc(:'http', '<job><stop/><filter><step>-1</step></filter></job>'));
SELECT errs.try('job', errs.doc(:'http', '<job><stop/><filter><type>PLACEHOLDER IMPORT</type></filter></job>'));
SELECT errs.try('job', errs.doc(:'http', '<job><stop/><filter><state>FAILED</state></filter></job>'));
SELECT errs.try('job', errs.doc(:'http', '<job><stop/><filter/><filter/></job>'));
SELECT errs.try('job', errs.doc(:'http', '<job><stop/><filter><jobdata><key>k</key></jobdata></filter></job>'));
SELECT errs.try('job', errs.doc(:'http', '<job><stop/><filter><jobdata><key>k</key><value-regex>v</value-regex></jobdata></filter></job>'));
SELECT errs.try('job', errs.doc(:'http', '<job><stop/><filter><jobdata><key-regex>(unclosed</key-regex><value-regex>.*</value-regex></jobdata></filter></job>'));
SELECT errs.try('job', errs.doc(:'http', '<job><stop/><filter><jobdata><key-regex>^k$</key-regex><value-regex>a{2,1}</value-regex></jobdata></filter></job>'));
SELECT errs.try('job', errs.doc(:'http', '<job><stop/><contentFilters/></job>'));
SELECT errs.try('job', errs.doc(:'http', '<job><stop/><contentFilters><contentFilter>jobStatus</contentFilter></contentFilters></job>'));
SELECT errs.try('job', errs.doc(:'http', '<job><stop/><contentFilters><contentFilter>jobId</contentFilter><contentFilter>jobId</contentFilter></contentFilters></job>'));

-- file parameter
SELECT errs.try('file', errs.doc(:'http', '<file><new/><storage>VX 1</storage></file>'));
SELECT errs.try('file', errs.doc(:'http', '<file><new/><storage>VX-1</storage><storage>VX-2</storage></file>'));

\pset tuples_only off
\pset format aligned

-- file notifications cannot be scoped to one file (checked by the SQL API)
DO $$
BEGIN
	PERFORM notify.create_notification('file', 'VX-1',
		'{"action": {"http": {"url": "http://example.com/"}}, "trigger": {"file": {"new": ""}}}');
EXCEPTION WHEN feature_not_supported THEN
	RAISE NOTICE 'scoped file notification refused: %', SQLERRM;
END
$$;

-- rendering: the format is checked
SELECT notify.render_document('{"a": 1}', 'yaml');

-- nothing was stored, nothing was accepted, and no secret was shown
SELECT count(*) AS stored FROM notify.notification;
SELECT count(*) FILTER (WHERE result = 'accepted') AS accepted,
	   count(*) FILTER (WHERE result LIKE '%s3cr3t%' OR result LIKE '%K7MDENG%'
						OR result LIKE '%AKID-%') AS leaked
  FROM errs.log;

-- the table's resource CHECK reads the list of the C code: every resource
-- the parser knows passes it, anything else is refused by the table itself
SELECT r, notify.is_resource(r)
  FROM unnest(ARRAY['item', 'collection', 'document', 'group', 'job', 'storage',
					'file', 'quota', 'deletion-lock', 'Item', 'items', 'deletionLock',
					'collection-member', '']) AS r;
DO $$
DECLARE
	c text;
BEGIN
	INSERT INTO notify.notification (id, resource, event, action_kind, document, summary, owner)
		VALUES ('VX-0', 'items', 'item.create', 'http', '<x/>', 'x', 10);
EXCEPTION WHEN check_violation THEN
	GET STACKED DIAGNOSTICS c = CONSTRAINT_NAME;
	RAISE NOTICE 'refused by %', c;
END
$$;
SELECT count(*) AS stored FROM notify.notification;

SET client_min_messages = warning;
DROP SCHEMA errs CASCADE;
RESET client_min_messages;
