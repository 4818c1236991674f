# swarm — build, test, bench, install.
#
#   make deps      install every build/test dependency (Debian packages)
#   make           build build/swarm, build/swarm-trace, build/swarm-core and
#                  the library build/lib/libswarm.{so.0,a}
#   make test      build and run every test (unit, BPF, end-to-end)
#   make demo      run a swarm of the built-in demo agent and print its report
#   make bench     quick benchmark pass against the reference-protocol baseline
#   make asan      unit tests under ASan+UBSan
#   make vmlinux   regenerate vmlinux/<arch>/vmlinux.h from the running kernel
#   make install PREFIX=/usr/local [DESTDIR=...] [LIBDIR=$(PREFIX)/lib/<multiarch>]
#   make uninstall (same variables) removes exactly what install put there
#
# V=1 shows full commands.

BUILD    ?= build
# One spelling per build dir: the -MMD files name their object as given,
# so `make BUILD=$PWD/build` (install.sh, bench/run) and `make` must mean
# the same targets, or header changes stop rebuilding what includes them.
override BUILD := $(patsubst $(CURDIR)/%,%,$(abspath $(BUILD)))
PREFIX   ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
# swarm finds swarm-core in ../libexec/swarm from its own directory.
LIBEXECDIR ?= $(PREFIX)/libexec
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/vendor-completions
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
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

# One folder per concern under user/ (docs/architecture.md); a module's
# header sits beside its code, so every folder is on the include path. The
# public header is include/swarm/swarm.h; structs shared with BPF are in bpf/.
USER_DIRS   := $(sort $(patsubst %/,%,$(dir $(wildcard user/*/*.c user/*/*.h))))
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude \
	$(addprefix -I,$(USER_DIRS)) -Ibpf -I$(BUILD)
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

# One BPF object for every signal: bpf/swarm.bpf.c includes each signal's
# bpf/X.bpf.c, so the tracer loads one skeleton and the kernel BTF once.
BPF_SRCS  := $(wildcard bpf/*.bpf.c)
# BPF code that reaches <asm/...> finds it where Debian keeps it per arch.
MULTIARCH := $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -dumpmachine)
BPF_OBJS  := $(BUILD)/bpf/swarm.bpf.o
BPF_SKELS := $(BUILD)/swarm.skel.h

# Everything in user/ is library code except the CLI front ends. Two
# binaries: build/swarm, the commands agents call (bus only, libc only:
# FRONT_LDLIBS), and build/swarm-core, which the front execs for the
# commands that coordinate.
FRONT_SRCS := user/cli/main.c $(addprefix user/cli/cmd_,init.c send.c recv.c ls.c ctl.c gc.c demo_agent.c top.c)
CORE_SRCS  := user/cli/core_main.c $(addprefix user/cli/cmd_,run.c coordinator.c soak.c doctor.c demo_agent.c)
CLI_SRCS  := $(sort $(FRONT_SRCS) $(CORE_SRCS))
LIB_SRCS  := $(filter-out $(CLI_SRCS),$(wildcard user/*/*.c))
LIB_OBJS  := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
FRONT_OBJS := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(FRONT_SRCS))
CORE_OBJS  := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(CORE_SRCS))
FRONT_LDLIBS := -lpthread
# The front is linked statically where libc.a is installed (libc6-dev, which
# the build needs anyway): an agent makes thousands of these calls, and a
# static exec maps one file and relocates nothing -- 0.80-0.84x the time of
# the dynamic one on our hosts, under /bin/true's (bench/trace_cost.sh, exec).
# Sanitizer runtimes need the dynamic loader; `make STATIC_FRONT=0` opts out.
STATIC_FRONT ?= $(if $(findstring -fsanitize,$(CFLAGS) $(LDFLAGS)),0,$(if \
	$(wildcard $(shell $(CC) -print-file-name=libc.a)),1,0))
FRONT_LDFLAGS := $(if $(filter 1,$(STATIC_FRONT)),-static,-Wl,--as-needed)
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
.PHONY: FORCE all deps test unit-test bpf-test e2e-test demo bench asan vmlinux install uninstall clean lib man

all: $(BINS) $(LIBEXEC_BINS) $(BUILD)/libswarm.a lib man

deps:
	$(Q)tools/deps.sh

$(BUILD)/obj $(BUILD)/bpf $(BUILD)/tests:
	$(Q)mkdir -p $@

# --- BPF: .bpf.c -> .bpf.o -> .skel.h --------------------------------------
$(BUILD)/bpf/swarm.bpf.o: $(BPF_SRCS) $(wildcard bpf/*.h) vmlinux/$(ARCH)/vmlinux.h | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
		-Ibpf -Ivmlinux/$(ARCH) -idirafter /usr/include/$(MULTIARCH) -c bpf/swarm.bpf.c -o $@
	$(Q)llvm-strip -g $@ 2>/dev/null || true

$(BUILD)/swarm.skel.h: $(BUILD)/bpf/swarm.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name swarm_bpf > $@

# The kernel BTF cut to what the object relocates against, with the
# kernel's identity (/sys/kernel/notes holds its build id): libbpf's CO-RE
# search over the whole kernel BTF is ~15 ms of every load, and on this
# same kernel the tracer skips it (user/trace/trace_btf.c). Without a kernel
# BTF here both files are empty and the tracer does the full search.
KBTF := /sys/kernel/btf/vmlinux
$(BUILD)/swarm.min.btf: $(BUILD)/bpf/swarm.bpf.o
	$(call msg,BTFGEN,$@)
	$(Q)if [ -r $(KBTF) ] && [ -r /sys/kernel/notes ] && \
		$(BPFTOOL) gen min_core_btf $(KBTF) $@ $< 2>/dev/null; then \
		cat /sys/kernel/notes > $(BUILD)/kernel.notes; \
	else : > $@; : > $(BUILD)/kernel.notes; fi

$(BUILD)/obj/trace/trace_btf.o: $(BUILD)/swarm.min.btf
$(BUILD)/obj/trace/trace_btf.o: ALL_CFLAGS += -DTRACE_BTF_DIR='"$(BUILD)"'

# --- user space --------------------------------------------------------------
# -MMD: every object also depends on the private headers it includes.
$(BUILD)/obj/%.o: user/%.c | $(BUILD)/obj $(BPF_SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/swarm-trace.o: tools/swarm-trace.c | $(BUILD)/obj $(BPF_SKELS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libswarm.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# --- the library users link: build/lib/libswarm.so.N and libswarm.a --------
# build/libswarm.a above is the internal archive of the binaries and tests.
# The installed library is only the bus and its public wrapper
# (user/lib/swarm_api.c, header include/swarm/swarm.h), compiled -fPIC with
# hidden visibility. The .so exports swarm_* alone (version script
# user/lib/libswarm.map); the .a holds one relocatable object whose other
# symbols are made local, so a static link does not see the internals
# either. libc (and libpthread on old glibc) is all it needs.
SOVERSION   := 0
LIB_VERSION := $(shell sed 's/[^0-9.].*//' VERSION)
LIB_REAL    := libswarm.so.$(LIB_VERSION)
API_SRCS := user/lib/swarm_api.c user/cli/cli_util.c \
	$(addprefix user/bus/,bus.c bus_frame.c bus_inbox.c bus_owner.c bus_recv.c bus_send.c bus_wait.c) \
	$(addprefix user/base/,crc32.c util.c fault.c priv_fs.c caps.c)
API_OBJS := $(patsubst user/%.c,$(BUILD)/pic/%.o,$(API_SRCS))
LIB_OUT  := $(BUILD)/lib/$(LIB_REAL) $(BUILD)/lib/libswarm.so.$(SOVERSION) \
	$(BUILD)/lib/libswarm.so $(BUILD)/lib/libswarm.a

lib: $(LIB_OUT)

$(BUILD)/pic $(BUILD)/lib $(BUILD)/man:
	$(Q)mkdir -p $@

$(BUILD)/pic/%.o: user/%.c | $(BUILD)/pic
	$(call msg,CC-PIC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -MMD -MP -c $< -o $@

$(BUILD)/lib/$(LIB_REAL): $(API_OBJS) user/lib/libswarm.map | $(BUILD)/lib
	$(call msg,LINK-SO,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -shared -Wl,-soname,libswarm.so.$(SOVERSION) \
		-Wl,--version-script=user/lib/libswarm.map $(API_OBJS) -lpthread -o $@

$(BUILD)/lib/libswarm.so.$(SOVERSION) $(BUILD)/lib/libswarm.so: $(BUILD)/lib/$(LIB_REAL)
	$(Q)ln -sf $(LIB_REAL) $@

$(BUILD)/lib/libswarm.a: $(API_OBJS) | $(BUILD)/lib
	$(call msg,AR,$@)
	$(Q)$(LD) -r -o $(BUILD)/lib/libswarm.o $(API_OBJS)
	$(Q)objcopy --localize-hidden $(BUILD)/lib/libswarm.o
	$(Q)rm -f $@ && ar rcs $@ $(BUILD)/lib/libswarm.o && rm -f $(BUILD)/lib/libswarm.o

# Man pages carry the version of the build (@VERSION@ in man/).
MAN_SRCS := $(wildcard man/*.[1-8])
MAN_OUT  := $(patsubst man/%,$(BUILD)/man/%,$(MAN_SRCS))
man: $(MAN_OUT)
$(BUILD)/man/%: man/% VERSION | $(BUILD)/man
	$(Q)sed 's/@VERSION@/$(VERSION)/g' $< > $@

# Dynamic (STATIC_FRONT=0): --as-needed, a library the front does not call
# is not even loaded.
$(BUILD)/swarm: $(FRONT_OBJS) $(BUILD)/libswarm.a $(BUILD)/front.link
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(FRONT_LDFLAGS) $(filter-out %.link,$^) $(FRONT_LDLIBS) -o $@

# Rewritten only when the front's link flags change, so that flipping
# STATIC_FRONT relinks it.
$(BUILD)/front.link: FORCE
	$(Q)mkdir -p $(@D); echo '$(FRONT_LDFLAGS)' | cmp -s - $@ || echo '$(FRONT_LDFLAGS)' > $@
FORCE:

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

# tools/delayproxy.c (libc only): the delay and partition the NATS netns
# tests put between each "host" and nats-server (no sch_netem here).
$(BUILD)/delayproxy: tools/delayproxy.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< -o $@

test-bins: $(UNIT_BINS) $(BPFT_BINS) $(HELPER_BINS) $(BENCH_BINS) $(BUILD)/delayproxy

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

# What a Debian packager expects: bin/, libexec/swarm/, lib/ (LIBDIR may be
# lib/<multiarch>), include/swarm/, lib/pkgconfig/, share/man/man1 + man7,
# share/bash-completion/completions, share/zsh/vendor-completions.
# uninstall removes these files and only the directories that are ours.
MAN1 := $(filter %.1,$(MAN_OUT))
MAN7 := $(filter %.7,$(MAN_OUT))
COMPLETIONS := completions/swarm.bash completions/swarm-trace.bash completions/_swarm

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)/swarm $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(INCLUDEDIR)/swarm \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/
	install -m 0755 $(LIBEXEC_BINS) $(DESTDIR)$(LIBEXECDIR)/swarm/
	install -m 0644 $(BUILD)/lib/$(LIB_REAL) $(BUILD)/lib/libswarm.a $(DESTDIR)$(LIBDIR)/
	ln -sf $(LIB_REAL) $(DESTDIR)$(LIBDIR)/libswarm.so.$(SOVERSION)
	ln -sf libswarm.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libswarm.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		user/lib/libswarm.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/libswarm.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/libswarm.pc
	install -m 0644 include/swarm/swarm.h $(DESTDIR)$(INCLUDEDIR)/swarm/
	install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(MAN7) $(DESTDIR)$(MANDIR)/man7/
	install -m 0644 completions/swarm.bash $(DESTDIR)$(BASHCOMPDIR)/swarm
	install -m 0644 completions/swarm-trace.bash $(DESTDIR)$(BASHCOMPDIR)/swarm-trace
	install -m 0644 completions/_swarm $(DESTDIR)$(ZSHCOMPDIR)/_swarm

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(BINS)))
	rm -f $(addprefix $(DESTDIR)$(LIBEXECDIR)/swarm/,$(notdir $(LIBEXEC_BINS)))
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,$(LIB_REAL) libswarm.so.$(SOVERSION) libswarm.so libswarm.a)
	rm -f $(DESTDIR)$(PKGCONFIGDIR)/libswarm.pc $(DESTDIR)$(INCLUDEDIR)/swarm/swarm.h
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(MAN7)))
	rm -f $(DESTDIR)$(BASHCOMPDIR)/swarm $(DESTDIR)$(BASHCOMPDIR)/swarm-trace
	rm -f $(DESTDIR)$(ZSHCOMPDIR)/_swarm
	-rmdir $(DESTDIR)$(LIBEXECDIR)/swarm $(DESTDIR)$(INCLUDEDIR)/swarm 2>/dev/null

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/obj/*/*.d $(BUILD)/pic/*/*.d $(BUILD)/tests/*.d)

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

