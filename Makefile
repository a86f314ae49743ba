# symdiff — build, test and demo.
#
#   make          builds ./symdiff (and the runtime library)
#   make check    builds and runs the Check test suite
#   make demo     generates a gradient kernel, compiles it, trains with it
#   make asan     the test suite under AddressSanitizer + UBSan
#   make valgrind the test suite under valgrind (no leaks, no errors)
#   make examples builds the programs in examples/
#   make bench    benchmarks (not part of check)
#
# Every target first runs scripts/bootstrap.sh, which installs missing build
# dependencies (bison, flex, check, pkg-config) from Debian's packages.

CC      ?= cc
BUILD   ?= build
OPT     ?= -O2 -g
WARN    := -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wwrite-strings
CFLAGS  ?= $(OPT)
ALL_CFLAGS := -std=c99 -D_POSIX_C_SOURCE=200809L $(WARN) $(CFLAGS) \
              -Isrc -Iruntime -I$(BUILD)
LDLIBS  := -lm

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

LIB_SRC := $(filter-out src/main.c,$(wildcard src/*.c))
GEN_SRC := $(BUILD)/parser.c $(BUILD)/lexer.c
LIB_OBJ := $(patsubst src/%.c,$(BUILD)/src/%.o,$(LIB_SRC)) \
           $(BUILD)/gen/parser.o $(BUILD)/gen/lexer.o
RT_SRC  := $(wildcard runtime/*.c)
RT_OBJ  := $(patsubst runtime/%.c,$(BUILD)/runtime/%.o,$(RT_SRC))
TEST_SRC := $(wildcard tests/check_*.c)
TEST_OBJ := $(patsubst tests/%.c,$(BUILD)/tests/%.o,$(TEST_SRC)) $(BUILD)/tests/testrun.o

.PHONY: all deps check asan valgrind demo examples bench clean format fuzz

# The command-line tool is built in $(BUILD); the default build also leaves
# a copy at ./symdiff.
BIN := $(BUILD)/symdiff

all: deps $(BIN) $(BUILD)/libsymdiff_rt.a
ifeq ($(BUILD),build)
all: symdiff
endif

deps:
	@sh scripts/bootstrap.sh

$(BIN): $(BUILD)/src/main.o $(BUILD)/libsymdiff.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

symdiff: build/symdiff
	cp build/symdiff $@

$(BUILD)/libsymdiff.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libsymdiff_rt.a: $(RT_OBJ)
	rm -f $@ && ar rcs $@ $^

# --- the grammar: Bison and Flex generate into $(BUILD) ---------------------
$(BUILD)/parser.c $(BUILD)/parser.h: grammar/parser.y | $(BUILD)
	bison -Wall -Werror --defines=$(BUILD)/parser.h -o $(BUILD)/parser.c $<

$(BUILD)/lexer.c $(BUILD)/lexer.h: grammar/lexer.l $(BUILD)/parser.h | $(BUILD)
	flex --header-file=$(BUILD)/lexer.h -o $(BUILD)/lexer.c $<

# Generated code is compiled with the same warnings, less the two that
# Flex's skeleton trips over.
GEN_CFLAGS := $(ALL_CFLAGS) -Wno-unused-function -Wno-sign-compare \
              -Wno-missing-prototypes
$(BUILD)/gen/%.o: $(BUILD)/%.c $(BUILD)/parser.h $(BUILD)/lexer.h | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(GEN_CFLAGS) -c -o $@ $<

$(BUILD)/src/%.o: src/%.c $(wildcard src/*.h src/*.def) $(BUILD)/parser.h $(BUILD)/lexer.h | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DSYMDIFF_VERSION='"$(VERSION)"' -c -o $@ $<

$(BUILD)/runtime/%.o: runtime/%.c $(wildcard runtime/*.h) | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD):
	@mkdir -p $(BUILD)

# --- tests: one Check suite per module, one runner ---------------------------
# Expanded when used (after `deps` has installed Check), not when read.
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

# The runner's list of suites is made from the file names: tests/check_foo.c
# defines `Suite *foo_suite(void)`.
$(BUILD)/tests/suites.h: $(TEST_SRC) | $(BUILD)
	@mkdir -p $(dir $@)
	@for f in $(TEST_SRC); do n=$${f#tests/check_}; echo "SUITE($${n%.c})"; done > $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

$(BUILD)/tests/%.o: tests/%.c tests/testutil.h tests/testrun.h $(wildcard src/*.h runtime/*.h) $(BUILD)/parser.h | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests -c -o $@ $<

$(BUILD)/tests/runner.o: tests/runner.c $(BUILD)/tests/suites.h tests/testutil.h | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests -I$(BUILD)/tests -c -o $@ $<

$(BUILD)/check_symdiff: $(BUILD)/tests/runner.o $(TEST_OBJ) $(BUILD)/libsymdiff.a $(BUILD)/libsymdiff_rt.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

check: deps $(BIN) $(BUILD)/libsymdiff_rt.a $(BUILD)/check_symdiff
	SYMDIFF=$(BIN) BUILD=$(BUILD) $(BUILD)/check_symdiff
	@# the code must also be warning-free under clang
	@if [ "$(BUILD)" = build ] && command -v clang >/dev/null 2>&1; then \
	  echo "warning check with clang"; \
	  $(MAKE) -s --no-print-directory BUILD=build-clang CC=clang OPT=-O0 \
	    build-clang/symdiff build-clang/libsymdiff_rt.a build-clang/check_symdiff; fi
ifeq ($(BUILD),build)
check: symdiff
endif

# The same suite, rebuilt with sanitizers in its own build directory.
asan: deps
	$(MAKE) --no-print-directory BUILD=build-asan \
	  OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  check

valgrind: deps $(BIN) $(BUILD)/check_symdiff
	CK_FORK=no SYMDIFF=$(BIN) BUILD=$(BUILD) valgrind --error-exitcode=1 \
	  --leak-check=full --errors-for-leak-kinds=all -q $(BUILD)/check_symdiff

# libFuzzer (clang) over the whole pipeline, with ASan and UBSan.
FUZZ_SECONDS ?= 60
FUZZ_DIR := build-fuzz
fuzz: deps
	$(MAKE) --no-print-directory BUILD=$(FUZZ_DIR) CC=clang \
	  OPT="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
	  $(FUZZ_DIR)/libsymdiff.a
	clang -std=c99 -O1 -g -fsanitize=fuzzer,address,undefined -Isrc -I$(FUZZ_DIR) \
	  -o $(FUZZ_DIR)/fuzz_pipeline tests/fuzz/fuzz_pipeline.c $(FUZZ_DIR)/libsymdiff.a -lm
	mkdir -p $(FUZZ_DIR)/corpus
	$(FUZZ_DIR)/fuzz_pipeline -max_total_time=$(FUZZ_SECONDS) -max_len=512 -timeout=10 \
	  -rss_limit_mb=2048 -dict=tests/fuzz/dict.txt $(FUZZ_DIR)/corpus tests/fuzz/corpus

demo: all
	@sh examples/demo.sh

examples: all
	@$(MAKE) --no-print-directory -C examples

bench: all
	@sh bench/run.sh

format:
	clang-format -i src/*.c src/*.h runtime/*.c runtime/*.h tests/*.c tests/*.h

clean:
	rm -rf build build-asan build-fuzz symdiff
