--
-- settings: the list settings are parsed when they are set, so that a bad
-- value is refused with a message naming the entry at fault instead of
-- being misread by the launcher or the transport later.  They are
-- PGC_SIGHUP, so SET cannot change them; ALTER SYSTEM runs the same check
-- hooks as a reload, and nothing is reloaded here.
--
-- refused: not a list of database names
ALTER SYSTEM SET notify_ext.databases = 'postgres, "unterminated';
ALTER SYSTEM SET notify_ext.databases = 'postgres,,regression';
-- refused: an entry that is no host name, address or network
ALTER SYSTEM SET notify_ext.allowed_hosts = 'example.com, 10.0.0.0/33';
ALTER SYSTEM SET notify_ext.allowed_hosts = 'hooks.example.com, http://evil.example.com/';
ALTER SYSTEM SET notify_ext.denied_hosts = '192.168.0.0/16, fd00::/129';
ALTER SYSTEM SET notify_ext.denied_hosts = E'bad host\nInjected: line';
-- accepted: the forms the readers take
ALTER SYSTEM SET notify_ext.databases = 'postgres, "My DB", regression';
ALTER SYSTEM SET notify_ext.databases = '';
ALTER SYSTEM SET notify_ext.allowed_hosts = 'hooks.example.com, 10.0.0.0/8, [fd00::1], ::ffff:10.1.2.3/120';
ALTER SYSTEM SET notify_ext.denied_hosts = ' 169.254.169.254 , metadata.internal ';
ALTER SYSTEM SET notify_ext.denied_hosts = '';
-- nothing of the above was reloaded: the running values are those of the
-- configuration file
SHOW notify_ext.databases;
SHOW notify_ext.allowed_hosts;
SHOW notify_ext.denied_hosts;
ALTER SYSTEM RESET notify_ext.databases;
ALTER SYSTEM RESET notify_ext.allowed_hosts;
ALTER SYSTEM RESET notify_ext.denied_hosts;
