# dockscale: build, test and install the dockscaled daemon.
#
#   make            build build/dockscaled and build/dockscalectl
#   make check      deps, build, lint, unit tests, integration tests
#   make asan       unit + integration tests under AddressSanitizer/UBSan
#   make fuzz-long  every libFuzzer target for FUZZ_SECONDS (default 120) each
#   make demo       the main job end to end (see README.md)
#   make bench      benchmarks in tests/bench
#   make chaos      fault injection against the real peers (tests/chaos; not in check)
#   make image      the container image dockscale:latest and :VERSION (doc/container.md)
#   make deps       install the Debian packages below (no-op when present)
#   make deb        build/dockscale_VERSION_ARCH.deb with debhelper, checked by lintian
#   make deb-test   that .deb installed, run and purged in a booted Debian 12 root (not in check)

PREFIX   ?= /usr/local
DESTDIR  ?=
SYSCONFDIR ?= /etc
UNITDIR  ?= /lib/systemd/system
MANDIR   ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DOCDIR   ?= $(PREFIX)/share/doc/dockscale
BUILD    ?= build
VERSION  := 0.1.0
PYTEST   := /usr/bin/python3 -m pytest

# The ONE list of Debian packages this project needs (SPEC §1, TESTING.md).
DEB_PACKAGES := gcc make pkg-config libc6-dev curl ca-certificates procps \
	libcurl4-openssl-dev libcjson-dev libmicrohttpd-dev libinih-dev libcmocka-dev \
	docker.io nginx prometheus prometheus-alertmanager wrk docker-compose docker-registry \
	python3-pytest python3-pytest-xdist python3-requests jq bc \
	cppcheck clang-tidy clang libclang-rt-14-dev valgrind \
	haproxy chromium man-db bash-completion iproute2 \
	debhelper dpkg-dev lintian
# debhelper, dpkg-dev and lintian are in the list because `make check` builds the .deb
# (tests/integration/test_packaging.py). `make deb-test` alone boots a Debian root:
# its packages are installed by that target, not by `make deps` (doc/packaging.md).
DEB_TEST_PACKAGES := debootstrap systemd-container

CC       ?= gcc
PKGS     := libcurl libcjson libmicrohttpd inih
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wpointer-arith \
	-Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
HARDEN   := -fstack-protector-strong -fstack-clash-protection -fPIE -D_FORTIFY_SOURCE=2
ifeq ($(SAN),1)
OPT      := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
HARDEN   := -fPIE
SANLD    := -fsanitize=address,undefined
else
OPT      := -O2 -g
SANLD    :=
endif
CFLAGS   ?=
CPPFLAGS += -Iinclude -DDOCKSCALE_VERSION='"$(VERSION)"'
ALL_CFLAGS = -std=gnu11 $(OPT) $(WARN) $(HARDEN) $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS  ?=
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now $(SANLD) $(LDFLAGS)

# The sources by folder (doc/architecture.md, "The tree"): src/client/ is dockscalectl,
# the API's client, its own binary; the daemon is src/ and the other folders.
DAEMON_DIRS := src src/config src/balancer src/runtime
CTL_SRCS := $(wildcard src/client/*.c)
CTL_OBJS := $(CTL_SRCS:src/%.c=$(BUILD)/obj/%.o)
CTL_LIBS  = $(shell pkg-config --libs libcurl libcjson inih 2>/dev/null)
SRCS     := $(foreach d,$(DAEMON_DIRS),$(wildcard $(d)/*.c))
OBJS     := $(SRCS:src/%.c=$(BUILD)/obj/%.o)
# A source by its name (a file name is unique across the folders): the unit tests' and
# fuzz targets' lists below name files, not paths.
src_of = $(foreach n,$(1),$(or $(firstword $(wildcard $(addsuffix /$(n).c,$(DAEMON_DIRS) src/client))),$(if $(findstring /,$(n)),$(n).c,src/$(n).c)))
DEPS     := $(OBJS:.o=.d)
# The status page (doc/api.md, "Status page"): its three files compiled in as bytes.
STATUSPAGE := src/statuspage.html src/statuspage.css src/statuspage.js
OBJS     += $(BUILD)/obj/gen_statuspage.o

.PHONY: all check unit integration asan lint deps install clean demo bench chaos test-image image fuzz fuzz-long dockerd swarm-test deb deb-test
all: $(BUILD)/dockscaled

$(BUILD)/dockscaled: $(OBJS)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(OBJS) $(PKG_LIBS) -lm

all: $(BUILD)/dockscalectl
$(BUILD)/dockscalectl: $(CTL_OBJS)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(CTL_OBJS) $(CTL_LIBS)
-include $(CTL_OBJS:.o=.d)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/obj $(BUILD)/tests:
	mkdir -p $@

$(BUILD)/gen/statuspage.c: $(STATUSPAGE)
	mkdir -p $(BUILD)/gen
	{ echo '#include "statuspage.h"'; \
	  for f in $(STATUSPAGE); do n=$$(basename $$f | tr . _); \
	    echo "const unsigned char $$n[] = {"; \
	    od -An -v -tx1 $$f | sed 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; echo '};'; \
	    echo "const size_t $${n}_len = sizeof($$n);"; done; } > $@.tmp
	mv $@.tmp $@

$(BUILD)/obj/gen_statuspage.o: $(BUILD)/gen/statuspage.c | $(BUILD)/obj
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

-include $(DEPS)

# ---- unit tests: tests/unit/test_X.c links X.c (in whichever folder) plus TEST_X_EXTRA --
UNIT_TESTS := $(patsubst tests/unit/test_%.c,%,$(wildcard tests/unit/test_*.c))
# every test of the configuration links all of its key tables
CONFIG_PARTS := config config_notify notify_msg events cgroup config_keys config_list config_check config_idle config_hooks config_moot config_ctr config_ctr_proc config_envfile readiness config_lb config_kinds config_schedule config_labels schedule_calc haproxy_config swarm_config regauth json config_value log text
TEST_config_EXTRA := $(filter-out config,$(CONFIG_PARTS))
TEST_config_ctr_EXTRA := $(filter-out config_ctr,$(CONFIG_PARTS)) ctrdef ctrdef_host
TEST_config_lb_EXTRA := $(filter-out config_lb,$(CONFIG_PARTS))
TEST_config_idle_EXTRA := $(filter-out config_idle,$(CONFIG_PARTS)) idlematch
TEST_config_moot_EXTRA := $(filter-out config_moot,$(CONFIG_PARTS))
TEST_config_labels_EXTRA := $(filter-out config_labels,$(CONFIG_PARTS)) compose
TEST_config_schedule_EXTRA := $(filter-out config_schedule,$(CONFIG_PARTS))
TEST_config_hooks_EXTRA := $(filter-out config_hooks,$(CONFIG_PARTS))
TEST_swarm_config_EXTRA := $(filter-out swarm_config,$(CONFIG_PARTS))
TEST_decide_EXTRA := predict
TEST_plan_EXTRA   :=
TEST_reqwin_EXTRA :=
TEST_schedule_calc_EXTRA :=
TEST_wake_share_EXTRA :=
TEST_ctl_EXTRA    := ctl_print ctl_conf ctl_http
TEST_ctrdef_EXTRA := ctrdef_host docker_json docker_stats json log text
TEST_compose_EXTRA := json text
TEST_log_EXTRA    := text
TEST_loop_EXTRA   := log text
TEST_httpc_EXTRA  := loop log text
TEST_docker_json_EXTRA := docker_stats json text
TEST_json_EXTRA   := text
TEST_docker_EXTRA := docker_ctr docker_exec docker_image docker_json docker_stats docker_events lines httpc loop log json text tests/unit/fake_docker
TEST_service_EXTRA := svc runtime_containers featureset cgroup events pause idle headroom headroom_calc hostmem schedule schedule_calc netconn idlematch history replica replica_hook probe readiness pull docker_image regauth ctrdef ctrdef_host rollout compose compose_source plan metric scale decide predict traffic reqstat reqwin accesslog accesslog_parse lb lb_nginx lb_haproxy lb_none haproxy_cli haproxy_parse wake wake_http wake_relay wake_share wake_status upstream upstream_file upstream_batch nginx_apply proc nginx nginx_ctr buf config_value \
	prom docker docker_ctr docker_exec docker_json docker_stats docker_events lines httpc loop log json text tests/unit/fake_docker \
	runtime_swarm swarm swarm_leader swarm_tasks swarm_json runtime
# the containers runtime and a replica's life against the fake engine: 15 sources of src/
TEST_replica_EXTRA := runtime_containers svc probe replica_hook plan readiness docker docker_ctr docker_exec docker_json docker_stats \
	httpc loop log json text tests/unit/fake_docker
TEST_swarm_json_EXTRA := json text
TEST_webhook_EXTRA := json text
TEST_prom_EXTRA := httpc loop log json text
TEST_proc_EXTRA   := loop log text
TEST_upstream_EXTRA := upstream_file upstream_batch nginx_apply proc loop log buf nginx nginx_ctr config_value text \
	docker docker_ctr docker_exec docker_image docker_json docker_stats docker_events lines httpc json
TEST_nginx_EXTRA  := json text
TEST_text_EXTRA   :=
TEST_reqcheck_EXTRA :=
TEST_lines_EXTRA  :=
TEST_docker_exec_EXTRA := docker docker_ctr docker_image docker_json docker_stats docker_events lines httpc loop log json text
TEST_docker_image_EXTRA := docker docker_ctr docker_exec docker_json docker_stats docker_events lines httpc loop log json text
TEST_regauth_EXTRA := json text
TEST_events_EXTRA := log text
TEST_notify_msg_EXTRA := events log text
TEST_events_query_EXTRA := events config_value log text
TEST_explain_EXTRA :=
TEST_history_EXTRA :=
TEST_readiness_EXTRA := $(filter-out readiness,$(CONFIG_PARTS))
TEST_cgroup_EXTRA := docker_stats docker_json json text
TEST_hostmem_EXTRA :=
TEST_headroom_calc_EXTRA :=
TEST_accesslog_EXTRA := accesslog_parse loop log text
TEST_lb_haproxy_EXTRA := haproxy_cli haproxy_parse events loop log text

define unit_rule
$(BUILD)/tests/test_$(1): tests/unit/test_$(1).c $$(call src_of,$(1) $$(TEST_$(1)_EXTRA)) $(wildcard include/*.h) | $(BUILD)/tests
	$$(CC) $$(CPPFLAGS) $$(ALL_CFLAGS) -Wno-missing-prototypes $$(ALL_LDFLAGS) -o $$@ $$(filter %.c,$$^) $$(PKG_LIBS) -lcmocka -lm
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

unit: $(UNIT_TESTS:%=$(BUILD)/tests/test_%)
	@fail=0; for t in $^; do echo "== $$t"; ./$$t || fail=1; done; exit $$fail

# libFuzzer over every parser of input the daemon does not control (doc/testing.md,
# "Fuzzing"): tests/fuzz/fuzz_T.c links src/*.c of FUZZ_T. cJSON, inih and libc stay
# the system's, uninstrumented (nothing is vendored). UBSan aborts, so a report is a
# finding. Needs clang and libclang-rt-14-dev. `make fuzz` runs each target FUZZ_RUNS
# executions (part of `make check`, about half a minute); `make fuzz-long` each for FUZZ_SECONDS, one after
# the other, and prints executions and findings per target.
FUZZ_TARGETS := webhook json scale prom dockerjson lines config units compose pull wake accesslog
FUZZ_webhook := webhook json text
FUZZ_json    := json text
FUZZ_scale   := json text
FUZZ_prom    := prom httpc loop log json text
FUZZ_dockerjson := docker_json docker_stats json text
FUZZ_lines   := lines docker_json docker_stats json text
FUZZ_config  := $(CONFIG_PARTS)
FUZZ_units   := config_value
FUZZ_compose := compose json text
FUZZ_wake    := wake_http
FUZZ_accesslog := accesslog_parse
FUZZ_pull    := docker_image regauth docker docker_ctr docker_exec docker_json docker_stats docker_events lines httpc loop log json text
FUZZ_RUNS    ?= 100000
# a file per input: ~5,000 exec/s where the others run 50,000+
FUZZ_CONFIG_RUNS ?= 10000
# an inspect answer per input: ~3,500 exec/s
FUZZ_COMPOSE_RUNS ?= 20000
FUZZ_SECONDS ?= 120
FUZZ_CFLAGS  := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-Iinclude $(PKG_CFLAGS)

define fuzz_rule
$(BUILD)/fuzz/fuzz_$(1): tests/fuzz/fuzz_$(1).c $$(call src_of,$$(FUZZ_$(1))) $(wildcard include/*.h)
	@mkdir -p $$(@D)
	clang $$(FUZZ_CFLAGS) -o $$@ $$(filter %.c,$$^) $$(PKG_LIBS) -lm
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(t))))

fuzz: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
	tests/fuzz/run.sh $(BUILD) runs $(FUZZ_RUNS) $(filter-out config compose,$(FUZZ_TARGETS)) \
		config:$(FUZZ_CONFIG_RUNS) compose:$(FUZZ_COMPOSE_RUNS)

fuzz-long: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
	tests/fuzz/run.sh $(BUILD) seconds $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Side by side (doc/testing.md): INTEGRATION_WORKERS pytest-xdist workers, then the
# tests marked `alone` (dockerd restart, latency/CPU/memory bounds, the Swarm labs) one
# after the other with nothing of the suite beside them. Both passes run; either fails it.
INTEGRATION_WORKERS ?= 2
integration: $(BUILD)/dockscaled test-image
	@rc=0; \
	DOCKSCALED=$(abspath $(BUILD)/dockscaled) $(PYTEST) -q -n $(INTEGRATION_WORKERS) \
		--dist loadgroup -m "not alone" tests/integration || rc=1; \
	DOCKSCALED=$(abspath $(BUILD)/dockscaled) $(PYTEST) -q -m alone tests/integration || rc=1; \
	exit $$rc

# The Swarm tests alone (doc/swarm.md): private dockerd engines
# in network namespaces, one manager and three; about 75 s. Needs root and iproute2.
swarm-test: $(BUILD)/dockscaled test-image
	DOCKSCALED=$(abspath $(BUILD)/dockscaled) $(PYTEST) -q tests/integration/test_swarm.py tests/integration/test_swarm_cluster.py

# Benchmarks (SPEC §6): each against a baseline measured in the same run; the table goes
# to stdout and build/bench.md. About 4-5 minutes on a 2-core machine. Needs jq and bc.
bench: $(BUILD)/dockscaled test-image
	DOCKSCALED=$(abspath $(BUILD)/dockscaled) /usr/bin/python3 tests/bench/run.py

# Fault injection (doc/chaos.md): kill -9 at random points of scale cycles, a
# no-drop soak under wrk, peer faults with recovery times, kill -9 behind HAProxy and
# mid-rollout, the wake listener attacked. Not part of `make check`: about 20 minutes
# (CHAOS_QUICK=1: ~5). Table to stdout and build/chaos.md; exit 1 on a failure.
chaos: $(BUILD)/dockscaled test-image
	DOCKSCALED=$(abspath $(BUILD)/dockscaled) /usr/bin/python3 tests/chaos/run.py

# Build, lint, unit tests and fuzzing are CPU-bound and independent: one job per core,
# each target's output kept together. The integration suite (which bounds latencies)
# runs after, with nothing of them beside it.
CHECK_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
check: deps
	$(MAKE) -j$(CHECK_JOBS) --output-sync=target all lint unit fuzz
	$(MAKE) integration

asan:
	$(MAKE) BUILD=build/asan SAN=1 all unit integration

# $(call apt_install,PACKAGES): install those of PACKAGES that are missing.
apt_install = @missing=""; for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

deps:
	$(call apt_install,$(DEB_PACKAGES))

dockerd:
	@tests/dockerd-up

# The demo image (tests/app), and a variant without HEALTHCHECK for the HTTP probe path.
test-image: dockerd
	tests/app/build-image dockscale-demo:latest >/dev/null
	printf 'FROM dockscale-demo:latest\nHEALTHCHECK NONE\n' | \
		DOCKER_BUILDKIT=0 docker build -q -t dockscale-demo:nohc - >/dev/null 2>&1 || \
		{ echo "building dockscale-demo:nohc failed" >&2; exit 1; }

# The daemon's image (doc/container.md): FROM scratch, the two binaries, their shared
# libraries, CA certificates, time zones, a non-root user; no registry, no base image.
image: $(BUILD)/dockscaled $(BUILD)/dockscalectl dockerd
	BUILD=$(abspath $(BUILD)) conf/image/build-image -v $(VERSION) dockscale:latest \
		dockscale:$(VERSION) >/dev/null
	@docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' dockscale:$(VERSION)

# The main job end to end: nginx in front of the autoscaled `demo` service, a load ramp
# through it, live view and summary (tests/demo/demo.py; DEMO_FAST=1 for a ~50 s run).
demo: deps
	$(MAKE) all test-image
	/usr/bin/python3 tests/demo/demo.py --dockscaled $(abspath $(BUILD)/dockscaled) \
		--dockscalectl $(abspath $(BUILD)/dockscalectl)

# cppcheck and clang-tidy, then the owners and dependency checkers (tests/lint/README.md):
# their own tests on tests/lint/fixtures, then the tree, through clang's AST (the facts
# cached per file in $(BUILD)/lint).
lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
		--inline-suppr --suppressions-list=.cppcheck-suppressions \
		-Iinclude --std=c11 src
	clang-tidy --quiet $(SRCS) $(CTL_SRCS) -- $(CPPFLAGS) -std=gnu11 $(PKG_CFLAGS)
	/usr/bin/python3 tests/lint/test_lint.py
	/usr/bin/python3 tests/lint/owners.py --cache $(BUILD)/lint -- $(CPPFLAGS) $(PKG_CFLAGS)
	/usr/bin/python3 tests/lint/deps.py --cache $(BUILD)/lint -- $(CPPFLAGS) $(PKG_CFLAGS)

install: $(BUILD)/dockscaled $(BUILD)/dockscalectl
	install -D -m 0755 $(BUILD)/dockscaled $(DESTDIR)$(PREFIX)/sbin/dockscaled
	install -D -m 0755 $(BUILD)/dockscalectl $(DESTDIR)$(PREFIX)/bin/dockscalectl
	install -D -m 0644 conf/man/dockscalectl.1 $(DESTDIR)$(MANDIR)/man1/dockscalectl.1
	install -D -m 0644 conf/man/dockscale.conf.5 $(DESTDIR)$(MANDIR)/man5/dockscale.conf.5
	install -D -m 0644 conf/man/dockscaled.8 $(DESTDIR)$(MANDIR)/man8/dockscaled.8
	install -D -m 0644 conf/dockscalectl.bash $(DESTDIR)$(BASHCOMPDIR)/dockscalectl
	install -D -m 0644 conf/dockscale.conf $(DESTDIR)$(SYSCONFDIR)/dockscale/dockscale.conf
	install -D -m 0644 conf/nginx-dockscale-log.conf \
		$(DESTDIR)$(SYSCONFDIR)/dockscale/nginx-dockscale-log.conf
	install -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -d $(DESTDIR)$(DOCDIR)/doc
	install -m 0644 doc/*.md $(DESTDIR)$(DOCDIR)/doc/
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g; s|@DOCDIR@|$(DOCDIR)|g' systemd/dockscale.service > $(BUILD)/dockscale.service
	install -D -m 0644 $(BUILD)/dockscale.service $(DESTDIR)$(UNITDIR)/dockscale.service

# The Debian package (doc/packaging.md): a source tree assembled under
# $(BUILD)/deb/dockscale-VERSION (what the build needs, and conf/debian as debian/: the
# repository keeps no top-level debian/), built there by dpkg-buildpackage with dh
# (compat 13, no network); the .deb, its -dbgsym and the .changes/.buildinfo are moved to
# $(BUILD)/, then lintian must report no error and no warning. MAKEFLAGS is dropped so
# that this make's command line (BUILD=...) does not reach the package's own make.
DEB_SRC  := src include conf systemd doc Makefile README.md LICENSE
DEB_TREE := $(BUILD)/deb/dockscale-$(VERSION)
DEB_ARCH  = $(shell dpkg-architecture -qDEB_HOST_ARCH)
deb:
	@v=$$(dpkg-parsechangelog -l conf/debian/changelog -S Version); [ "$$v" = "$(VERSION)" ] || \
		{ echo "conf/debian/changelog is at $$v, the Makefile's VERSION at $(VERSION)" >&2; exit 1; }
	rm -rf $(BUILD)/deb
	mkdir -p $(DEB_TREE)
	cp -a $(DEB_SRC) $(DEB_TREE)/
	cp -a conf/debian $(DEB_TREE)/debian
	cd $(DEB_TREE) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		dpkg-buildpackage -us -uc -b -J$(CHECK_JOBS)
	mv $(BUILD)/deb/dockscale*_$(VERSION)_* $(BUILD)/
	lintian --fail-on error,warning $(BUILD)/dockscale_$(VERSION)_$(DEB_ARCH).changes
	@ls -l $(BUILD)/dockscale_$(VERSION)_$(DEB_ARCH).deb

# The .deb on a fresh Debian 12 booted with systemd-nspawn (tests/packaging/deb-test):
# install, start, reload, dockscalectl, man, purge leaving nothing. Not in `make check`:
# needs the network for debootstrap (the root is cached in $(BUILD)/deb-test) and takes
# minutes.
deb-test: deb
	$(call apt_install,$(DEB_TEST_PACKAGES))
	tests/packaging/deb-test $(BUILD)/dockscale_$(VERSION)_$(DEB_ARCH).deb $(BUILD)/deb-test

clean:
	rm -rf build
