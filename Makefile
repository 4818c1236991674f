# swarm — build, test, bench, install.
#
#   make deps      install every build/test dependency (Debian packages)
#   make           build build/swarm, build/swarm-trace, build/libswarm.a
#   make test      build and run every test (unit, BPF, end-to-end)
#   make demo      run a swarm of the built-in demo agent and print its report
#   make bench     quick benchmark pass against the reference-protocol baseline
#   make asan      unit tests under ASan+UBSan
#   make vmlinux   regenerate vmlinux/<arch>/vmlinux.h from the running kernel
#   make install PREFIX=/usr/local
#
# V=1 shows full commands.

BUILD    ?= build
PREFIX   ?= /usr/local
CC       ?= cc
CLANG    ?= clang
BPFTOOL  ?= bpftool
ARCH     := x86

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# One version for every binary, the library, its .pc and the man pages.
VERSION  := $(shell tools/version.sh)
_        := $(shell tools/version.sh --header $(BUILD)/version.h)

CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -I$(BUILD)
CFLAGS   ?= -O2 -g
ALL_CFLAGS = $(CFLAGS_BASE) $(CFLAGS)
# libbpf static, libelf/zlib dynamic: what bcc's libbpf-tools do.
LDLIBS   := -Wl,-Bstatic -lbpf -Wl,-Bdynamic -lelf -lz -lcap-ng -lpthread

# --- optional: NATS (libnats) for the coordinator mesh across hosts ----------
# Detected with pkg-config; `make HAVE_NATS=0` builds without it (then
# `--bus nats://...` says the build lacks NATS support).
HAVE_NATS ?= $(shell pkg-config --exists libnats 2>/dev/null && echo 1)
ifeq ($(HAVE_NATS),1)
CFLAGS_BASE += -DHAVE_NATS $(shell pkg-config --cflags libnats)
LDLIBS      += $(shell pkg-config --libs libnats)
endif
# ------------------------------------------------------------------------------

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

# Everything in user/ is library code except the CLI front ends. Two
# binaries: build/swarm, the commands agents call (bus only, libc only:
# FRONT_LDLIBS), and build/swarm-core, which the front execs for the
# commands that coordinate.
FRONT_SRCS := user/main.c $(addprefix user/cmd_,init.c send.c recv.c ls.c ctl.c gc.c demo_agent.c)
CORE_SRCS  := user/core_main.c $(addprefix user/cmd_,run.c coordinator.c soak.c doctor.c demo_agent.c)
CLI_SRCS  := $(sort $(FRONT_SRCS) $(CORE_SRCS))
LIB_SRCS  := $(filter-out $(CLI_SRCS),$(wildcard user/*.c))
LIB_OBJS  := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
FRONT_OBJS := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(FRONT_SRCS))
CORE_OBJS  := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(CORE_SRCS))
FRONT_LDLIBS := -lpthread
TRACE_OBJS := $(BUILD)/obj/swarm-trace.o

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
BPFT_SRCS := $(wildcard tests/bpf/test_*.c)
BPFT_BINS := $(patsubst tests/bpf/%.c,$(BUILD)/tests/%,$(BPFT_SRCS))
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(patsubst tests/helpers/%.c,$(BUILD)/tests/%,$(HELPER_SRCS))
# Benchmark programs: bench/X.c + the shared bench/lib/*.c -> build/bench/X.
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_LIB  := $(wildcard bench/lib/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

BINS := $(BUILD)/swarm $(if $(wildcard tools/swarm-trace.c),$(BUILD)/swarm-trace)
LIBEXEC_BINS := $(BUILD)/swarm-core

.DELETE_ON_ERROR:
# Keep the BPF objects: they are inputs of the skeletons, not litter.
.SECONDARY: $(BPF_OBJS)
.PHONY: all deps test unit-test bpf-test e2e-test demo bench asan vmlinux install clean

all: $(BINS) $(LIBEXEC_BINS) $(BUILD)/libswarm.a

deps:
	$(Q)tools/deps.sh

$(BUILD)/obj $(BUILD)/bpf $(BUILD)/tests:
	$(Q)mkdir -p $@

# --- BPF: .bpf.c -> .bpf.o -> .skel.h --------------------------------------
$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard include/*.h bpf/*.h) vmlinux/$(ARCH)/vmlinux.h | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
		-Iinclude -Ivmlinux/$(ARCH) -c $< -o $@
	$(Q)llvm-strip -g $@ 2>/dev/null || true

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(notdir $*)_bpf > $@

# --- user space --------------------------------------------------------------
# -MMD: every object also depends on the private headers it includes.
$(BUILD)/obj/%.o: user/%.c | $(BUILD)/obj $(BPF_SKELS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/swarm-trace.o: tools/swarm-trace.c | $(BUILD)/obj $(BPF_SKELS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libswarm.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# --as-needed: a library the front does not call is not even loaded.
$(BUILD)/swarm: $(FRONT_OBJS) $(BUILD)/libswarm.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -Wl,--as-needed $^ $(FRONT_LDLIBS) -o $@

$(BUILD)/swarm-core: $(CORE_OBJS) $(BUILD)/libswarm.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/swarm-trace: $(TRACE_OBJS) $(BUILD)/libswarm.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# --- tests ---------------------------------------------------------------------
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libswarm.a | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP $< $(BUILD)/libswarm.a -lcmocka $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/bpf/%.c $(BUILD)/libswarm.a | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP $< $(BUILD)/libswarm.a -lcmocka $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/helpers/%.c $(BUILD)/libswarm.a | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP $< $(BUILD)/libswarm.a $(LDLIBS) -o $@

test: deps
	$(Q)$(MAKE) --no-print-directory all test-bins
	$(Q)tests/run.sh $(BUILD)

$(BUILD)/bench/%: bench/%.c $(BENCH_LIB) $(wildcard bench/lib/*.h) $(BUILD)/libswarm.a
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -Ibench/lib $< $(BENCH_LIB) $(BUILD)/libswarm.a $(LDLIBS) -o $@

test-bins: $(UNIT_BINS) $(BPFT_BINS) $(HELPER_BINS) $(BENCH_BINS)

unit-test: all test-bins
	$(Q)tests/run.sh $(BUILD) unit

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(BUILD)/swarm run -n 100 -- $(BUILD)/swarm demo-agent

bench: deps
	$(Q)$(MAKE) --no-print-directory all test-bins
	$(Q)BUILD=$(BUILD) bench/run --quick

# Sanitizer build in its own tree so it never mixes with the normal objects.
asan:
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan CC=clang \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" all test-bins
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		tests/run.sh build-asan unit

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/libexec/swarm
	install -m 0755 $(LIBEXEC_BINS) $(DESTDIR)$(PREFIX)/libexec/swarm/
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/swarm
	install -m 0644 $(BUILD)/libswarm.a $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 include/*.h $(DESTDIR)$(PREFIX)/include/swarm/
	if [ -d man ]; then install -d $(DESTDIR)$(PREFIX)/share/man/man1 && \
		install -m 0644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/; fi

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/tests/*.d)

clean:
	rm -rf $(BUILD) build-asan build-fuzz build-tsan

# --- hardening: fuzzing, thread sanitizer, fault campaign ---------------------
#   make fuzz FUZZ_SECONDS=N   build libFuzzer harnesses in build-fuzz/, run each N s
#   make tsan                  threaded unit tests under ThreadSanitizer (build-tsan/)
#   make fault-campaign        the long SIGKILL/ENOSPC/EMFILE/full-inbox campaign
#   make asan-e2e              end-to-end tests against the ASan+UBSan build
FUZZ_SECONDS ?= 10
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
.PHONY: fuzz fuzz-bins tsan fault-campaign asan-e2e

$(BUILD)/fuzz:
	$(Q)mkdir -p $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/libswarm.a | $(BUILD)/fuzz
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer $< $(BUILD)/libswarm.a $(LDLIBS) -o $@

fuzz-bins: $(FUZZ_BINS)

fuzz:
	$(Q)$(MAKE) --no-print-directory BUILD=build-fuzz CC=$(CLANG) \
		CFLAGS="-O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link" \
		LDFLAGS="$(FUZZ_SAN)" fuzz-bins
	$(Q)tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

tsan:
	$(Q)$(MAKE) --no-print-directory BUILD=build-tsan CC=$(CLANG) \
		CFLAGS="-O1 -g -fsanitize=thread -fno-omit-frame-pointer" \
		LDFLAGS="-fsanitize=thread" all test-bins
	$(Q)TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 tests/tsan.sh build-tsan

# Sanitizer reports abort the process, which every e2e script treats as a
# failure (an unexpected exit code); leaks fail the same way at exit.
asan-e2e:
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan CC=clang \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" all test-bins
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		tests/run.sh build-asan e2e

fault-campaign: all test-bins
	$(Q)tests/fault/campaign.sh --long $(BUILD)

# These include the CLI sources to reach their static parsers.
$(BUILD)/tests/test_cli_parse $(BUILD)/fuzz/fuzz_cli: user/cmd_send.c user/cmd_recv.c
