--
-- bad_input: input that must be refused or made harmless.
--  - JSON that is not RFC 8259 JSON, or that repeats a key, is refused with
--    22032 and nothing is stored;
--  - messages show user-supplied values cut to 100 characters and with
--    control characters escaped (notify.quote_value is the same helper);
--  - an action URL with port 0, an empty port or a port above 65535 is
--    refused with 22023, the URL masked in the message;
--  - in an SQL_ASCII database, bytes that are not UTF-8 are replaced by
--    U+FFFD in message bodies instead of making the event undeliverable.
--
CREATE SCHEMA bad;

-- validate a document (notify.parse_document, which every SQL function that
-- stores a notification calls); report "SQLSTATE: message" + detail + hint
CREATE FUNCTION bad.try(document text, resource text DEFAULT 'item')
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	st text;
	msg text;
	det text;
	hnt text;
BEGIN
	PERFORM notify.parse_document(resource, document, current_user::regrole::oid);
	RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
		det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
	RETURN st || ': ' || msg
		|| CASE WHEN det <> '' THEN E'\n  DETAIL: ' || det ELSE '' END
		|| CASE WHEN hnt <> '' THEN E'\n  HINT: ' || hnt ELSE '' END;
END
$$;

-- store a document with notify.create_notification: 'stored' or the SQLSTATE
CREATE FUNCTION bad.store(document text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM notify.create_notification('item', document);
	RETURN 'stored';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END
$$;

-- a JSON document with the given members in <http> and the given trigger
CREATE FUNCTION bad.json(http text, trig text DEFAULT '{"item": {"create": ""}}')
RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT '{"action": {"http": {"url": "http://example.com/hook"' || http
		|| '}}, "trigger": ' || trig || '}'
$$;

CREATE FUNCTION bad.xml(action text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action>'
		|| action || '</action><trigger><item><create/></item></trigger></NotificationDocument>'
$$;

-- a message body shown on one line: bytes above 127 as octal escapes, CR,
-- LF and TAB as \r, \n and \t
CREATE FUNCTION bad.show(body bytea) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT replace(replace(replace(encode(body, 'escape'),
		E'\r', '\r'), E'\n', '\n'), E'\t', '\t')
$$;

\pset format unaligned
\pset tuples_only on

SELECT count(*) AS stored_before FROM notify.notification \gset

--
-- JSON that json-c's strict mode lets through
--
-- the baseline is accepted
SELECT bad.try(bad.json(', "retry": 3'));
-- NaN, Infinity, -Infinity and "1." are not JSON numbers
SELECT bad.try(bad.json(', "retry": NaN'));
SELECT bad.try(bad.json(', "retry": Infinity'));
SELECT bad.try(bad.json(', "retry": -Infinity'));
SELECT bad.try(bad.json(', "retry": 1.'));
SELECT bad.try(bad.json(', "retry": 01'));
-- single quotes
SELECT bad.try($${'action': {'http': {'url': 'http://example.com/'}}, 'trigger': {'item': {'create': ''}}}$$);
SELECT bad.try(bad.json($$, "method": 'PUT'$$));
-- raw control characters inside strings (escaped ones are JSON)
SELECT bad.try(bad.json(E', "method": "PO\nST"'));
SELECT bad.try(bad.json(E', "method": "\tPOST"'));
SELECT bad.try(bad.json(E', "method": "POST\r"'));
SELECT bad.try(bad.json(', "method": "\tPOST\n"'));
-- \u0000: json-c would cut the key "retry\u0000x" to "retry"
SELECT bad.try(bad.json(', "retry\u0000x": 5'));
SELECT bad.try(bad.json(', "method": "POST\u0000"'));
-- UTF-16 surrogates without their pair; a pair is fine
SELECT bad.try(bad.json('', '{"job": {"create": "", "filter": {"jobdata": {"key": "k", "value": "\ud800"}}}}'), 'job');
SELECT bad.try(bad.json('', '{"job": {"create": "", "filter": {"jobdata": {"key": "k", "value": "\ud800\u0041"}}}}'), 'job');
SELECT bad.try(bad.json('', '{"job": {"create": "", "filter": {"jobdata": {"key": "k", "value": "x\udc00"}}}}'), 'job');
SELECT bad.try(bad.json('', '{"job": {"create": "", "filter": {"jobdata": {"key": "k", "value": "\ud83d\ude00"}}}}'), 'job');
-- a repeated key is refused, also when spelled with an escape or at the root
SELECT bad.try(bad.json(', "url": "http://other.example/"'));
SELECT bad.try(bad.json(', "method": "POST", "retry": 1, "\u006dethod": "PUT"'));
SELECT bad.try('{"action": {"http": {"url": "http://example.com/"}}, "trigger": {"item": {"create": ""}}, "action": {"channel": {"name": "c"}}}');
-- the same key in different objects is fine
SELECT bad.try(bad.json('', '{"job": {"create": "", "filter": {"jobdata": [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]}}}'), 'job');
-- a repeated key's name is shown cut and escaped
SELECT bad.try(bad.json(', "' || repeat('k', 200) || '": 1, "' || repeat('k', 200) || '": 2'));
-- none of them can be stored
SELECT bad.store(bad.json(', "retry": NaN')) AS nan,
	   bad.store(bad.json(E', "method": "PO\nST"')) AS raw_newline,
	   bad.store(bad.json(', "retry\u0000x": 5')) AS nul_key,
	   bad.store(bad.json('', '{"job": {"create": "", "filter": {"jobdata": {"key": "k", "value": "\udc00"}}}}')) AS lone_surrogate,
	   bad.store(bad.json(', "url": "http://other.example/"')) AS duplicate;
SELECT count(*) - :stored_before AS stored_since FROM notify.notification;

--
-- Values shown in messages: at most 100 characters, control characters
-- escaped
--
-- a 60 kB attribute value
SELECT length(r), r FROM bad.try(bad.xml('<http synchronous="' || repeat('x', 60000) || '"><url>http://example.com/</url></http>')) r;
-- a 5000-character element name, in XML and in JSON
SELECT length(r), r FROM bad.try(bad.xml('<http><url>http://example.com/</url><' || repeat('e', 5000) || '/></http>')) r;
SELECT length(r), r FROM bad.try(bad.json(', "' || repeat('e', 5000) || '": ""')) r;
-- CR, LF and TAB in a value cannot forge a line of the log
SELECT bad.try(bad.xml('<http><url>http://example.com/</url><retry>1&#13;&#10;ERROR:  forged&#9;line</retry></http>'));
SELECT bad.try(bad.json(', "method": "PO\r\nLOG:  forged\u0085"'));
-- a long URL: masked first, then cut
SELECT bad.try(bad.xml('<http><url>ftp://user:secret@' || repeat('h', 300) || '/</url></http>'));
-- a long regular expression
SELECT bad.try(bad.json('', '{"job": {"create": "", "filter": {"jobdata": {"key-regex": "(' || repeat('a', 300) || '", "value-regex": "x"}}}}'), 'job');

-- the helper itself, for the SQL functions of the extension
SELECT notify.quote_value(E'a\r\nb\tc\x01d\x7fe\\f');
SELECT notify.quote_value(repeat('x', 100)) = repeat('x', 100) AS hundred_kept,
	   notify.quote_value(repeat('x', 101)) = repeat('x', 100) || '...' AS longer_cut,
	   notify.quote_value(repeat('é', 150)) = repeat('é', 100) || '...' AS counts_characters,
	   notify.quote_value('') = '' AS empty;
SELECT notify.quote_value(NULL) IS NULL AS strict;
SELECT p.proname, p.provolatile, p.proisstrict, has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
  FROM pg_proc p
 WHERE p.oid IN ('notify.quote_value(text)'::regprocedure, 'notify.encode_event(text, text)'::regprocedure)
 ORDER BY 1;

--
-- Ports of action URLs
--
SELECT bad.try(bad.xml('<http><url>http://127.0.0.1:0/</url></http>'));
SELECT bad.try(bad.xml('<http><url>http://127.0.0.1:00/hook</url></http>'));
SELECT bad.try(bad.xml('<http><url>http://[::1]:0/</url></http>'));
SELECT bad.try(bad.xml('<http><url>http://example.com:65536/</url></http>'));
SELECT bad.try(bad.xml('<http><url>http://example.com:/hook</url></http>'));
SELECT bad.try(bad.xml('<http><url>https://user:pa55@example.com:</url></http>'));
SELECT bad.try(bad.xml('<http><url>http://user:pa55@' || repeat('h', 200) || '.example:0/</url></http>'));
SELECT bad.try(bad.xml('<sqs><endpoint>https://sqs.eu-west-1.amazonaws.com:0</endpoint><queue>q</queue></sqs>'));
-- ports 1 and 65535 are fine
SELECT bad.try(bad.xml('<http><url>http://example.com:1/</url></http>'));
SELECT bad.try(bad.xml('<http><url>http://user:pa55@example.com:65535/hook</url></http>'));
SELECT bad.store(bad.xml('<http><url>http://127.0.0.1:0/</url></http>')) AS port_zero;
SELECT count(*) - :stored_before AS stored_since FROM notify.notification;

--
-- Message bodies
--
SELECT bad.show(notify.encode_event('{"k":["v","w"],"e":[]}', ct))
  FROM unnest(ARRAY['text/plain', 'application/xml', 'application/json']) ct;
SELECT notify.encode_event('{"k":["v"]}', E'text/html\n');

-- In an SQL_ASCII database a value may hold any bytes: those that are not
-- UTF-8 become U+FFFD (\357\277\275) in every content type, valid UTF-8
-- (here \303\251, é) passes, and the event can be delivered.
\set regress_db :DBNAME
CREATE DATABASE notify_ext_ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
\c notify_ext_ascii
\pset format unaligned
\pset tuples_only on
CREATE EXTENSION notify_ext;
CREATE SCHEMA bad;
-- a message body shown on one line: bytes above 127 as octal escapes, CR,
-- LF and TAB as \r, \n and \t
CREATE FUNCTION bad.show(body bytea) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT replace(replace(replace(encode(body, 'escape'),
		E'\r', '\r'), E'\n', '\n'), E'\t', '\t')
$$;
SELECT ct, bad.show(notify.encode_event(E'{"k\377":["a\377b","\303\251","cut\303"]}', ct))
  FROM unnest(ARRAY['text/plain', 'application/xml', 'application/json']) ct;
-- the encoder is the worker's: an outbox payload with such bytes encodes
SELECT bad.show(notify.encode_event(E'{"itemId":["VX-\200\201"]}'::json::text, 'application/json'));
\c :regress_db
DROP DATABASE notify_ext_ascii;
