# husk build. Sources are picked up by directory, so a new file in a module
# directory needs no edit here.
#   make            build/husk, build/containerd-shim-husk-v2
#   make check      unit tests (cmocka)
#   make SAN=1      the same under ASan+UBSan, in build-asan/
CC ?= cc
ifeq ($(SAN),1)
BUILD ?= build-asan
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer
OPT = -O1 -g
else
BUILD ?= build
SANFLAGS =
OPT = -O2 -g
endif

PKGS = json-c libseccomp libcap
CFLAGS ?= $(OPT)
CFLAGS += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE -Isrc -I$(BUILD)/gen \
          $(shell pkg-config --cflags $(PKGS)) $(SANFLAGS) -fstack-protector-strong
LDFLAGS += $(SANFLAGS)
LIBS = $(shell pkg-config --libs $(PKGS))

LIB_SRCS = $(wildcard src/util/*.c src/oci/*.c src/linux/*.c src/linux/cgroups/*.c src/container/*.c)
CLI_SRCS = $(wildcard src/cli/*.c)
SHIM_SRCS = $(wildcard src/shim/*.c)
PROTOS = $(wildcard src/shim/proto/*.proto)
PROTO_C = $(patsubst src/shim/proto/%.proto,$(BUILD)/gen/shim/proto/%.pb-c.c,$(PROTOS))
UNIT_SRCS = $(wildcard tests/unit/test_*.c)

LIB_OBJS = $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
CLI_OBJS = $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRCS))
SHIM_OBJS = $(patsubst %.c,$(BUILD)/obj/%.o,$(SHIM_SRCS)) $(patsubst %.c,%.o,$(PROTO_C))
UNIT_BINS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

# Static links (not under sanitizers): one shim lives per container, and
# without shared-library mappings an idle one stays under 1 MiB of RSS.
STATIC_LINK = $(if $(filter 1,$(SAN)),,-static-pie -Wl,--gc-sections)

all: $(BUILD)/husk $(if $(SHIM_SRCS),$(BUILD)/containerd-shim-husk-v2)

$(BUILD)/libhusk.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

# husk links statically too: every `run` execs it twice (the second time
# from the sealed copy, see linux/sealed.c), and without the dynamic loader
# and shared-library mappings that is ~25% less CPU and ~40% less RSS.
# (libjson-c.a, libseccomp.a and libcap.a come with the -dev packages.)
$(BUILD)/husk: $(CLI_OBJS) $(BUILD)/libhusk.a
	$(CC) $(LDFLAGS) $(STATIC_LINK) -o $@ $(CLI_OBJS) $(BUILD)/libhusk.a $(LIBS)

$(BUILD)/containerd-shim-husk-v2: $(SHIM_OBJS) $(BUILD)/libhusk.a
	$(CC) $(LDFLAGS) $(STATIC_LINK) -o $@ $(SHIM_OBJS) $(BUILD)/libhusk.a -lprotobuf-c

$(BUILD)/gen/shim/proto/%.pb-c.c $(BUILD)/gen/shim/proto/%.pb-c.h: src/shim/proto/%.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --proto_path=src --c_out=$(BUILD)/gen $<

$(BUILD)/gen/shim/proto/%.pb-c.o: $(BUILD)/gen/shim/proto/%.pb-c.c
	$(CC) $(CFLAGS) -Wno-unused-parameter -c -o $@ $<

$(SHIM_OBJS): $(PROTO_C)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libhusk.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libhusk.a $(LIBS) -lcmocka $(LDFLAGS)

# Every binary runs even when one fails; the target fails at the end.
check: $(UNIT_BINS)
	@rc=0; for t in $(UNIT_BINS); do echo "== $$t"; $$t || rc=1; done; exit $$rc

clean:
	rm -rf build build-asan

format:
	clang-format -i $(shell find src tests/unit bench -name '*.[ch]')

# cppcheck cannot see __attribute__((cleanup)), so every cleanup_free /
# cleanup_close variable looks leaked to it: leak checks are left to
# ASan/LSan in `make SAN=1 check`.
lint:
	cppcheck --quiet --enable=warning,performance,portability --inline-suppr \
	  --suppress=missingIncludeSystem --suppress=memleak --suppress=resourceLeak \
	  --suppress=leakNoVarFunctionCall -Isrc -I$(BUILD)/gen --error-exitcode=1 src bench

.PHONY: all check clean format lint
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
