--
-- ssrf_hostcheck: the SSRF guard of <http> delivery on every spelling of a
-- refused address (notify.check_url_host runs the checks a delivery runs:
-- the URL's host before the transfer, every resolved address at connect
-- time).  NULL means the host would be connected to.
--

-- Default settings: nothing denied, nothing required.  Unspecified
-- addresses are refused always, link-local and cloud metadata addresses
-- unless allowed explicitly, whatever their spelling.
SELECT url, notify.check_url_host(url, '', '') AS refusal
  FROM (VALUES
	('http://0.0.0.0:8080/'),
	('http://0.0.0.0/'),
	('http://0:8080/'),
	('http://0x0:8080/'),
	('http://0.1.2.3/'),
	('http://0.255.255.255/'),
	('http://[::]:8080/'),
	('http://[::0]/'),
	('http://[0:0:0:0:0:0:0:0]/'),
	('http://[::ffff:0.0.0.0]/'),
	('http://[::ffff:0:0]/'),
	('http://[64:ff9b::]/'),
	('http://[64:ff9b::1.2.3.4]/'),
	('http://[2002::]/'),
	('http://169.254.169.254/'),
	('http://169.254.0.1/'),
	('http://[fe80::1]/'),
	('http://[febf::1]/'),
	('http://100.100.100.200/'),
	('http://[fd00:ec2::254]/'),
	('http://[fd00:0ec2:0:0:0:0:0:0254]/'),
	('http://[64:ff9b::a9fe:a9fe]/'),
	('http://[64:ff9b::169.254.169.254]/'),
	('http://[2002:a9fe:a9fe::]/'),
	('http://[2002:a9fe:a9fe:1:2:3:4:5]/'),
	('http://[::169.254.169.254]/'),
	('http://[::a9fe:a9fe]/'),
	('http://[::ffff:169.254.169.254]/'),
	('http://[::ffff:a9fe:a9fe]/'),
	('http://[::ffff:100.100.100.200]/'),
	('http://[64:ff9b::6464:64c8]/'),
	('http://[2002:6464:64c8::]/'),
	('http://[::2]/')
  ) AS v(url)
 ORDER BY url COLLATE "C";

-- Neighbours of the refused ranges are connected to.
SELECT url, notify.check_url_host(url, '', '') AS refusal
  FROM (VALUES
	('http://1.0.0.0/'),
	('http://127.0.0.1:8080/'),
	('http://[::1]/'),
	('http://localhost/'),
	('http://10.1.2.3/'),
	('http://169.253.255.255/'),
	('http://169.255.0.0/'),
	('http://100.100.100.201/'),
	('http://[fec0::1]/'),
	('http://[fd00:ec2::253]/'),
	('http://[fd00:ec2::254:1]/'),
	('http://[2001:db8::1]/'),
	('http://[64:ff9b::a00:1]/'),
	('http://[64:ff9b:1::a9fe:a9fe]/'),
	('http://[2002:a00:1::]/')
  ) AS v(url)
 ORDER BY url COLLATE "C";

-- Loopback denied: every spelling of 127.0.0.0/8 is refused too.
SELECT url, notify.check_url_host(url, '', '127.0.0.0/8, ::1') AS refusal
  FROM (VALUES
	('http://127.0.0.1/'),
	('http://127.1/'),
	('http://127.0.1/'),
	('http://2130706433/'),
	('http://0x7f000001/'),
	('http://0x7f.0.0.1/'),
	('http://0177.0.0.1/'),
	('http://127.255.255.254/'),
	('http://localhost/'),
	('http://[::1]/'),
	('http://[0:0:0:0:0:0:0:1]/'),
	('http://[::ffff:127.0.0.1]/'),
	('http://[::ffff:7f00:1]/'),
	('http://[::127.0.0.1]/'),
	('http://[::7f00:1]/'),
	('http://[64:ff9b::7f00:1]/'),
	('http://[64:ff9b::127.0.0.1]/'),
	('http://[2002:7f00:1::]/'),
	('http://[2002:7f00:1:ffff::1]/'),
	('http://0.0.0.0/'),
	('http://[::]/'),
	('http://10.1.2.3/'),
	('http://[2002:a00:1::]/')
  ) AS v(url)
 ORDER BY url COLLATE "C";

-- allowed_hosts may let link-local and metadata addresses through, by
-- address; an IPv6 spelling must be listed itself (both its address and
-- the embedded IPv4 address pass the rules).  Unspecified addresses stay
-- refused even when listed.
SELECT url, notify.check_url_host(url,
			'169.254.169.254, 100.100.100.200, fd00:ec2::254, 0.0.0.0/8, ::/128', '') AS refusal
  FROM (VALUES
	('http://169.254.169.254/'),
	('http://[::ffff:169.254.169.254]/'),
	('http://100.100.100.200/'),
	('http://[fd00:ec2::254]/'),
	('http://[64:ff9b::a9fe:a9fe]/'),
	('http://169.254.0.1/'),
	('http://0.0.0.0/'),
	('http://0/'),
	('http://[::]/'),
	('http://10.1.2.3/')
  ) AS v(url)
 ORDER BY url COLLATE "C";

SELECT url, notify.check_url_host(url, '0.0.0.0/0, ::/0', '') AS refusal
  FROM (VALUES
	('http://0.0.0.0/'),
	('http://[::]/'),
	('http://[64:ff9b::]/'),
	('http://169.254.169.254/'),
	('http://[fd00:ec2::254]/'),
	('http://[64:ff9b::a9fe:a9fe]/'),
	('http://10.1.2.3/'),
	('http://[2001:db8::1]/')
  ) AS v(url)
 ORDER BY url COLLATE "C";

-- The guard never leaks the URL or its password; a bad URL says why.
SELECT notify.check_url_host('http://user:s3cret@0.0.0.0/x?token=abc', '', '');
SELECT notify.check_url_host('ftp://example.com/', '', '');
SELECT notify.check_url_host(NULL);
-- nothing granted to anybody
SELECT has_function_privilege('notify_admin',
	'notify.check_url_host(text, text, text)', 'EXECUTE') AS admin_may_call;
