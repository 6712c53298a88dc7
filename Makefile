# vigil -- plain GNU Makefile.  `make` builds build/libvigil.a and build/vigil.
#   make test    install missing deps, build, run all tests (gcc + clang ASan/UBSan,
#                the threaded CLI paths under clang TSan)
#   make demo    install missing deps, build, run the main job on embedded defaults
#   make bench   benchmarks (ratios against baselines run beside them)
#   make fuzz    each libFuzzer target for FUZZ_SECONDS (clang)
#   make eval    detection quality (from issue 5 on)

CC      ?= cc
BUILD   ?= build
SAN     ?=
PKGS    := libisal libpcap zlib sqlite3 libmaxminddb libpsl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lisal -lpcap -lz -lsqlite3 -lmaxminddb -lpsl)

OPT     ?= -O2
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS_ALL := -std=c11 $(WARN) $(OPT) -g -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64 \
              -Iinclude -Ilib $(PKG_CFLAGS) -pthread $(CFLAGS)
LDLIBS_ALL := $(PKG_LIBS) -lm -pthread $(LDLIBS)
ifeq ($(SAN),1)
CFLAGS_ALL += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDLIBS_ALL += -fsanitize=address,undefined
endif
ifeq ($(SAN),thread)
CFLAGS_ALL += -fsanitize=thread -fno-omit-frame-pointer
LDLIBS_ALL += -fsanitize=thread
endif

LIB_SRC  := $(sort $(wildcard lib/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_SRC  := $(sort $(wildcard src/*.c))
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(sort $(wildcard tests/unit/*.c))
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%_replay)

.PHONY: all lib cli tests test demo bench fuzz eval deps clean check-build fuzz-replay
all: $(BUILD)/libvigil.a $(BUILD)/vigil

$(BUILD)/%.o: %.c $(wildcard include/vigil/*.h) $(wildcard lib/*.h) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/libvigil.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/vigil: $(CLI_OBJ) $(BUILD)/libvigil.a
	$(CC) $(CFLAGS_ALL) -o $@ $(CLI_OBJ) $(BUILD)/libvigil.a $(LDLIBS_ALL)

# The unit-test runner: every TEST(name) in tests/unit/*.c, listed by grep.
$(BUILD)/tests/list.h: $(TEST_SRC)
	@mkdir -p $(dir $@)
	@grep -ho '^TEST([a-z0-9_]*)' $(TEST_SRC) | sed 's/^TEST(\(.*\))/X(\1)/' > $@.tmp && mv $@.tmp $@

$(BUILD)/tests/unit/runner.o: tests/unit/runner.c $(BUILD)/tests/list.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -I$(BUILD)/tests -c $< -o $@

$(BUILD)/test_vigil: $(TEST_OBJ) $(BUILD)/libvigil.a
	$(CC) $(CFLAGS_ALL) -o $@ $(TEST_OBJ) $(BUILD)/libvigil.a $(LDLIBS_ALL)

# Fuzz targets built with a plain main() that replays the corpus, so
# `make test` runs every corpus file and every regression input.
$(BUILD)/fuzz/%_replay: fuzz/%.c fuzz/replay_main.c $(BUILD)/libvigil.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< fuzz/replay_main.c $(BUILD)/libvigil.a $(LDLIBS_ALL)

tests: $(BUILD)/test_vigil $(BUILD)/vigil $(FUZZ_REPLAY)

deps:
	@sh scripts/install-deps.sh

test: deps
	@sh scripts/test.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@sh bench/run.sh

fuzz: deps
	@sh scripts/fuzz.sh

eval: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/eval.sh

clean:
	rm -rf build

# --- fuzzing and benchmarks (appended) ---
# Every fuzz target includes fuzz/touch.h (the shared "read every field" code).
$(FUZZ_REPLAY): fuzz/touch.h
