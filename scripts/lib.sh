# shellcheck shell=bash
#
# scripts/lib.sh
#	Helpers shared by scripts/test.sh and scripts/quickstart.sh: the one
#	dependency install of the project, the build, and running commands as
#	the cluster owner.  Source it; it defines functions and a few NX_*
#	variables and runs nothing by itself.
#
# Environment:
#	PG_CONFIG	pg_config to build against (default: PostgreSQL 15's)
#	CI			"true" in CI; nothing here ever prompts anyway

NX_PG_MAJOR=15
NX_PG_BIN=/usr/lib/postgresql/${NX_PG_MAJOR}/bin
NX_PG_CONFIG=${PG_CONFIG:-${NX_PG_BIN}/pg_config}
NX_OS_USER=postgres

# Debian packages the build, the tests and the demo need.  nodejs/npm are
# added only when no `node` is on PATH (it may come from another source).
NX_PACKAGES=(
	"postgresql-${NX_PG_MAJOR}" "postgresql-server-dev-${NX_PG_MAJOR}"
	libcurl4-openssl-dev libxml2-dev libjson-c-dev libipc-run-perl
	pkg-config make gcc nginx-light
	# the tests' tools: perl (TAP, JSON::PP), unshare and flock (util-linux),
	# ip and ss (iproute2: the SSRF test's network namespace, the
	# benchmark's free ports), curl (probes inside that namespace), pgrep
	# (procps: the benchmark's nginx worker)
	perl util-linux iproute2 curl procps
)

nx_log() { printf '==> %s\n' "$*" >&2; }
nx_die() { printf 'error: %s\n' "$*" >&2; exit 1; }
nx_is_root() { [[ ${EUID:-$(id -u)} -eq 0 ]]; }

# nx_missing_packages: print the packages of NX_PACKAGES (plus nodejs when
# node is absent) that dpkg does not report as installed.  npm is not asked
# for here: some nodejs packages bring it and conflict with Debian's npm
# (nx_install_deps adds it only when nodejs did not).
nx_missing_packages() {
	local p missing=()
	if command -v dpkg-query >/dev/null 2>&1; then
		for p in "${NX_PACKAGES[@]}"; do
			if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]]; then
				missing+=("$p")
			fi
		done
	fi
	if ! command -v node >/dev/null 2>&1; then
		missing+=(nodejs)
	fi
	echo "${missing[*]}"
}

# nx_install_deps: install whatever is missing.  apt-get update runs only
# when something has to be installed.  Not root: nothing is installed, a
# missing package is reported and the build will tell whether it mattered.
nx_install_deps() {
	local missing
	missing=$(nx_missing_packages)
	if [[ -z $missing ]] && command -v npm >/dev/null 2>&1; then
		nx_log "dependencies: all present"
		return 0
	fi
	if ! nx_is_root; then
		nx_log "warning: missing packages: $missing (not root, not installing)"
		return 0
	fi
	nx_log "installing: $missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	if [[ -n $missing ]]; then
		# shellcheck disable=SC2086  # word splitting of the package list is wanted
		apt-get install -y -q --no-install-recommends \
			-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
			$missing
	fi
	# the peers' node modules need npm: Debian's nodejs comes without it
	if ! command -v npm >/dev/null 2>&1; then
		apt-get install -y -q --no-install-recommends npm
	fi
}

# nx_build_install: build (the Makefile makes warnings errors) and install
# into PostgreSQL's directories.  Run in the source tree.  A non-root user
# who cannot write those directories gets `sudo -n` if it works, or a clear
# error.
nx_build_install() {
	[[ -x $NX_PG_CONFIG ]] || nx_die "$NX_PG_CONFIG not found (is postgresql-server-dev-${NX_PG_MAJOR} installed?)"
	nx_log "make (warnings are errors)"
	make -j"$(nproc 2>/dev/null || echo 2)" PG_CONFIG="$NX_PG_CONFIG" || return 1
	nx_log "make install"
	if nx_is_root || { [[ -w $("$NX_PG_CONFIG" --pkglibdir) ]] &&
					   [[ -w $("$NX_PG_CONFIG" --sharedir)/extension ]]; }; then
		make install PG_CONFIG="$NX_PG_CONFIG" || return 1
	elif nx_installed_up_to_date; then
		nx_log "installed files are up to date (no write access needed)"
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo -n make install PG_CONFIG="$NX_PG_CONFIG" || return 1
	else
		echo "error: cannot write PostgreSQL's install directories; run as root (bash $0, or sudo bash $0)" >&2
		return 1
	fi
}

# nx_installed_up_to_date: true when the built library, the control file and
# every SQL script are installed with identical contents.
nx_installed_up_to_date() {
	local lib share f
	lib=$("$NX_PG_CONFIG" --pkglibdir)
	share=$("$NX_PG_CONFIG" --sharedir)/extension
	cmp -s notify_ext.so "$lib/notify_ext.so" || return 1
	cmp -s notify_ext.control "$share/notify_ext.control" || return 1
	for f in sql/notify_ext--*.sql; do
		cmp -s "$f" "$share/$(basename "$f")" || return 1
	done
}

# nx_as_owner CMD...: run CMD as the cluster owner: the postgres OS user when
# we are root (initdb refuses root), ourselves otherwise.  HOME is set to a
# directory the owner can use.
nx_as_owner() {
	if nx_is_root; then
		runuser -u "$NX_OS_USER" -- env HOME="${NX_OWNER_HOME:-/tmp}" "$@"
	else
		"$@"
	fi
}

# nx_free_port: print a TCP port of 20000-60000 nothing listens on.
nx_free_port() {
	local p
	for p in $(shuf -i 20000-60000 -n 100); do
		if [[ -z $(ss -Htln "sport = :$p" 2>/dev/null) ]]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# nx_make_var VAR: print the value of a Makefile variable (after PGXS).
nx_make_var() {
	# shellcheck disable=SC2016  # $(VAR) is make syntax
	make -s --no-print-directory PG_CONFIG="$NX_PG_CONFIG" -f Makefile \
		-f <(printf 'nx-print-var:\n\t@echo $(%s)\n' "$1") nx-print-var
}
