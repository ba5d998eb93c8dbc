/*-------------------------------------------------------------------------
 *
 * hostcheck.c
 *	  SSRF guard of the HTTP transport: parse notify_ext.allowed_hosts and
 *	  notify_ext.denied_hosts and decide whether a host may be contacted.
 *
 * Both settings hold comma-separated host names, IP addresses and CIDR
 * networks.  http_host_lists_load() parses them when their text changed,
 * never per transfer, into a memory context the caller owns.
 * transport/http.c checks a URL's host with http_check_host() before a
 * transfer starts, and every address libcurl is about to connect to with
 * http_check_address() (so DNS answers cannot sneak around the lists):
 *	1. denied_hosts matching the name or the address refuses;
 *	2. an address in a range of reserved_ranges[] is refused: unspecified
 *	   addresses (0.0.0.0/8, ::) always, whatever the settings; link-local
 *	   (169.254.0.0/16, fe80::/10) and cloud metadata addresses
 *	   (100.100.100.200, fd00:ec2::254) unless an allowed_hosts address or
 *	   network covers them;
 *	3. a non-empty allowed_hosts must match the name or the address.
 * A name that only an address rule could decide is HOST_UNDECIDED before
 * the transfer and is decided at connect time.  IPv4-mapped IPv6
 * addresses (::ffff:a.b.c.d) are checked as IPv4.  An IPv6 address that
 * embeds an IPv4 address (ipv4_embeddings[]: IPv4-compatible ::a.b.c.d,
 * NAT64 64:ff9b::/96, 6to4 2002::/16) must pass the rules twice: as
 * itself, and its embedded IPv4 address as IPv4, so that such a spelling
 * of a refused IPv4 address is refused too.  An invalid entry is logged
 * with a WARNING; in denied_hosts it makes every host refused (fail
 * closed), in allowed_hosts it is skipped (the list stays non-empty).
 *
 * The parsed lists are process-local state of this file.  The matching
 * functions (http_check_address, host_addr_from_sockaddr) never palloc
 * and never ereport, so they are safe inside libcurl callbacks.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/transport/hostcheck.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "lib/stringinfo.h"
#include "utils/memutils.h"

#include "transport/hostcheck.h"

/*---- Local types ----*/

/* One entry of allowed_hosts or denied_hosts */
typedef struct HostRule
{
	char	   *name;			/* lower-case host name, or NULL */
	HostAddr	addr;			/* network (host bits cleared) if !name */
	int			bits;			/* prefix length if !name */
} HostRule;

typedef struct HostList
{
	HostRule   *rules;
	int			nrules;
	bool		has_networks;	/* some rule is an address or network */
	bool		invalid;		/* some entry could not be parsed */
} HostList;

/* A range of reserved_ranges[] and how it is refused */
typedef struct ReservedRange
{
	int			family;			/* AF_INET or AF_INET6 */
	unsigned char bytes[16];	/* network, network byte order */
	int			bits;			/* prefix length */
	HostVerdict verdict;		/* HOST_UNSPECIFIED: always refused; else
								 * refused unless allowed_hosts has an
								 * address or network covering it */
} ReservedRange;

/* An IPv6 prefix whose addresses carry an IPv4 address */
typedef struct Ipv4Embedding
{
	unsigned char prefix[12];
	int			bits;			/* prefix length, a multiple of 8 */
	int			offset;			/* byte offset of the IPv4 address */
} Ipv4Embedding;

/*---- Local constants ----*/

/*
 * The ranges refused whatever notify_ext.denied_hosts says; the one list of
 * them (the README's Security section names the same).  Connecting to an
 * unspecified address reaches the local host on Linux, so it is never
 * allowed; link-local and cloud metadata addresses serve instance
 * credentials and may only be reached when allowed_hosts lists them.
 */
static const ReservedRange reserved_ranges[] =
{
	/* 0.0.0.0/8, "this network" (0.0.0.0 connects to the local host) */
	{AF_INET, {0}, 8, HOST_UNSPECIFIED},
	/* ::/128, the unspecified IPv6 address (connects to ::1) */
	{AF_INET6, {0}, 128, HOST_UNSPECIFIED},
	/* 169.254.0.0/16, IPv4 link-local (AWS, GCP, Azure metadata) */
	{AF_INET, {169, 254}, 16, HOST_LINK_LOCAL},
	/* fe80::/10, IPv6 link-local */
	{AF_INET6, {0xFE, 0x80}, 10, HOST_LINK_LOCAL},
	/* 100.100.100.200, Alibaba Cloud metadata */
	{AF_INET, {100, 100, 100, 200}, 32, HOST_METADATA},
	/* fd00:ec2::254, AWS metadata over IPv6 */
	{AF_INET6, {0xFD, 0x00, 0x0E, 0xC2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54},
	128, HOST_METADATA},
};

/*
 * IPv6 spellings of IPv4 addresses, checked again as IPv4.  IPv4-mapped
 * addresses (::ffff:0:0/96) are not here: host_addr_unmap turns them into
 * IPv4 before any check.
 */
static const Ipv4Embedding ipv4_embeddings[] =
{
	/* ::a.b.c.d, IPv4-compatible (deprecated); not :: and ::1 */
	{{0}, 96, 12},
	/* 64:ff9b::a.b.c.d, NAT64 well-known prefix */
	{{0x00, 0x64, 0xFF, 0x9B}, 96, 12},
	/* 2002:AABB:CCDD::/48, 6to4 of a.b.c.d = AA.BB.CC.DD */
	{{0x20, 0x02}, 16, 2},
};

/*---- Local variables ----*/

static HostList http_allowed;
static HostList http_denied;
static char *http_allowed_src = NULL;	/* setting values last parsed */
static char *http_denied_src = NULL;
static bool http_hosts_loaded = false;

/*---- Local function declarations ----*/

static void host_list_parse(const char *value, const char *setting,
							char **first_invalid,
							HostList *list);
static bool host_rule_parse(char *entry, HostRule *rule);
static void host_addr_unmap(HostAddr *addr);
static bool host_addr_parse(const char *s, HostAddr *addr);
static bool host_list_match_name(const HostList *list, const char *name);
static bool host_list_match_addr(const HostList *list, const HostAddr *addr);
static bool host_addr_in(const HostAddr *addr, int family,
						 const unsigned char *net, int bits);
static bool host_addr_embedded_ipv4(const HostAddr *addr, HostAddr *v4);
static HostVerdict host_check_rules(const char *host, const HostAddr *addr);


/* ---------------------------------------------------------------------
 * Loading the lists
 * ---------------------------------------------------------------------
 */

/*
 * http_host_lists_load
 *		Parse the allowed_hosts and denied_hosts values if they changed.
 *
 * allowed_value and denied_value are the settings' current values (NULL
 * counts as empty).  When either differs from the text parsed last, cxt is
 * reset and both lists are parsed again into it, so cxt must hold nothing
 * else.  Invalid entries are reported with WARNING (host_list_parse).
 * Returns true when the lists were replaced after an earlier load, false
 * on the first load and when nothing changed.  ERRORs only when out of
 * memory; the lists then count as not loaded and are parsed again at the
 * next call.
 */
bool
http_host_lists_load(const char *allowed_value, const char *denied_value,
					 MemoryContext cxt)
{
	const char *allowed = allowed_value ? allowed_value : "";
	const char *denied = denied_value ? denied_value : "";
	bool		reload = http_hosts_loaded;
	MemoryContext old;

	if (http_hosts_loaded &&
		strcmp(allowed, http_allowed_src) == 0 &&
		strcmp(denied, http_denied_src) == 0)
		return false;

	MemoryContextReset(cxt);
	http_hosts_loaded = false;
	memset(&http_allowed, 0, sizeof(http_allowed));
	memset(&http_denied, 0, sizeof(http_denied));
	http_allowed_src = http_denied_src = NULL;

	old = MemoryContextSwitchTo(cxt);
	host_list_parse(allowed, "notify_ext.allowed_hosts", NULL, &http_allowed);
	host_list_parse(denied, "notify_ext.denied_hosts", NULL, &http_denied);
	http_allowed_src = pstrdup(allowed);
	http_denied_src = pstrdup(denied);
	MemoryContextSwitchTo(old);

	http_hosts_loaded = true;
	return reload;
}


/* ---------------------------------------------------------------------
 * Parsing
 * ---------------------------------------------------------------------
 */

/*
 * host_list_parse
 *		Parse a comma-separated list of host names, addresses and networks
 *		into *list, allocating in CurrentMemoryContext.
 *
 * Invalid entries are left out and flagged in list->invalid.  With
 * first_invalid NULL they are reported with WARNING (setting names the
 * setting); otherwise nothing is reported and *first_invalid is set to the
 * first invalid entry, palloc'd, or NULL when there is none.
 */
static void
host_list_parse(const char *value, const char *setting, char **first_invalid,
				HostList *list)
{
	char	   *copy = pstrdup(value);
	char	   *p = copy;
	int			nmax = 1;
	const char *c;

	memset(list, 0, sizeof(*list));
	if (first_invalid != NULL)
		*first_invalid = NULL;
	for (c = value; *c; c++)
		if (*c == ',')
			nmax++;
	list->rules = palloc0(sizeof(HostRule) * nmax);

	for (;;)
	{
		char	   *comma = strchr(p, ',');
		char	   *entry = p;
		char	   *e;

		if (comma != NULL)
			*comma = '\0';
		while (*entry == ' ' || *entry == '\t' || *entry == '\n' || *entry == '\r')
			entry++;
		e = entry + strlen(entry);
		while (e > entry && (e[-1] == ' ' || e[-1] == '\t' ||
							 e[-1] == '\n' || e[-1] == '\r'))
			*--e = '\0';

		if (*entry != '\0')
		{
			char	   *shown = pstrdup(entry);
			HostRule   *rule = &list->rules[list->nrules];

			if (host_rule_parse(entry, rule))
			{
				if (rule->name == NULL)
					list->has_networks = true;
				list->nrules++;
				pfree(shown);
			}
			else if (first_invalid != NULL)
			{
				list->invalid = true;
				if (*first_invalid == NULL)
					*first_invalid = shown;
			}
			else
			{
				list->invalid = true;
				ereport(WARNING,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid entry \"%s\" in \"%s\"", shown, setting),
						 errdetail("Entries are host names, IP addresses or CIDR networks such as 10.0.0.0/8 or fd00::/8."),
						 strcmp(setting, "notify_ext.denied_hosts") == 0 ?
						 errhint("Every host is refused until the setting is corrected.") :
						 errhint("The entry is ignored.")));
			}
		}

		if (comma == NULL)
			break;
		p = comma + 1;
	}
}

/*
 * http_host_list_valid
 *		Whether every entry of a value of allowed_hosts or denied_hosts is a
 *		host name, an IP address or a CIDR network, by the rules the
 *		transport applies (host_list_parse).  When not, *invalid_entry is
 *		the first invalid entry, palloc'd.  For the settings' check hooks
 *		(guc.c): reports nothing, allocates in CurrentMemoryContext.
 */
bool
http_host_list_valid(const char *value, char **invalid_entry)
{
	HostList	list;

	host_list_parse(value ? value : "", NULL, invalid_entry, &list);
	pfree(list.rules);
	return !list.invalid;
}

/*
 * host_rule_parse
 *		Parse one trimmed list entry (modified in place) into *rule.
 *
 * Returns false for an invalid entry.  rule->name points into entry.
 */
static bool
host_rule_parse(char *entry, HostRule *rule)
{
	char	   *slash = strchr(entry, '/');
	char	   *addr = entry;
	int			bits = -1;
	int			maxbits;
	size_t		n;
	unsigned char *c;

	if (slash != NULL)
	{
		char	   *d = slash + 1;

		*slash = '\0';
		if (*d == '\0' || strlen(d) > 3)
			return false;
		bits = 0;
		for (; *d; d++)
		{
			if (*d < '0' || *d > '9')
				return false;
			bits = bits * 10 + (*d - '0');
		}
	}

	n = strlen(addr);
	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']')
	{
		addr[n - 1] = '\0';
		addr++;
	}

	if (host_addr_parse(addr, &rule->addr))
	{
		int			full;
		int			i;

		/* ::ffff:a.b.c.d/n was turned into IPv4; shift the prefix too */
		if (rule->addr.family == AF_INET && strchr(addr, ':') != NULL &&
			bits >= 0)
		{
			if (bits < 96)
				return false;
			bits -= 96;
		}
		maxbits = (rule->addr.family == AF_INET) ? 32 : 128;
		if (bits < 0)
			bits = maxbits;
		if (bits > maxbits)
			return false;

		/* clear the host bits */
		full = bits / 8;
		if (bits % 8 != 0)
		{
			rule->addr.bytes[full] &= (unsigned char) (0xFF << (8 - bits % 8));
			full++;
		}
		for (i = full; i < maxbits / 8; i++)
			rule->addr.bytes[i] = 0;

		rule->name = NULL;
		rule->bits = bits;
		return true;
	}

	/* a host name: letters, digits, '-', '_', '.' (and UTF-8 bytes) */
	if (slash != NULL || *addr == '\0')
		return false;
	for (c = (unsigned char *) addr; *c; c++)
	{
		if (!(isalnum(*c) || *c == '-' || *c == '_' || *c == '.' || *c >= 0x80))
			return false;
	}
	http_host_normalize(addr);
	if (*addr == '\0')
		return false;
	rule->name = addr;
	return true;
}

/*
 * host_normalize
 *		Normalize a host name in place for comparison: no IPv6 brackets,
 *		ASCII lower case, no trailing dots.
 */
void
http_host_normalize(char *name)
{
	size_t		n = strlen(name);
	char	   *c;

	if (n >= 2 && name[0] == '[' && name[n - 1] == ']')
	{
		memmove(name, name + 1, n - 2);
		name[n - 2] = '\0';
		n -= 2;
	}
	while (n > 0 && name[n - 1] == '.')
		name[--n] = '\0';
	for (c = name; *c; c++)
		*c = pg_ascii_tolower((unsigned char) *c);
}

/*
 * host_addr_unmap
 *		Turn an IPv4-mapped IPv6 address (::ffff:a.b.c.d) into IPv4.
 */
static void
host_addr_unmap(HostAddr *addr)
{
	static const unsigned char prefix[12] =
	{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};

	if (addr->family == AF_INET6 && memcmp(addr->bytes, prefix, 12) == 0)
	{
		addr->family = AF_INET;
		memmove(addr->bytes, addr->bytes + 12, 4);
		memset(addr->bytes + 4, 0, 12);
	}
}

/*
 * host_addr_parse
 *		Parse an IPv4 or IPv6 literal (no brackets).  Pure; no ereport.
 */
static bool
host_addr_parse(const char *s, HostAddr *addr)
{
	struct in_addr a4;
	struct in6_addr a6;

	memset(addr, 0, sizeof(*addr));
	if (inet_pton(AF_INET, s, &a4) == 1)
	{
		addr->family = AF_INET;
		memcpy(addr->bytes, &a4, 4);
		return true;
	}
	if (inet_pton(AF_INET6, s, &a6) == 1)
	{
		addr->family = AF_INET6;
		memcpy(addr->bytes, &a6, 16);
		host_addr_unmap(addr);
		return true;
	}
	return false;
}

/*
 * host_addr_from_sockaddr
 *		The address libcurl is about to connect to.  Pure; no ereport.
 */
bool
http_host_addr_from_sockaddr(const struct curl_sockaddr *sa, HostAddr *addr)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, &sa->addr, Min((size_t) sa->addrlen, sizeof(ss)));
	memset(addr, 0, sizeof(*addr));

	if (sa->family == AF_INET)
	{
		addr->family = AF_INET;
		memcpy(addr->bytes, &((struct sockaddr_in *) &ss)->sin_addr, 4);
		return true;
	}
	if (sa->family == AF_INET6)
	{
		addr->family = AF_INET6;
		memcpy(addr->bytes, &((struct sockaddr_in6 *) &ss)->sin6_addr, 16);
		host_addr_unmap(addr);
		return true;
	}
	return false;
}


/* ---------------------------------------------------------------------
 * Matching
 * ---------------------------------------------------------------------
 */

/*
 * host_list_match_name
 *		Does a host-name rule of list equal the normalized name?
 */
static bool
host_list_match_name(const HostList *list, const char *name)
{
	int			i;

	for (i = 0; i < list->nrules; i++)
		if (list->rules[i].name != NULL && strcmp(list->rules[i].name, name) == 0)
			return true;
	return false;
}

/*
 * host_addr_in
 *		Is addr inside the network net/bits of the given family?
 */
static bool
host_addr_in(const HostAddr *addr, int family, const unsigned char *net,
			 int bits)
{
	int			full = bits / 8;
	int			rest = bits % 8;

	if (addr->family != family)
		return false;
	if (memcmp(net, addr->bytes, full) != 0)
		return false;
	if (rest != 0)
	{
		unsigned char mask = (unsigned char) (0xFF << (8 - rest));

		if ((net[full] & mask) != (addr->bytes[full] & mask))
			return false;
	}
	return true;
}

/*
 * host_list_match_addr
 *		Does an address or network rule of list cover addr?
 */
static bool
host_list_match_addr(const HostList *list, const HostAddr *addr)
{
	int			i;

	for (i = 0; i < list->nrules; i++)
	{
		const HostRule *r = &list->rules[i];

		if (r->name == NULL &&
			host_addr_in(addr, r->addr.family, r->addr.bytes, r->bits))
			return true;
	}
	return false;
}

/*
 * host_addr_embedded_ipv4
 *		If addr is an IPv6 address of ipv4_embeddings[], set *v4 to the IPv4
 *		address it carries and return true.
 *
 * :: and ::1 are not IPv4-compatible addresses (they are the unspecified
 * and the loopback IPv6 address).  Pure.
 */
static bool
host_addr_embedded_ipv4(const HostAddr *addr, HostAddr *v4)
{
	static const unsigned char zero[16] = {0};
	int			i;

	if (addr->family != AF_INET6)
		return false;
	for (i = 0; i < lengthof(ipv4_embeddings); i++)
	{
		const Ipv4Embedding *e = &ipv4_embeddings[i];

		if (!host_addr_in(addr, AF_INET6, e->prefix, e->bits))
			continue;
		if (e->bits == 96 && memcmp(e->prefix, zero, 12) == 0 &&
			memcmp(addr->bytes + 12, zero, 3) == 0 && addr->bytes[15] <= 1)
			return false;
		memset(v4, 0, sizeof(*v4));
		v4->family = AF_INET;
		memcpy(v4->bytes, addr->bytes + e->offset, 4);
		return true;
	}
	return false;
}

/*
 * host_check_rules
 *		Rules 1 to 3 of the file banner for one address (no embedding).
 */
static HostVerdict
host_check_rules(const char *host, const HostAddr *addr)
{
	bool		allow_list = (http_allowed.nrules > 0 || http_allowed.invalid);
	int			i;

	if (host_list_match_name(&http_denied, host) ||
		host_list_match_addr(&http_denied, addr))
		return HOST_DENIED;

	for (i = 0; i < lengthof(reserved_ranges); i++)
	{
		const ReservedRange *r = &reserved_ranges[i];

		if (!host_addr_in(addr, r->family, r->bytes, r->bits))
			continue;
		if (r->verdict == HOST_UNSPECIFIED)
			return HOST_UNSPECIFIED;
		return host_list_match_addr(&http_allowed, addr) ?
			HOST_PERMITTED : r->verdict;
	}

	if (allow_list &&
		!host_list_match_name(&http_allowed, host) &&
		!host_list_match_addr(&http_allowed, addr))
		return HOST_NOT_ALLOWED;
	return HOST_PERMITTED;
}

/*
 * http_check_address
 *		Decide whether host, at address addr, may be connected to.
 *
 * An address embedding an IPv4 address is permitted only when both it and
 * the embedded IPv4 address pass; the first refusal is returned.
 * Pure (no palloc, no ereport): called from the open-socket callback.
 */
HostVerdict
http_check_address(const char *host, const HostAddr *addr)
{
	HostVerdict verdict;
	HostAddr	v4;

	if (http_denied.invalid)
		return HOST_BAD_DENY_LIST;
	verdict = host_check_rules(host, addr);
	if (verdict == HOST_PERMITTED && host_addr_embedded_ipv4(addr, &v4))
		verdict = host_check_rules(host, &v4);
	return verdict;
}

/*
 * http_check_host
 *		Check a URL's normalized host before any transfer starts.
 *
 * An IP literal is decided at once.  A name is refused when denied, or when
 * allowed_hosts has only names and none matches; otherwise the answer is
 * HOST_UNDECIDED and the connect-time check decides.
 */
HostVerdict
http_check_host(const char *host)
{
	HostAddr	addr;

	if (host_addr_parse(host, &addr))
		return http_check_address(host, &addr);

	if (http_denied.invalid)
		return HOST_BAD_DENY_LIST;
	if (host_list_match_name(&http_denied, host))
		return HOST_DENIED;
	if ((http_allowed.nrules > 0 || http_allowed.invalid) &&
		!http_allowed.has_networks &&
		!host_list_match_name(&http_allowed, host))
		return HOST_NOT_ALLOWED;
	return HOST_UNDECIDED;
}

/*
 * http_refusal_message
 *		Message for a refused host; addr may be NULL or empty.  An address
 *		embedding an IPv4 address names that too.
 *
 * palloc'd in CurrentMemoryContext, not yet cleaned (see http_append_clean).
 */
char *
http_refusal_message(const char *host, const char *addr, HostVerdict verdict)
{
	StringInfoData buf;
	HostAddr	a;
	HostAddr	v4;
	bool		shown = (addr != NULL && addr[0] != '\0' && strcmp(addr, host) != 0);

	initStringInfo(&buf);
	appendStringInfo(&buf, "host \"%s\"", host);
	if (shown)
		appendStringInfo(&buf, " (address %s)", addr);
	if (host_addr_parse(shown ? addr : host, &a) &&
		host_addr_embedded_ipv4(&a, &v4))
	{
		char		text[INET_ADDRSTRLEN];

		if (inet_ntop(AF_INET, v4.bytes, text, sizeof(text)) != NULL)
			appendStringInfo(&buf, " (IPv4 address %s)", text);
	}
	switch (verdict)
	{
		case HOST_DENIED:
			appendStringInfoString(&buf, " is not allowed by notify_ext.denied_hosts");
			break;
		case HOST_UNSPECIFIED:
			appendStringInfoString(&buf, " is not allowed: unspecified addresses (0.0.0.0/8, ::) are never connected to");
			break;
		case HOST_LINK_LOCAL:
			appendStringInfoString(&buf, " is not allowed by notify_ext.allowed_hosts: link-local addresses must be listed explicitly");
			break;
		case HOST_METADATA:
			appendStringInfoString(&buf, " is not allowed by notify_ext.allowed_hosts: cloud metadata addresses must be listed explicitly");
			break;
		case HOST_BAD_DENY_LIST:
			appendStringInfoString(&buf, " is not allowed by notify_ext.denied_hosts: the setting has an invalid entry");
			break;
		default:
			appendStringInfoString(&buf, " is not allowed by notify_ext.allowed_hosts");
			break;
	}
	return buf.data;
}
