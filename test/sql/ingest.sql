--
-- ingest: S3 storage methods, and S3 event messages and bucket listings
-- applied to notify.file (the functions the ingest poller calls), with
-- stale and duplicate events dropped by sequencer and listing time
--
SET client_min_messages = warning;
DELETE FROM notify.notification;
TRUNCATE notify.outbox;
RESET client_min_messages;

INSERT INTO notify.storage (id, name) VALUES ('VX-S1', 'bucket storage'), ('VX-S2', 'other');

-- file events of the ingested storage reach notifications like any other
SELECT notify.create_notification('file',
	'<NotificationDocument xmlns="http://xml.vidispine.com/schema/vidispine"><action><http><url>http://127.0.0.1:1/hook</url></http></action>'
	|| '<trigger><file><new/></file></trigger></NotificationDocument>') IS NOT NULL AS file_notification;

--
-- storage methods
--
-- credentials in the URI (URL-encoded secret); never shown again
SELECT notify.create_storage_method('VX-S1', 's3://AKIDEXAMPLE:se%2Fcr+et@media-bucket/incoming/',
	endpoint => 'http://127.0.0.1:9000/') AS m1 \gset
SELECT access_key, secret_key FROM notify.aws_credential WHERE alias = 'method.' || :'m1';
-- or a stored credential alias
SELECT notify.set_aws_credential('ingest-cred', 'AKIDEXAMPLE', 'secret');
SELECT notify.create_storage_method('VX-S2', 's3://other-bucket/', credential => 'ingest-cred',
	region => 'eu-west-1') AS m2 \gset
SELECT notify.set_storage_method_metadata(:'m1', 'sqsName', 'media-events');
SELECT notify.set_storage_method_metadata(:'m1', 'sqsEndpoint', 'http://127.0.0.1:9324');
SELECT notify.set_storage_method_metadata(:'m1', 'refreshInterval', '3600');
SELECT notify.set_storage_method_metadata(:'m1', 'refreshOnStart', 'false');
SELECT storage_id, uri, endpoint, region, credential ~ '^method\.' AS inline_credential, metadata
  FROM notify.storage_methods ORDER BY id;

-- refusals: nothing echoes a secret
SELECT notify.create_storage_method('VX-S1', 'https://AK:topsecret@bucket/');
SELECT notify.create_storage_method('VX-S1', 's3://AK:topsecret@Bad_Bucket/');
SELECT notify.create_storage_method('VX-S1', 's3://AKID:topsecret@media-bucket/', credential => 'ingest-cred');
SELECT notify.create_storage_method('VX-S1', 's3://media-bucket/');
SELECT notify.create_storage_method('VX-NOPE', 's3://media-bucket/', credential => 'ingest-cred');
SELECT notify.create_storage_method('VX-S1', 's3://media-bucket/', credential => 'no-such-alias');
SELECT notify.create_storage_method('VX-S1', 's3://media-bucket/', endpoint => 'http://u:p@host/', credential => 'ingest-cred');
SELECT notify.set_storage_method_metadata(:'m1', 'sqsName', 'bad name');
SELECT notify.set_storage_method_metadata(:'m1', 'refreshInterval', '0');
SELECT notify.set_storage_method_metadata(:'m1', 'refreshOnStart', 'maybe');
SELECT notify.set_storage_method_metadata(:'m1', 'colour', 'blue');
SELECT notify.set_storage_method_metadata('VX-NOPE', 'sqsName', 'q');
-- the SSRF guard of every outgoing request: addresses never connected to
-- (cloud metadata, link-local, unspecified) as endpoints are refused, the
-- method unchanged
SELECT notify.create_storage_method('VX-S1', 's3://AKID:topsecret@media-bucket/', endpoint => 'http://169.254.169.254');
SELECT notify.create_storage_method('VX-S1', 's3://AKID:topsecret@media-bucket/', endpoint => 'http://[fe80::1]:9000');
SELECT notify.set_storage_method_metadata(:'m1', 'sqsEndpoint', 'http://0.0.0.0:9324');
SELECT notify.set_storage_method_metadata(:'m2', 'sqsEndpoint', '169.254.169.254');
SELECT id, metadata->>'sqsEndpoint' AS sqs_endpoint FROM notify.storage_methods ORDER BY id;
SELECT count(*) AS methods FROM notify.storage_method;

--
-- key decoding as S3 encodes keys in event messages
--
SELECT k, notify.s3_key_decode(k) FROM (VALUES ('red+flower.jpg'), ('a%2Bb+c'), ('caf%C3%A9%20%E2%9C%93'),
	('100%25'), ('bad%zz'), ('plain')) v(k);
SELECT notify.s3_key_decode('%FF%FE');

--
-- sequencer comparison: same key only, pad to equal length
--
SELECT notify.s3_sequencer_cmp('0055AED6DCD90281E5', '0055AED6DCD90281E6') AS lt,
	   notify.s3_sequencer_cmp('0055AED6DCD90281E5', '0055aed6dcd90281e5') AS eq,
	   notify.s3_sequencer_cmp('0055AED6DCD90281E5', '0055AED6DCD902') AS gt_after_padding;

--
-- event messages
--
CREATE FUNCTION aws_msg(event text, key text, seq text, size bigint DEFAULT 10, etag text DEFAULT 'e1',
						t text DEFAULT '2026-11-28T10:00:00.000Z')
RETURNS text LANGUAGE sql AS $$
	SELECT json_build_object('Records', json_build_array(json_build_object(
		'eventVersion', '2.1', 'eventSource', 'aws:s3', 'awsRegion', 'us-east-1',
		'eventTime', t, 'eventName', event,
		's3', json_build_object('s3SchemaVersion', '1.0', 'configurationId', 'cfg',
			'bucket', json_build_object('name', 'media-bucket', 'arn', 'arn:aws:s3:::media-bucket'),
			'object', json_build_object('key', key, 'size', size, 'eTag', etag, 'sequencer', seq)))))::text
$$;
CREATE VIEW files AS SELECT path, state, size, hash FROM notify.file WHERE storage_id = 'VX-S1' ORDER BY path;

SELECT * FROM notify.ingest_message(:'m1', aws_msg('ObjectCreated:Put', 'incoming/red+flower.jpg', '0000000000000010'));
SELECT * FROM notify.ingest_message(:'m1', aws_msg('ObjectCreated:Put', 'incoming/caf%C3%A9+%2B1.mov', '0000000000000011', 20, '"e2"'));
SELECT * FROM files;
-- a duplicate, and an older event arriving late: both stale
SELECT * FROM notify.ingest_message(:'m1', aws_msg('ObjectCreated:Put', 'incoming/red+flower.jpg', '0000000000000010'));
SELECT * FROM notify.ingest_message(:'m1', aws_msg('ObjectRemoved:Delete', 'incoming/red+flower.jpg', '000000000000000F'));
-- a newer overwrite applies
SELECT * FROM notify.ingest_message(:'m1', aws_msg('ObjectCreated:Copy', 'incoming/red+flower.jpg', '0000000000000020', 11, 'e3'));
SELECT * FROM files;
-- delete, then the create it overtook arrives: the file stays deleted
SELECT * FROM notify.ingest_message(:'m1', aws_msg('ObjectRemoved:Delete', 'incoming/caf%C3%A9+%2B1.mov', '0000000000000031'));
SELECT * FROM notify.ingest_message(:'m1', aws_msg('ObjectCreated:Put', 'incoming/caf%C3%A9+%2B1.mov', '0000000000000030'));
SELECT * FROM files;
-- outside the prefix, folder markers, other event kinds: skipped
SELECT * FROM notify.ingest_message(:'m1', aws_msg('ObjectCreated:Put', 'elsewhere/x', '01'));
SELECT * FROM notify.ingest_message(:'m1', aws_msg('ObjectCreated:Put', 'incoming/folder/', '01'));
SELECT * FROM notify.ingest_message(:'m1', aws_msg('ObjectTagging:Put', 'incoming/red+flower.jpg', '0000000000000040'));
-- the test event S3 sends when a configuration is saved
SELECT * FROM notify.ingest_message(:'m1', '{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-28T10:00:00.000Z","Bucket":"media-bucket","RequestId":"r","HostId":"h"}');
-- MinIO's shape (s3: prefixed names, a wrapper), and an SNS notification
SELECT * FROM notify.ingest_message(:'m1', json_build_object('EventName', 's3:ObjectCreated:Put',
	'Key', 'media-bucket/incoming/minio%20clip.mp4',
	'Records', (aws_msg('s3:ObjectCreated:Put', 'incoming/minio%20clip.mp4', '0000000000000050')::json)->'Records')::text);
SELECT * FROM notify.ingest_message(:'m1', json_build_object('Type', 'Notification',
	'TopicArn', 'arn:aws:sns:us-east-1:123456789012:t',
	'Message', aws_msg('ObjectCreated:Put', 'incoming/via+sns.txt', '0000000000000060'))::text);
-- restore completed closes, lost object
UPDATE notify.file SET state = 'ARCHIVED' WHERE path = 'via sns.txt';
SELECT * FROM notify.ingest_message(:'m1', aws_msg('ObjectRestore:Completed', 'incoming/via+sns.txt', NULL));
SELECT * FROM notify.ingest_message(:'m1', aws_msg('ReducedRedundancyLostObject', 'incoming/minio+clip.mp4', NULL));
SELECT * FROM files;
-- a body that is not JSON
SELECT * FROM notify.ingest_message(:'m1', 'not json');

--
-- scans: a listing reconciles; events newer than the listing win, older
-- ones arriving after it are stale
--
INSERT INTO notify.file (storage_id, path, state, size) VALUES ('VX-S1', 'only-in-db.txt', 'CLOSED', 1);
SELECT notify.ingest_scan_page(:'m1', '2026-11-28T11:00:00Z',
	ARRAY['incoming/red flower.jpg', 'incoming/listed.mov', 'elsewhere/y', 'incoming/café +1.mov'],
	ARRAY[11, 30, 1, 20]::bigint[], ARRAY['"e3"', '"e5"', 'x', 'e2']);
-- an event after the listing for a listed key wins over it
SELECT * FROM notify.ingest_message(:'m1', aws_msg('ObjectCreated:Put', 'incoming/listed.mov', '0000000000000070', 31, 'e6', '2026-11-28T11:00:05.000Z'));
SELECT notify.ingest_scan_end(:'m1', '2026-11-28T10:59:59Z', 3) AS marked_missing;
SELECT * FROM files;
-- an event from before the listing, delivered late, is stale
SELECT * FROM notify.ingest_message(:'m1', aws_msg('ObjectRemoved:Delete', 'incoming/red+flower.jpg', '0000000000000099', t => '2026-11-28T10:30:00.000Z'));
SELECT path, state FROM files WHERE path = 'red flower.jpg';
SELECT last_scan_objects, last_success IS NOT NULL AS succeeded FROM notify.storage_methods WHERE id = :'m1';

-- the file events went through capture
SELECT event, payload::json->'path'->>0 AS path FROM notify.outbox WHERE event = 'file.new' ORDER BY id;

--
-- who may do what
--
CREATE ROLE ingest_admin IN ROLE notify_admin;
CREATE ROLE ingest_monitor IN ROLE notify_monitor;
SET ROLE ingest_monitor;
SELECT count(*) AS visible_methods FROM notify.storage_methods;
SELECT notify.rescan_storage_method(:'m1');
SELECT * FROM notify.ingest_message(:'m1', aws_msg('ObjectCreated:Put', 'incoming/x', '01'));
SET ROLE ingest_admin;
SELECT notify.rescan_storage_method(:'m1');
SELECT notify.delete_storage_method(:'m1');
RESET ROLE;
SELECT notify.rescan_storage_method(:'m1');
SELECT scan_requested FROM notify.storage_method_state WHERE method_id = :'m1';
SELECT notify.delete_storage_method(:'m1');
SELECT count(*) AS inline_credentials FROM notify.aws_credential WHERE alias = 'method.' || :'m1';
SELECT count(*) AS keys_left FROM notify.ingest_key WHERE method_id = :'m1';
SELECT count(*) AS files_kept FROM notify.file WHERE storage_id = 'VX-S1';
DROP ROLE ingest_admin, ingest_monitor;
