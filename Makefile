# Makefile for notify_ext (PGXS)

EXTENSION = notify_ext notify_ext_assets
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" notify_ext.control)

MODULE_big = notify_ext
# One folder per layer of the data path (see README.md, "Code layout");
# includes name the folder ("definition/definition.h") and point down:
# common <- definition <- capture, outbox <- bgw, delivery <- transport, encode.
OBJS = \
	src/notify_ext.o \
	src/guc.o \
	src/catalog.o \
	src/common/subxact.o \
	src/common/xact.o \
	src/common/text_escape.o \
	src/common/url.o \
	src/definition/names.o \
	src/definition/notification_document.o \
	src/definition/notification_xml.o \
	src/definition/notification_json.o \
	src/definition/node.o \
	src/definition/parse.o \
	src/definition/action.o \
	src/definition/trigger.o \
	src/definition/definition_cache.o \
	src/definition/definition_api.o \
	src/definition/aws_credential.o \
	src/definition/url_refusal.o \
	src/capture/metadata_filter.o \
	src/capture/kinds.o \
	src/capture/capture.o \
	src/capture/payload.o \
	src/capture/emit.o \
	src/capture/item.o \
	src/capture/collection.o \
	src/capture/storage.o \
	src/capture/file.o \
	src/capture/changeset.o \
	src/capture/job.o \
	src/capture/access.o \
	src/capture/shape.o \
	src/capture/document.o \
	src/capture/group.o \
	src/capture/filename.o \
	src/capture/capture_state.o \
	src/capture/quota.o \
	src/capture/quota_usage.o \
	src/capture/deletion_lock.o \
	src/capture/sync_queue.o \
	src/outbox/outbox.o \
	src/bgw/shmem.o \
	src/bgw/launcher.o \
	src/delivery/worker.o \
	src/delivery/lane.o \
	src/delivery/endpoint.o \
	src/delivery/dispatch.o \
	src/delivery/retry.o \
	src/delivery/delivery_site.o \
	src/delivery/sync.o \
	src/encode/encode.o \
	src/encode/encode_api.o \
	src/transport/curl_multi.o \
	src/transport/http.o \
	src/transport/hostcheck.o \
	src/transport/signing.o \
	src/transport/indb.o \
	src/transport/indb_helper.o \
	src/transport/sqs.o \
	src/transport/aws.o \
	src/transport/http_guard.o \
	src/ingest/s3_key.o \
	src/ingest/aws_http.o \
	src/ingest/sqs_queue.o \
	src/ingest/s3_list.o \
	src/ingest/scan.o \
	src/ingest/poller.o \
	src/definition/s3_configuration.o \
	src/encode/s3_event.o

# sql/<ext>.sql is the current version, installed as <ext>--$(EXTVERSION).sql;
# the scripts of released versions and the upgrade scripts are kept as they
# are (test/t/012_upgrade.pl checks that an update gives a fresh install's
# objects)
DATA = $(filter-out $(DATA_built),$(wildcard sql/notify_ext--*.sql sql/notify_ext_assets--*.sql))
DATA_built = sql/notify_ext--$(EXTVERSION).sql sql/notify_ext_assets--$(EXTVERSION).sql

PKGS = libcurl libxml-2.0 json-c
PG_CPPFLAGS += -I$(srcdir)/src $(shell pkg-config --cflags $(PKGS)) \
	-DNOTIFY_EXT_VERSION='"$(EXTVERSION)"'
SHLIB_LINK += $(shell pkg-config --libs $(PKGS))
PG_CFLAGS += -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers
# header dependencies (PGXS tracks them only in --enable-depend builds)
PG_CFLAGS += -MMD -MP

# pg_regress: inputs in test/sql, expected output in expected/, run in a
# throwaway instance with the library preloaded.
REGRESS = install dump_members definitions definition_errors capture attach permissions \
	ownership ssrf_hostcheck bad_input retry_policy settings triggers_job outbox_ops triggers_assets quota deletion_lock ingest security_probe s3_bucket
REGRESS_OPTS = --inputdir=test --outputdir=. --temp-instance=./tmp_regress \
	--temp-config=$(srcdir)/test/notify_ext.conf
ISOLATION = capture_concurrent job_placeholder_race quota_concurrent lock_expiry_race sync_interleave s3_sequencer
ISOLATION_OPTS = --inputdir=test --outputdir=./output_iso \
	--temp-instance=./tmp_check_iso --temp-config=$(srcdir)/test/notify_ext.conf

REGRESS_PREP = iso_expected

TAP_TESTS = 1
PROVE_TESTS = $(wildcard test/t/*.pl)

EXTRA_CLEAN = $(OBJS:.o=.d) tmp_check tmp_regress tmp_check_iso output_iso results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

-include $(OBJS:.o=.d)

sql/notify_ext--$(EXTVERSION).sql: sql/notify_ext.sql
	cp $< $@
sql/notify_ext_assets--$(EXTVERSION).sql: sql/notify_ext_assets.sql
	cp $< $@

# the TAP tests' shared helpers (test/t/NotifyTest.pm); set after PGXS,
# whose Makefile.global empties PROVE_FLAGS
PROVE_FLAGS += -I $(srcdir)/test/t

# PG15's pg_isolation_regress looks for expected files only under its
# output directory or its input directory, so give it ours (REGRESS_PREP,
# set above the include, runs this before the tests)
iso_expected:
	mkdir -p output_iso/expected
	for t in $(ISOLATION); do cp $(srcdir)/expected/$$t.out output_iso/expected/; done
.PHONY: iso_expected
