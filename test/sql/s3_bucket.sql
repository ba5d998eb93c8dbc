--
-- s3_bucket: bucket notification configurations (S3 NotificationConfiguration
-- XML, destinations, S3's validation) and the S3 event messages of file
-- events
--
-- what earlier tests left behind
SET client_min_messages = warning;
DELETE FROM notify.notification;
TRUNCATE notify.outbox;
RESET client_min_messages;

CREATE SCHEMA s3t;

-- a configuration document with the given <...Configuration> elements
CREATE FUNCTION s3t.conf(body text) RETURNS text LANGUAGE sql AS $$
	SELECT '<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
		|| body || '</NotificationConfiguration>' $$;
-- one QueueConfiguration: id, events (comma list), prefix, suffix (NULL: none)
CREATE FUNCTION s3t.q(id text, events text, prefix text DEFAULT NULL, suffix text DEFAULT NULL,
					  arn text DEFAULT 'arn:aws:sqs:eu-west-1:123456789012:uploads')
RETURNS text LANGUAGE sql AS $$
	SELECT '<QueueConfiguration><Id>' || id || '</Id><Queue>' || arn || '</Queue>'
		|| (SELECT string_agg('<Event>' || e || '</Event>', '') FROM unnest(string_to_array(events, ',')) e)
		|| CASE WHEN prefix IS NULL AND suffix IS NULL THEN '' ELSE '<Filter><S3Key>'
			|| coalesce('<FilterRule><Name>prefix</Name><Value>' || prefix || '</Value></FilterRule>', '')
			|| coalesce('<FilterRule><Name>suffix</Name><Value>' || suffix || '</Value></FilterRule>', '')
			|| '</S3Key></Filter>' END
		|| '</QueueConfiguration>' $$;
-- run a statement, show its error (SQLSTATE and message) or 'ok'
CREATE FUNCTION s3t.try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE FUNCTION s3t.put(conf text) RETURNS text LANGUAGE sql AS $$
	SELECT s3t.try(format('SELECT notify.put_bucket_notification(%L, %L)', 'media', conf)) $$;

INSERT INTO notify.storage (id, name) VALUES ('VX-9001', 'media');

-- destinations: an http one and an sqs one (stored, not delivered here)
SELECT notify.create_bucket_destination('arn:aws:sqs:eu-west-1:123456789012:uploads',
	'<http><url>http://127.0.0.1:1/s3</url><method>POST</method></http>');
SELECT notify.create_bucket_destination('arn:minio:sqs::1:webhook',
	'<http><url>http://127.0.0.1:1/minio</url><contentType>application/x-minio-event+json</contentType></http>');
SELECT notify.set_aws_credential('s3aws', 'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');
SELECT notify.create_bucket_destination('arn:aws:sqs:eu-west-1:123456789012:other',
	'<sqs><endpoint>sqs.eu-west-1.amazonaws.com</endpoint><queue>other</queue><secret>s3aws</secret></sqs>');
SELECT arn, action_kind, summary FROM notify.list_bucket_destinations();
-- refused: bad ARN, duplicate, a Vidispine body, a broken action
SELECT s3t.try($$SELECT notify.create_bucket_destination('sqs:uploads', '<http><url>http://127.0.0.1:1/</url></http>')$$);
SELECT s3t.try($$SELECT notify.create_bucket_destination('arn:minio:sqs::1:webhook', '<http><url>http://127.0.0.1:1/</url></http>')$$);
SELECT s3t.try($$SELECT notify.create_bucket_destination('arn:aws:sns:eu-west-1:1:t', '<http><url>http://127.0.0.1:1/</url><contentType>application/json</contentType></http>')$$);
SELECT s3t.try($$SELECT notify.create_bucket_destination('arn:aws:sns:eu-west-1:1:t', '<http><url>ftp://x/</url></http>')$$);

-- the Vidispine-style content types stay what they were; S3 bodies only for
-- the file events that have an S3 event name
SELECT s3t.try($$SELECT notify.create_notification('item', '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action><http><url>http://127.0.0.1:1/</url><contentType>application/x-s3-event+json</contentType></http></action><trigger><item><create/></item></trigger></NotificationDocument>')$$);
SELECT s3t.try($$SELECT notify.create_notification('file', '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action><http><url>http://127.0.0.1:1/</url><contentType>application/x-s3-event+json</contentType></http></action><trigger><file><hash/></file></trigger></NotificationDocument>')$$);

-- no configuration yet: the empty one
SELECT notify.get_bucket_notification('media');

-- the worked examples of the overlap table (event types overlap unless said)
SELECT s3t.put(s3t.conf(s3t.q('A', 's3:ObjectCreated:*', 'images/', 'jpg')));
SELECT s3t.put(s3t.conf(s3t.q('A', 's3:ObjectCreated:*', 'images/') || s3t.q('B', 's3:ObjectCreated:*', 'logs/')));
SELECT s3t.put(s3t.conf(s3t.q('A', 's3:ObjectCreated:*', NULL, '.jpg') || s3t.q('B', 's3:ObjectCreated:*', NULL, '.png')));
SELECT s3t.put(s3t.conf(s3t.q('A', 's3:ObjectCreated:*', 'images', '.jpg') || s3t.q('B', 's3:ObjectCreated:*', 'images', '.png')));
SELECT s3t.put(s3t.conf(s3t.q('A', 's3:ObjectCreated:*') || s3t.q('B', 's3:ObjectCreated:*', 'images')));
SELECT s3t.put(s3t.conf(s3t.q('A', 's3:ObjectCreated:*', NULL, 'jpg') || s3t.q('B', 's3:ObjectCreated:Put', NULL, 'pg')));
SELECT s3t.put(s3t.conf(s3t.q('A', 's3:ObjectCreated:*', 'images', 'jpg') || s3t.q('B', 's3:ObjectCreated:Put', NULL, 'jpg')));
SELECT s3t.put(s3t.conf(s3t.q('A', 's3:ObjectCreated:Put', 'image/') || s3t.q('B', 's3:ObjectRemoved:*', 'image/')));
-- more: a prefix of the other, the symmetric case, a wildcard against a wildcard
SELECT s3t.put(s3t.conf(s3t.q('A', 's3:ObjectCreated:Put', 'images') || s3t.q('B', 's3:ObjectCreated:Put', 'images/jpg')));
SELECT s3t.put(s3t.conf(s3t.q('A', 's3:ObjectCreated:Put', 'a/', '.jpg') || s3t.q('B', 's3:ObjectCreated:Put', 'b/', '.jpg')));
SELECT s3t.put(s3t.conf(s3t.q('A', 's3:ObjectRemoved:*') || s3t.q('B', 's3:ObjectRemoved:*,s3:ObjectCreated:Put')));
-- the whole refusal: both Ids, the overlapping event types and filters
SELECT notify.put_bucket_notification('media', s3t.conf(s3t.q('A', 's3:ObjectCreated:*', 'images', 'jpg') || s3t.q('B', 's3:ObjectCreated:Put', NULL, 'jpg')));
-- a refused configuration stored nothing: still the last valid one
SELECT notify.get_bucket_notification('media');

-- other refusals: unknown ARN, wildcard in a filter, two prefix rules,
-- unknown event, unknown rule name, duplicate Id, no event, bad XML, DTD
SELECT s3t.put(s3t.conf(s3t.q('A', 's3:ObjectCreated:*', NULL, NULL, 'arn:aws:sqs:eu-west-1:123456789012:nowhere')));
SELECT s3t.put(s3t.conf(s3t.q('A', 's3:ObjectCreated:*', 'images/*')));
SELECT s3t.put(s3t.conf('<QueueConfiguration><Id>A</Id><Queue>arn:minio:sqs::1:webhook</Queue><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>a</Value></FilterRule><FilterRule><Name>Prefix</Name><Value>b</Value></FilterRule></S3Key></Filter></QueueConfiguration>'));
SELECT s3t.put(s3t.conf(s3t.q('A', 's3:ObjectCreated:Get')));
SELECT s3t.put(s3t.conf('<QueueConfiguration><Id>A</Id><Queue>arn:minio:sqs::1:webhook</Queue><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>infix</Name><Value>a</Value></FilterRule></S3Key></Filter></QueueConfiguration>'));
SELECT s3t.put(s3t.conf(s3t.q('A', 's3:ObjectCreated:*', 'a/') || s3t.q('A', 's3:ObjectCreated:*', 'b/')));
SELECT s3t.put(s3t.conf('<QueueConfiguration><Id>A</Id><Queue>arn:minio:sqs::1:webhook</Queue></QueueConfiguration>'));
SELECT s3t.put(s3t.conf(s3t.q('A', 's3:ObjectCreated:*', 'bad%zz')));
SELECT s3t.put('<NotificationConfiguration><QueueConfiguration>');
SELECT s3t.put('<!DOCTYPE x [<!ENTITY e "x">]><NotificationConfiguration/>');
SELECT s3t.put('<NotificationConfiguration xmlns="urn:other"/>');
SELECT s3t.put('<NotificationConfiguration><Bogus/></NotificationConfiguration>');

-- round trip: the three kinds, no namespace in, Id assigned when missing,
-- AWS and MinIO event names, rule names in any case, canonical out
SELECT notify.put_bucket_notification('media', $x$
<NotificationConfiguration>
  <TopicConfiguration>
    <Topic>arn:minio:sqs::1:webhook</Topic>
    <Event>s3:ObjectRemoved:*</Event>
    <Event>s3:ObjectAccessed:Get</Event>
  </TopicConfiguration>
  <QueueConfiguration>
    <Id>images</Id>
    <Queue>arn:aws:sqs:eu-west-1:123456789012:uploads</Queue>
    <Event>s3:ObjectCreated:*</Event>
    <Event>s3:ReducedRedundancyLostObject</Event>
    <Filter><S3Key>
      <FilterRule><Name>Suffix</Name><Value>.jpg</Value></FilterRule>
      <FilterRule><Name>PREFIX</Name><Value>red+flower</Value></FilterRule>
    </S3Key></Filter>
  </QueueConfiguration>
  <CloudFunctionConfiguration>
    <Id>lambda &amp; co</Id>
    <CloudFunction>arn:aws:sqs:eu-west-1:123456789012:other</CloudFunction>
    <Event>s3:ObjectCreated:Put</Event>
    <Filter><S3Key><FilterRule><Name>prefix</Name><Value>docs/</Value></FilterRule></S3Key></Filter>
  </CloudFunctionConfiguration>
</NotificationConfiguration>$x$);
SELECT notify.get_bucket_notification('media');
-- by id too; and the canonical form reads back to itself
SELECT notify.get_bucket_notification('VX-9001') = notify.get_bucket_notification('media') AS same;
SELECT notify.bucket_configuration_xml(notify.get_bucket_notification('media'))
	 = notify.get_bucket_notification('media') AS stable;
-- what was stored: one notification per configuration and file event
SELECT b.configuration_id, n.event, b.arn, b.bucket, b.region, b.prefix, b.suffix
  FROM notify.bucket_notification b JOIN notify.notification n ON n.id = b.notification_id
 ORDER BY 1, 2;
-- one s3:TestEvent per destination with a notification
SELECT o.event, o.entity_id, b.arn, json_object_keys(o.payload) AS k
  FROM notify.outbox o JOIN notify.bucket_notification b ON b.notification_id = o.notification_id
 WHERE o.event = 's3:TestEvent' ORDER BY 3, 4;
SELECT convert_from(notify.encode_event(o.payload::text, 'application/x-s3-event+json'), 'UTF8')::jsonb
	   - 'Time' - 'RequestId' - 'HostId' AS test_event
  FROM notify.outbox o WHERE o.event = 's3:TestEvent' LIMIT 1;
-- a destination in use is not dropped
SELECT s3t.try($$SELECT notify.drop_bucket_destination('arn:minio:sqs::1:webhook')$$);
-- nor is one of its notifications changed on its own
SELECT regexp_replace(s3t.try(format('SELECT notify.delete_notification(%L, %L)', 'file',
	(SELECT b.notification_id FROM notify.bucket_notification b WHERE b.configuration_id = 'images' ORDER BY 1 LIMIT 1))),
	'VX-[0-9]+"', 'VX-n"') AS try;
SELECT regexp_replace(s3t.try(format('SELECT notify.update_notification(%L, %L, %L)', 'file',
	(SELECT b.notification_id FROM notify.bucket_notification b WHERE b.configuration_id = 'images' ORDER BY 1 LIMIT 1),
	'<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action><http><url>http://127.0.0.1:1/</url></http></action><trigger><file><new/></file></trigger></NotificationDocument>')),
	'VX-[0-9]+"', 'VX-n"') AS try;
DELETE FROM notify.outbox;

-- S3 event messages of file events: keys with spaces, "+" and unicode
INSERT INTO notify.file (id, storage_id, path, size, hash, state)
	VALUES ('VX-9101', 'VX-9001', 'red flower+1 é.jpg', 84452, 'eb52f8e46f60a27a8a1a704e25757f30', 'OPEN');
INSERT INTO notify.file (id, storage_id, path) VALUES ('VX-9102', 'VX-9001', 'red flower.png');	-- suffix: no
INSERT INTO notify.file (id, storage_id, path, size) VALUES ('VX-9103', 'VX-9001', 'docs/a b.txt', 3);
UPDATE notify.file SET state = 'CLOSED' WHERE id = 'VX-9101';
UPDATE notify.file SET hash = 'x' WHERE id = 'VX-9101';	-- file.hash: no S3 event
DELETE FROM notify.file WHERE id = 'VX-9101';
SELECT row_number() OVER (ORDER BY o.id) AS n, b.configuration_id, o.event, o.entity_id
  FROM notify.outbox o JOIN notify.bucket_notification b ON b.notification_id = o.notification_id
 ORDER BY o.id;
-- the AWS message, time-dependent fields replaced
CREATE FUNCTION s3t.body(payload json, ct text) RETURNS jsonb LANGUAGE sql AS $$
	SELECT convert_from(notify.encode_event(payload::text, ct), 'UTF8')::jsonb $$;
CREATE FUNCTION s3t.masked(m jsonb) RETURNS jsonb LANGUAGE sql AS $$
	SELECT jsonb_set(jsonb_set(jsonb_set(jsonb_set(jsonb_set(m,
		'{Records,0,eventTime}', to_jsonb(CASE WHEN m #>> '{Records,0,eventTime}' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$' THEN 'ISO-8601 ms' ELSE 'BAD' END)),
		'{Records,0,responseElements,x-amz-request-id}', to_jsonb(CASE WHEN m #>> '{Records,0,responseElements,x-amz-request-id}' ~ '^[0-9A-F]{16}$' THEN 'hex16' ELSE 'BAD' END)),
		'{Records,0,responseElements,x-amz-id-2}', to_jsonb(CASE WHEN m #>> '{Records,0,responseElements,x-amz-id-2}' ~ '^[0-9A-F]{16}$' THEN 'hex16' ELSE 'BAD' END)),
		'{Records,0,s3,object,sequencer}', to_jsonb(CASE WHEN m #>> '{Records,0,s3,object,sequencer}' ~ '^[0-9A-F]{16}$' THEN 'hex16' ELSE 'BAD' END)),
		'{Records,0,userIdentity,principalId}', to_jsonb(CASE WHEN m #>> '{Records,0,userIdentity,principalId}' = current_user THEN 'current_user' ELSE 'BAD' END)) $$;
SELECT jsonb_pretty(s3t.masked(s3t.body(o.payload, 'application/x-s3-event+json')))
  FROM notify.outbox o ORDER BY o.id LIMIT 1;
-- the object of each message
SELECT row_number() OVER (ORDER BY o.id) AS n, b.configuration_id,
	   s3t.body(o.payload, 'application/x-s3-event+json') #>> '{Records,0,eventName}' AS "eventName",
	   (s3t.body(o.payload, 'application/x-s3-event+json') #> '{Records,0,s3,object}') - 'sequencer' AS object
  FROM notify.outbox o JOIN notify.bucket_notification b ON b.notification_id = o.notification_id
 ORDER BY o.id;
-- the sequencers of one key increase, one per event (shared by its messages)
SELECT o.payload->>'key' AS key, array_agg(DISTINCT o.event) AS events,
	   count(DISTINCT o.payload->'sequencer'->>0) AS sequencers,
	   bool_and(o.payload->'sequencer'->>0 ~ '^[0-9A-F]{16}$') AS fixed_width
  FROM notify.outbox o GROUP BY 1 ORDER BY 1;
SELECT bool_and(a.s < b.s) AS increasing
  FROM (SELECT o.event, o.payload->'sequencer'->>0 AS s FROM notify.outbox o
		 WHERE o.entity_id = 'VX-9101') a,
	   (SELECT o.event, o.payload->'sequencer'->>0 AS s FROM notify.outbox o
		 WHERE o.entity_id = 'VX-9101') b
 WHERE (a.event, b.event) IN (('file.new', 'file.close'), ('file.close', 'file.delete'));
-- the MinIO variant (the webhook destination)
SELECT jsonb_pretty(s3t.body(o.payload, 'application/x-minio-event+json')
		#- '{Records,0,eventTime}' #- '{Records,0,responseElements}' #- '{Records,0,s3,object,sequencer}'
		#- '{Records,0,userIdentity}' #- '{Records,0,requestParameters,principalId}')
  FROM notify.outbox o JOIN notify.bucket_notification b ON b.notification_id = o.notification_id
 WHERE b.arn = 'arn:minio:sqs::1:webhook' ORDER BY o.id LIMIT 1;
-- a plain notification asking for S3 event messages: its id as configurationId,
-- the storage id as bucket
SELECT notify.create_notification('file', '<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action><http><url>http://127.0.0.1:1/</url><contentType>application/x-s3-event+json</contentType></http></action><trigger><file><new/></file></trigger></NotificationDocument>') AS plain \gset
DELETE FROM notify.outbox;
INSERT INTO notify.file (id, storage_id, path, size) VALUES ('VX-9104', 'VX-9001', 'x/y.bin', 0);
SELECT (s3t.body(o.payload, 'application/x-s3-event+json') #> '{Records,0,s3}') - 'object' = jsonb_build_object(
		's3SchemaVersion', '1.0', 'configurationId', :'plain',
		'bucket', jsonb_build_object('name', 'VX-9001', 'arn', 'arn:aws:s3:::VX-9001',
									 'ownerIdentity', jsonb_build_object('principalId', current_user))) AS plain_ok
  FROM notify.outbox o WHERE o.notification_id = :'plain';
SELECT notify.delete_notification('file', :'plain');

-- an empty configuration removes everything; then the destination can go
SELECT notify.put_bucket_notification('media', '<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>');
SELECT notify.get_bucket_notification('media');
SELECT count(*) FROM notify.bucket_notification;
SELECT count(*) FROM notify.notification;
SELECT notify.drop_bucket_destination('arn:minio:sqs::1:webhook');
SELECT s3t.try($$SELECT notify.drop_bucket_destination('arn:minio:sqs::1:webhook')$$);

DELETE FROM notify.outbox;
DELETE FROM notify.file;
DELETE FROM notify.storage;
DROP SCHEMA s3t CASCADE;
