/*-------------------------------------------------------------------------
 *
 * hostcheck.h
 *	  SSRF guard of the HTTP transport: notify_ext.allowed_hosts and
 *	  notify_ext.denied_hosts, parsed and matched.
 *
 * transport/http.c loads the lists with http_host_lists_load() after a
 * configuration change (the settings' check hooks in guc.c refuse a value
 * that http_host_list_valid() finds invalid), checks a URL's host with http_check_host() before
 * a transfer and every address libcurl connects to with
 * http_check_address().  See transport/hostcheck.c for the rules and the
 * table of always-refused ranges.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/transport/hostcheck.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_HTTP_HOSTCHECK_H
#define NOTIFY_HTTP_HOSTCHECK_H

struct curl_sockaddr;

/* An IP address; IPv4-mapped IPv6 addresses are stored as IPv4 */
typedef struct HostAddr
{
	int			family;			/* AF_INET or AF_INET6 */
	unsigned char bytes[16];	/* network byte order, 4 or 16 used */
} HostAddr;

typedef enum HostVerdict
{
	HOST_PERMITTED,
	HOST_UNDECIDED,				/* the connect-time check decides */
	HOST_DENIED,				/* matched denied_hosts */
	HOST_NOT_ALLOWED,			/* allowed_hosts set, not matched */
	HOST_UNSPECIFIED,			/* 0.0.0.0/8 or ::, whatever the settings */
	HOST_LINK_LOCAL,			/* link-local, not allowed explicitly */
	HOST_METADATA,				/* cloud metadata, not allowed explicitly */
	HOST_BAD_DENY_LIST			/* denied_hosts has an invalid entry */
} HostVerdict;

extern bool http_host_lists_load(const char *allowed_value,
								 const char *denied_value,
								 MemoryContext cxt);
extern bool http_host_list_valid(const char *value, char **invalid_entry);
extern void http_host_normalize(char *name);
extern bool http_host_addr_from_sockaddr(const struct curl_sockaddr *sa,
									HostAddr *addr);
extern HostVerdict http_check_host(const char *host);
extern HostVerdict http_check_address(const char *host, const HostAddr *addr);
extern char *http_refusal_message(const char *host, const char *addr,
								  HostVerdict verdict);

#endif							/* NOTIFY_HTTP_HOSTCHECK_H */
