# rmaptrace: `make` builds one static binary; `make test` runs the tests.
ARCH        ?= x86
CLANG       ?= clang
BPFTOOL     ?= bpftool
CC          ?= gcc
OUT         := build
KERNEL      ?= trixie
# The VM matrix `make test` runs; `make test KERNELS=trixie` for quick work.
KERNELS     ?= bullseye bookworm trixie sid

CFLAGS      ?= -O2 -g -Wall -Wextra -Wno-missing-field-initializers -Werror=implicit-function-declaration
USER_CFLAGS := $(CFLAGS) -Ibpf -Iuser -I$(OUT) -D_GNU_SOURCE
BPF_CFLAGS  := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux/$(ARCH) -Ibpf -Wall

# The collector and its reports: plain C, no libbpf, testable anywhere.
COLLECTOR   := user/collector.c user/race.c user/evbuf.c user/record.c user/dot.c user/check.c user/report.c user/ptrmap.c user/groups.c user/forget.c user/nodes.c user/holders.c
TOOL_SRC    := user/rmaptrace.c user/attach.c user/noatomic.c user/proc.c $(COLLECTOR)
BPF_SRC     := $(wildcard bpf/*.bpf.c bpf/*.bpf.h) bpf/rmaptrace.h
HEADERS     := $(wildcard user/*.h) bpf/rmaptrace.h
WORKLOADS   := $(patsubst tests/workloads/%.c,$(OUT)/workloads/%,$(wildcard tests/workloads/*.c))
UNIT_TESTS  := $(patsubst tests/unit/%.c,$(OUT)/unit/%,$(wildcard tests/unit/test_*.c))

# Debian packages the build and the tests need; installed when missing.
DEB_PKGS    := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libzstd-dev \
               qemu-system-x86 busybox-static cpio jq zstd xz-utils file stress-ng \
               graphviz

.PHONY: all deps test unit-test vm-test demo clean fuzz bench soak
all: deps rmaptrace workloads

deps:
	@tests/install-deps $(DEB_PKGS)

rmaptrace: $(OUT)/rmaptrace
	cp $< $@

$(OUT)/rmaptrace.bpf.o: $(BPF_SRC) | $(OUT)
	$(CLANG) $(BPF_CFLAGS) -c bpf/rmaptrace.bpf.c -o $@

$(OUT)/rmaptrace.skel.h: $(OUT)/rmaptrace.bpf.o
	$(BPFTOOL) gen skeleton $< name rmaptrace_bpf > $@

# The same object without cmpxchg, for kernels before 5.12
# (bpf/anon_vma.bpf.h); user/attach.c loads its bytes into the skeleton.
$(OUT)/rmaptrace_noatomic.bpf.o: $(BPF_SRC) | $(OUT)
	$(CLANG) $(BPF_CFLAGS) -DRMAPTRACE_NO_ATOMICS -c bpf/rmaptrace.bpf.c -o $@

$(OUT)/rmaptrace_noatomic.skel.h: $(OUT)/rmaptrace_noatomic.bpf.o
	$(BPFTOOL) gen skeleton $< name rmaptrace_noatomic_bpf > $@

$(OUT)/rmaptrace: $(TOOL_SRC) $(HEADERS) $(OUT)/rmaptrace.skel.h $(OUT)/rmaptrace_noatomic.skel.h
	$(CC) $(USER_CFLAGS) -static $(TOOL_SRC) -o $@ -lbpf -lelf -lz -lzstd

workloads: $(WORKLOADS)
$(OUT)/workloads/%: tests/workloads/%.c tests/workloads/bench_mark.h | $(OUT)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -static $< -o $@

$(OUT)/unit/%: tests/unit/%.c tests/unit/stream.h tests/unit/unit.h $(COLLECTOR) $(HEADERS) | $(OUT)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Itests/unit -fsanitize=address,undefined \
		-fno-omit-frame-pointer $< $(COLLECTOR) user/proc.c -o $@

$(OUT):
	mkdir -p $@

# The recording reader and the collector under libFuzzer (clang), seeded
# with recordings of the kernel model. FUZZ_SECONDS bounds a run.
FUZZ_SECONDS ?= 60
SOAK_RUNS   ?= 20
$(OUT)/fuzz/fuzz_replay: tests/fuzz/fuzz_replay.c $(COLLECTOR) $(HEADERS) | $(OUT)
	@mkdir -p $(@D)
	$(CLANG) -g -O1 $(filter-out -O2 -g,$(USER_CFLAGS)) -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined $< $(COLLECTOR) -o $@
$(OUT)/fuzz/make_seeds: tests/fuzz/make_seeds.c tests/unit/stream.h $(COLLECTOR) $(HEADERS) | $(OUT)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Itests/unit $< $(COLLECTOR) -o $@

# Benchmarks: host programs for the collector, figures from tests/bench/run.
BENCH_BINS  := $(OUT)/bench/gen_storm $(OUT)/bench/bench_collector $(OUT)/bench/floor \
	       $(OUT)/bench/insn_count.so
# A qemu plugin: host code, loaded by qemu-system-x86_64.
$(OUT)/bench/insn_count.so: tests/bench/insn_count.c | $(OUT)
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -fPIC -shared -fvisibility=hidden $< -o $@
$(OUT)/floor.bpf.o: tests/bench/floor.bpf.c | $(OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(OUT)/floor.skel.h: $(OUT)/floor.bpf.o
	$(BPFTOOL) gen skeleton $< name floor_bpf > $@
$(OUT)/bench/floor: tests/bench/floor.c $(OUT)/floor.skel.h | $(OUT)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -static $< -o $@ -lbpf -lelf -lz -lzstd
$(OUT)/bench/%: tests/bench/%.c tests/unit/stream.h $(COLLECTOR) $(HEADERS) | $(OUT)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Itests/unit $< $(COLLECTOR) -o $@

# BENCH_QUICK=1: tiny counts, the figures mean nothing, the code runs.
# BENCH_AGAINST=PATH: another rmaptrace build measured in the same boots.
# BENCH_BOOTS=N: the fork rounds in N boots, their ratios' median (default 3).
bench: all $(BENCH_BINS)
	@tests/bench/run $(if $(BENCH_QUICK),--quick) $(if $(BENCH_AGAINST),--against $(BENCH_AGAINST)) \
		$(if $(BENCH_BOOTS),--boots $(BENCH_BOOTS))

fuzz: $(OUT)/fuzz/fuzz_replay $(OUT)/fuzz/make_seeds
	@tests/run-fuzz $(FUZZ_SECONDS)

unit-test: $(UNIT_TESTS)
	@tests/run-unit $(UNIT_TESTS)

vm-test: all
	@tests/run-vm $(KERNELS)

# Unit tests on the host, then the VM tests on the default kernel.
test: all $(UNIT_TESTS) $(OUT)/fuzz/fuzz_replay $(OUT)/fuzz/make_seeds $(BENCH_BINS)
	@tests/run-all $(KERNELS)

# The concurrency cases SOAK_RUNS times (default 20) per kernel of KERNELS.
soak: all
	@SOAK_RUNS=$(SOAK_RUNS) tests/soak $(KERNELS)

# Boot the default kernel and trace the seeds' story.
demo: all
	tests/vm/run --kernel $(KERNEL) -- rmaptrace --check -- seed_fork

clean:
	rm -rf $(OUT) rmaptrace
