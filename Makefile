# SPDX-License-Identifier: MIT
# symdiff — build, test and demo.
#
#   make          builds ./symdiff (and the runtime library)
#   make check    builds and runs the Check test suite, checks the build with
#                 clang, and runs the suite again under ASan + UBSan
#   make test     the unit suites alone (no C compiler, no sanitizer build)
#   make demo     generates a gradient kernel, compiles it, trains with it
#   make asan     the test suite under AddressSanitizer + UBSan
#   make valgrind the test suite under valgrind (no leaks, no errors)
#   make fuzz     the libFuzzer harnesses of tests/fuzz, FUZZ_SECONDS each
#   make oom      allocation-failure injection, every allocation in turn
#   make examples builds the programs in examples/
#   make bench    benchmarks (not part of check)
#   make install  installs the tool, the libraries, headers, man pages and
#                 the pkg-config, Make and CMake files (PREFIX, DESTDIR, ...);
#                 make uninstall removes them
#   make web      the browser playground in web/dist/ (make check-web: its
#                 test in Chromium, part of check where Chromium installs)
#
# check, test, demo, examples, asan, tsan, valgrind, oom, fuzz and bench
# first run scripts/bootstrap.sh, which installs missing build dependencies
# (bison, flex, check, pkg-config, cmake, groff, man-db) from Debian's
# packages.
# Plain `make` and `make install` install no packages.

CC      ?= cc
BUILD   ?= build
OPT     ?= -O2 -g
WARN    := -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wwrite-strings
CFLAGS  ?= $(OPT)
ALL_CFLAGS := -std=c99 -D_POSIX_C_SOURCE=200809L $(WARN) $(CFLAGS) -include src/sdprefix.h \
              -Isrc -Iruntime -I$(BUILD)
# Position-independent code: the same objects make libsymdiff.a and
# libsymdiff.so (and the runtime can be linked into shared objects).
ALL_CFLAGS += -fPIC -fno-semantic-interposition
LDLIBS  := -lm

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
# VERSION plus the git commit when built from a checkout (scripts/version.sh):
# sd_version(), `symdiff --version` and generated headers show it.
FULL_VERSION := $(shell sh scripts/version.sh 2>/dev/null || echo $(VERSION))

LIB_SRC := $(filter-out src/main.c,$(wildcard src/*.c))
GEN_SRC := $(BUILD)/parser.c $(BUILD)/lexer.c
LIB_OBJ := $(patsubst src/%.c,$(BUILD)/src/%.o,$(LIB_SRC)) \
           $(BUILD)/gen/parser.o $(BUILD)/gen/lexer.o
RT_SRC  := $(wildcard runtime/*.c)
RT_OBJ  := $(patsubst runtime/%.c,$(BUILD)/runtime/%.o,$(RT_SRC))
TEST_SRC := $(wildcard tests/check_*.c)
TEST_OBJ := $(patsubst tests/%.c,$(BUILD)/tests/%.o,$(TEST_SRC)) $(BUILD)/tests/testrun.o \
            $(BUILD)/tests/testutil.o $(BUILD)/tests/fuzz/exprgen.o

.PHONY: all deps check test asan tsan valgrind demo examples bench clean format fuzz oom

# The command-line tool is built in $(BUILD); the default build also leaves
# a copy at ./symdiff.
BIN := $(BUILD)/symdiff

all: $(BIN) $(BUILD)/libsymdiff_rt.a
ifeq ($(BUILD),build)
all: symdiff
endif

deps:
	@sh scripts/bootstrap.sh

$(BIN): $(BUILD)/src/main.o $(BUILD)/libsymdiff.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

symdiff: build/symdiff
	cp build/symdiff $@

$(BUILD)/libsymdiff.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libsymdiff_rt.a: $(RT_OBJ)
	rm -f $@ && ar rcs $@ $^

# --- the grammar: Bison and Flex generate into $(BUILD) ---------------------
# One run of Bison (Flex) writes both the .c and the .h: a pattern rule
# with two targets tells make so, and make -j runs it once, not twice at
# the same time into the same files.  (Named below, the four files are
# kept, not removed as intermediates.)
$(BUILD)/%.c $(BUILD)/%.h: grammar/%.y | $(BUILD)
	bison -Wall -Werror --defines=$(BUILD)/$*.h -o $(BUILD)/$*.c $<

$(BUILD)/%.c $(BUILD)/%.h: grammar/%.l $(BUILD)/parser.h | $(BUILD)
	flex --header-file=$(BUILD)/$*.h -o $(BUILD)/$*.c $<

$(GEN_SRC) $(GEN_SRC:.c=.h): | $(BUILD)

# Generated code is compiled with the same warnings, less the two that
# Flex's skeleton trips over.
GEN_CFLAGS := $(ALL_CFLAGS) -Wno-unused-function -Wno-sign-compare \
              -Wno-missing-prototypes
$(BUILD)/gen/%.o: $(BUILD)/%.c $(BUILD)/parser.h $(BUILD)/lexer.h $(wildcard src/*.h src/*.def) | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(GEN_CFLAGS) -c -o $@ $<

$(BUILD)/src/%.o: src/%.c $(wildcard src/*.h src/*.def) $(BUILD)/parser.h $(BUILD)/lexer.h | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(VERSION_CFLAGS) -c -o $@ $<

# The fixed parts of the programs symdiff generates (src/templates/*.c, real
# C) become $(BUILD)/templates.h: `static const char *const template_NAME[]`,
# the file's lines after its opening comment (licence and contract), each a
# string literal (C99 promises literals of 4095 bytes only), NULL at the end.
TEMPLATES := $(wildcard src/templates/*.c)
$(BUILD)/templates.h: $(TEMPLATES) | $(BUILD)
	@for f in $(TEMPLATES); do \
	    echo "static const char *const template_$$(basename $$f .c)[] = {"; \
	    sed -e '1,/^ \*\/$$/d' -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/??/?\\?/g' \
	        -e 's/^/    "/' -e 's/$$/\\n",/' $$f; \
	    echo "    NULL};"; \
	done > $@.tmp && mv $@.tmp $@
$(BUILD)/src/codegen.o: $(BUILD)/templates.h

# The hashed index of the built-in functions' names (builtins.c), made from
# builtins.def so that the table stays the one list of them.
$(BUILD)/builtin_index.h: src/builtins.def scripts/builtin_index.sh | $(BUILD)
	sh scripts/builtin_index.sh src/builtins.def > $@.tmp && mv $@.tmp $@
$(BUILD)/src/builtins.o: $(BUILD)/builtin_index.h

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

# The program generator of the differential fuzzer, shared with the suite.
$(BUILD)/tests/check_stability.o $(BUILD)/tests/check_gencode.o $(BUILD)/tests/check_facts.o \
  $(BUILD)/tests/fuzz/exprgen.o: tests/fuzz/exprgen.h

$(BUILD)/tests/runner.o: tests/runner.c $(BUILD)/tests/suites.h tests/testutil.h | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests -I$(BUILD)/tests -c -o $@ $<

$(BUILD)/check_symdiff: $(BUILD)/tests/runner.o $(TEST_OBJ) $(BUILD)/libsymdiff.a $(BUILD)/libsymdiff_rt.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

# Each fuzz harness linked with a plain main that replays a corpus: the
# seeds and every past finding in tests/fuzz/corpus run in `make check`.
FUZZERS  := parser pipeline differential
REPLAY   := $(patsubst %,$(BUILD)/replay_%,$(FUZZERS))
$(BUILD)/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/exprgen.c tests/fuzz/exprgen.h \
                   $(BUILD)/libsymdiff.a
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -o $@ tests/fuzz/fuzz_$*.c tests/fuzz/replay.c \
	  $(if $(filter differential,$*),tests/fuzz/exprgen.c) $(BUILD)/libsymdiff.a $(LDLIBS)

# --- make check -------------------------------------------------------------
# `make check` is made of parts that share no files, run at once on JOBS
# cores (`nproc` by default; `make check JOBS=1` runs them one by one):
#   check-here    the tests of one build directory (below)
#   check-clang   the code built warning-free by clang
#   asan, tsan    the suites again under AddressSanitizer + UBSan and the
#                 public interface under ThreadSanitizer (CHECK_ASAN=0
#                 leaves both out)
#   check-install, check-spdx, check-web-if-possible (further below)
# Output of parts that run together interleaves line by line; each suite
# ends with one line naming its build directory (scripts/run-suites.sh).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
ifeq ($(MAKELEVEL),0)
ifneq ($(filter check asan,$(MAKECMDGOALS)),)
MAKEFLAGS += -j$(JOBS)
endif
endif

# The tests of one build directory: every suite (spread over JOBS runner
# processes), the embedding example, the libraries' symbol prefixes, and
# the fuzz corpus replayed through every harness.
check: check-here
check-here: deps $(BIN) $(BUILD)/libsymdiff_rt.a $(BUILD)/check_symdiff $(BUILD)/libfailmalloc.so \
            $(REPLAY) $(BUILD)/embed
	SYMDIFF=$(BIN) BUILD=$(BUILD) sh scripts/run-suites.sh $(BUILD)/check_symdiff $(JOBS)
	@echo "$(BUILD): the embedding example"
	$(BUILD)/embed 'x^2*ln(x^2)' 'x=0.5' | grep -qx '2\*x\*(1 + ln(x^2))'
	@echo "$(BUILD): every global symbol of the libraries has the project's prefix"
	sh scripts/prefix.sh --check $(BUILD)/libsymdiff.a sd_
	sh scripts/prefix.sh --check $(BUILD)/libsymdiff_rt.a sdrt_
	@echo "$(BUILD): fuzz corpus replay"
	$(BUILD)/replay_parser tests/fuzz/corpus
	$(BUILD)/replay_pipeline tests/fuzz/corpus
	$(BUILD)/replay_differential tests/fuzz/corpus/differential

# The code must also be warning-free under clang.
check-clang: deps
	@if command -v clang >/dev/null 2>&1; then \
	  echo "warning check with clang"; \
	  $(MAKE) -s --no-print-directory BUILD=build-clang CC=clang OPT=-O0 \
	    build-clang/symdiff build-clang/libsymdiff_rt.a build-clang/check_symdiff; \
	else echo "check-clang: skipped: clang is not installed"; fi

ifeq ($(BUILD),build)
check: symdiff check-clang
ifneq ($(CHECK_ASAN),0)
check: asan tsan
endif
endif
.PHONY: check-here check-clang

# The unit suites, for a quick answer while working: every suite but those
# that compile C (generated kernels, the examples, installed packages) and
# the allocation-failure sweep; in the rest, SYMDIFF_TEST_NO_CC=1 makes
# have_compiler() answer no, so that their few compile steps are skipped.
# `make check` runs everything.  The runner takes the suites by name.
CC_SUITES   := codegen dist emit_ad emit_alone examples gencode kernels stability
UNIT_SUITES  = $(filter-out $(CC_SUITES) oom,$(patsubst tests/check_%.c,%,$(TEST_SRC)))

test: deps $(BIN) $(BUILD)/check_symdiff
	SYMDIFF=$(BIN) BUILD=$(BUILD) SYMDIFF_TEST_NO_CC=1 sh scripts/run-suites.sh $(BUILD)/check_symdiff $(JOBS) \
	  $(UNIT_SUITES)

# The public interface under ThreadSanitizer: its suite (two programs on two
# threads at once) built with -fsanitize=thread in its own directory.
tsan: deps
	$(MAKE) --no-print-directory BUILD=build-tsan TEST_SRC=tests/check_api.c \
	  OPT="-O1 -g -fsanitize=thread -DSD_VERIFY" build-tsan/check_symdiff
	CK_FORK=no CK_RUN_SUITE=api TSAN_OPTIONS=halt_on_error=1 build-tsan/check_symdiff

# The embedding example: a client of symdiff.h alone.
$(BUILD)/embed: examples/embed/embed.c src/symdiff.h $(BUILD)/libsymdiff.a
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libsymdiff.a $(LDLIBS)

# The same suite, rebuilt with sanitizers in its own build directory.
asan: deps
	$(MAKE) --no-print-directory BUILD=build-asan \
	  OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -DSD_VERIFY" \
	  check

# The failing allocator of tests/check_oom.c, preloaded into the binary
# (plain flags: it must not carry a sanitizer runtime of its own).
$(BUILD)/libfailmalloc.so: tests/oom/failmalloc.c | $(BUILD)
	$(CC) -std=c99 $(WARN) -O1 -g -fPIC -shared -Wl,-soname,libfailmalloc.so -o $@ $<

# Allocation-failure injection in full: every allocation of every input of
# tests/check_oom.c made to fail in turn, and a sample under valgrind.
oom: deps $(BIN) $(BUILD)/check_symdiff $(BUILD)/libfailmalloc.so
	CK_RUN_SUITE=oom SYMDIFF_OOM_FULL=1 SYMDIFF_OOM_VALGRIND=1 SYMDIFF=$(BIN) BUILD=$(BUILD) \
	  $(BUILD)/check_symdiff

valgrind: deps $(BIN) $(BUILD)/check_symdiff $(BUILD)/libfailmalloc.so
	CK_FORK=no SYMDIFF=$(BIN) BUILD=$(BUILD) SYMDIFF_VALGRIND=1 valgrind --error-exitcode=1 \
	  --leak-check=full --errors-for-leak-kinds=all -q $(BUILD)/check_symdiff

# libFuzzer (clang) with ASan and UBSan, every harness in tests/fuzz/ for
# FUZZ_SECONDS each: the parser alone, the whole pipeline, and the
# differential harness (derivatives against finite differences, values
# before and after simplification).  A finding stops the run; its input is
# left in the current directory (crash-*, timeout-*, leak-*).
FUZZ_SECONDS ?= 60
FUZZ_DIR := build-fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
fuzz: deps
	$(MAKE) --no-print-directory BUILD=$(FUZZ_DIR) CC=clang \
	  OPT="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" $(FUZZ_DIR)/libsymdiff.a
	for f in $(FUZZERS); do \
	  clang -std=c99 -D_POSIX_C_SOURCE=200809L $(WARN) -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) \
	    -include src/sdprefix.h -Isrc -Itests/fuzz -I$(FUZZ_DIR) -o $(FUZZ_DIR)/fuzz_$$f tests/fuzz/fuzz_$$f.c \
	    $$(test $$f = differential && echo tests/fuzz/exprgen.c) $(FUZZ_DIR)/libsymdiff.a -lm \
	    || exit 1; done
	for f in $(FUZZERS); do \
	  mkdir -p $(FUZZ_DIR)/corpus-$$f; \
	  if [ $$f = differential ]; then seeds=tests/fuzz/corpus/differential; opts=; \
	  else seeds=tests/fuzz/corpus; opts=-dict=tests/fuzz/dict.txt; fi; \
	  $(FUZZ_DIR)/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -max_len=1024 -timeout=10 \
	    -rss_limit_mb=2048 $$opts $(FUZZ_DIR)/corpus-$$f $$seeds || exit 1; done

demo: deps all
	@sh examples/demo.sh

examples: deps all
	@$(MAKE) --no-print-directory -C examples

# Benchmarks against SymPy, GiNaC and hand-written code (bench/RESULTS.md);
# installs the peers where it can.  BENCH_QUICK=1: a fast smoke run.
bench: deps all
	@sh scripts/bootstrap.sh bench
	@sh bench/run.sh

format:
	clang-format -i src/*.c src/*.h runtime/*.c runtime/*.h tests/*.c tests/*.h

clean:
	rm -rf build build-asan build-tsan build-clang build-fuzz symdiff

# --- version ----------------------------------------------------------------
# api.c compiles FULL_VERSION into sd_version(); it is rebuilt when the
# string changes (a new commit, local changes), through this file, which is
# rewritten only then.
$(BUILD)/version.txt: FORCE | $(BUILD)
	@echo '$(FULL_VERSION)' > $@.tmp; cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp
$(BUILD)/src/api.o: $(BUILD)/version.txt
$(BUILD)/src/api.o: VERSION_CFLAGS = -DSYMDIFF_VERSION='"$(FULL_VERSION)"'

# Objects are compiled again when the compiler or its flags change (make
# CFLAGS=..., or a new flag here, such as -fPIC for the shared library).
$(BUILD)/cflags.txt: FORCE | $(BUILD)
	@echo '$(CC) $(ALL_CFLAGS)' > $@.tmp; cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp
$(LIB_OBJ) $(RT_OBJ) $(BUILD)/src/main.o: $(BUILD)/cflags.txt

# --- set-up before building ---------------------------------------------------
# The targets that install missing build dependencies first: everything they
# build waits for scripts/bootstrap.sh (an order-only prerequisite of the
# build directory), also under make -j.  Plain `make` does not run it.
SETUP_GOALS := check test demo examples asan tsan valgrind oom fuzz bench
ifneq ($(filter $(SETUP_GOALS),$(MAKECMDGOALS)),)
$(BUILD): | deps
endif

# --- the shared library --------------------------------------------------------
# libsymdiff.so.VERSION with the soname libsymdiff.so.SOVERSION.  It
# exports the public interface only: the functions symdiff.h declares, listed
# in a linker version script (scripts/exports.sh) whose node is SYMDIFF_<n>;
# everything else is local.  SOVERSION changes whenever the interface
# changes incompatibly.
SOVERSION := 0
SONAME    := libsymdiff.so.$(SOVERSION)
SHLIB     := $(BUILD)/libsymdiff.so.$(VERSION)

$(BUILD)/libsymdiff.map: src/symdiff.h scripts/exports.sh | $(BUILD)
	sh scripts/exports.sh SYMDIFF_$(SOVERSION) '$(CC)' src/symdiff.h > $@.tmp && mv $@.tmp $@

$(SHLIB): $(LIB_OBJ) $(BUILD)/libsymdiff.map
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) \
	  -Wl,--version-script=$(BUILD)/libsymdiff.map -Wl,--no-undefined -o $@ $(LIB_OBJ) $(LDLIBS)
	ln -sf $(notdir $@) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/libsymdiff.so

# --- files made for installation ------------------------------------------------
# GNU conventions: PREFIX (or prefix) and DESTDIR, and each directory on
# its own.  The files below record these directories, so they are made again
# when one changes ($(BUILD)/install-dirs.txt changes then).
PREFIX      ?= /usr/local
prefix      ?= $(PREFIX)
exec_prefix ?= $(prefix)
bindir      ?= $(exec_prefix)/bin
libdir      ?= $(exec_prefix)/lib
includedir  ?= $(prefix)/include
datarootdir ?= $(prefix)/share
datadir     ?= $(datarootdir)
mandir      ?= $(datarootdir)/man
docdir      ?= $(datarootdir)/doc/symdiff
pkgconfigdir ?= $(libdir)/pkgconfig
cmakedir    ?= $(libdir)/cmake/symdiff
pkgdatadir  ?= $(datadir)/symdiff
INSTALL         ?= install
INSTALL_PROGRAM ?= $(INSTALL)
INSTALL_DATA    ?= $(INSTALL) -m 644

INSTALL_DIRS := prefix exec_prefix bindir libdir includedir datadir mandir docdir \
                pkgconfigdir cmakedir pkgdatadir
$(BUILD)/install-dirs.txt: FORCE | $(BUILD)
	@printf '%s\n' $(foreach d,$(INSTALL_DIRS),'$(d)=$($(d))') > $@.tmp; \
	 cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

DIST := $(BUILD)/dist
MAN_PAGES := $(DIST)/symdiff.1 $(DIST)/symdiff-language.7
DIST_FILES := $(DIST)/symdiff.pc $(DIST)/symdiff-rt.pc $(DIST)/symdiff.mk \
              $(DIST)/symdiff-config.cmake $(DIST)/symdiff-config-version.cmake $(MAN_PAGES)

# A directory as pkg-config files write it: relative to ${prefix} (or for
# programs and libraries ${exec_prefix}) when it is under it, else as it is.
pc_dir = $(if $(filter $(prefix)/%,$(1)),$${prefix}/$(patsubst $(prefix)/%,%,$(1)),$(if \
         $(filter $(prefix),$(1)),$${prefix},$(1)))
pc_exec_dir = $(if $(filter $(exec_prefix)/%,$(1)),$${exec_prefix}/$(patsubst $(exec_prefix)/%,%,$(1)),$(call \
         pc_dir,$(1)))
# A path relative to an installed directory (scripts/relpath.sh).
rel = $$(sh scripts/relpath.sh '$(1)' '$(2)')

DIST_SED = sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@SONAME@|$(SONAME)|g' \
  -e 's|@prefix@|$(prefix)|g' -e 's|@exec_prefix@|$(call pc_dir,$(exec_prefix))|g' \
  -e 's|@bindir@|$(call pc_exec_dir,$(bindir))|g' -e 's|@libdir@|$(call pc_exec_dir,$(libdir))|g' \
  -e 's|@includedir@|$(call pc_dir,$(includedir))|g' -e 's|@datadir@|$(call pc_dir,$(datadir))|g' \
  -e 's|@cmakedir@|$(call pc_exec_dir,$(cmakedir))|g' \
  -e "s|@mk_to_symdiff@|$(call rel,$(pkgdatadir),$(bindir)/symdiff)|g" \
  -e "s|@cmake_to_bindir@|$(call rel,$(cmakedir),$(bindir))|g" \
  -e "s|@cmake_to_libdir@|$(call rel,$(cmakedir),$(libdir))|g" \
  -e "s|@cmake_to_includedir@|$(call rel,$(cmakedir),$(includedir))|g" \
  -e 's|@INCLUDEDIR@|$(includedir)|g' -e 's|@PKGDATADIR@|$(pkgdatadir)|g' \
  -e 's|@CMAKEDIR@|$(cmakedir)|g' -e 's|@DOCDIR@|$(docdir)|g'

$(DIST)/%.pc: pkgconfig/%.pc.in $(BUILD)/install-dirs.txt VERSION Makefile scripts/relpath.sh
	@mkdir -p $(dir $@)
	@echo '$< -> $@'
	@$(DIST_SED) $< > $@.tmp && mv $@.tmp $@
$(DIST)/%.cmake: cmake/%.cmake.in $(BUILD)/install-dirs.txt VERSION Makefile scripts/relpath.sh
	@mkdir -p $(dir $@)
	@echo '$< -> $@'
	@$(DIST_SED) $< > $@.tmp && mv $@.tmp $@
$(DIST)/symdiff.mk: mk/symdiff.mk.in $(BUILD)/install-dirs.txt VERSION Makefile scripts/relpath.sh
	@mkdir -p $(dir $@)
	@echo '$< -> $@'
	@$(DIST_SED) $< > $@.tmp && mv $@.tmp $@
$(MAN_PAGES): $(DIST)/%: man/%.in $(BUILD)/install-dirs.txt VERSION Makefile
	@mkdir -p $(dir $@)
	@echo '$< -> $@'
	@$(DIST_SED) $< > $@.tmp && mv $@.tmp $@

all: $(SHLIB) $(DIST_FILES)
check: $(MAN_PAGES)

# --- install and uninstall --------------------------------------------------------
INSTALLED_DATA := \
  $(includedir)/symdiff.h:src/symdiff.h $(includedir)/sdrt.h:runtime/sdrt.h \
  $(libdir)/libsymdiff.a:$(BUILD)/libsymdiff.a $(libdir)/libsymdiff_rt.a:$(BUILD)/libsymdiff_rt.a \
  $(pkgconfigdir)/symdiff.pc:$(DIST)/symdiff.pc $(pkgconfigdir)/symdiff-rt.pc:$(DIST)/symdiff-rt.pc \
  $(mandir)/man1/symdiff.1:$(DIST)/symdiff.1 $(mandir)/man7/symdiff-language.7:$(DIST)/symdiff-language.7 \
  $(pkgdatadir)/symdiff.mk:$(DIST)/symdiff.mk \
  $(cmakedir)/symdiff-config.cmake:$(DIST)/symdiff-config.cmake \
  $(cmakedir)/symdiff-config-version.cmake:$(DIST)/symdiff-config-version.cmake \
  $(docdir)/LICENSE:LICENSE $(docdir)/README.md:README.md \
  $(foreach f,$(wildcard docs/*.md docs/*.svg),$(docdir)/$(f):$(f))

install: $(BIN) $(BUILD)/libsymdiff.a $(SHLIB) $(BUILD)/libsymdiff_rt.a $(DIST_FILES)
	@set -e; for pair in $(INSTALLED_DATA); do \
	  to=$${pair%%:*}; from=$${pair#*:}; \
	  $(INSTALL) -d '$(DESTDIR)'"$$(dirname "$$to")"; \
	  echo "install $$from $(DESTDIR)$$to"; \
	  $(INSTALL_DATA) "$$from" '$(DESTDIR)'"$$to"; done
	$(INSTALL) -d '$(DESTDIR)$(bindir)' '$(DESTDIR)$(libdir)'
	$(INSTALL_PROGRAM) $(BIN) '$(DESTDIR)$(bindir)/symdiff'
	$(INSTALL_DATA) $(SHLIB) '$(DESTDIR)$(libdir)/$(notdir $(SHLIB))'
	ln -sf $(notdir $(SHLIB)) '$(DESTDIR)$(libdir)/$(SONAME)'
	ln -sf $(SONAME) '$(DESTDIR)$(libdir)/libsymdiff.so'
	@# the dynamic linker's cache, for an installation into the running system
	@if [ -z '$(DESTDIR)' ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null 2>&1; then \
	  ldconfig || true; fi

# GNU's install-strip: the same with the program stripped.
install-strip:
	$(MAKE) --no-print-directory INSTALL_PROGRAM='$(INSTALL) -s' install

# Removes every file `make install` writes, and the directories that are
# symdiff's own once empty (not bin/, lib/, ..., which others share).
uninstall:
	rm -f '$(DESTDIR)$(bindir)/symdiff' '$(DESTDIR)$(libdir)/$(notdir $(SHLIB))' \
	  '$(DESTDIR)$(libdir)/$(SONAME)' '$(DESTDIR)$(libdir)/libsymdiff.so'
	@for pair in $(INSTALLED_DATA); do to=$${pair%%:*}; \
	  echo "rm -f $(DESTDIR)$$to"; rm -f '$(DESTDIR)'"$$to"; done
	-@rmdir '$(DESTDIR)$(docdir)/docs' '$(DESTDIR)$(docdir)' '$(DESTDIR)$(pkgdatadir)' \
	  '$(DESTDIR)$(cmakedir)' 2>/dev/null || true
	@if [ -z '$(DESTDIR)' ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null 2>&1; then \
	  ldconfig || true; fi

# `make install` into a temporary DESTDIR, the example projects of
# examples/make-project and examples/cmake-project built and run against it
# alone, then `make uninstall` (tests/install.sh).  Part of `make check`.
check-install: $(BIN) $(BUILD)/libsymdiff.a $(SHLIB) $(BUILD)/libsymdiff_rt.a $(DIST_FILES)
	+@MAKE='$(MAKE)' CC='$(CC)' BUILD='$(BUILD)' sh tests/install.sh

# Every source file carries its licence line, SPDX-License-Identifier: MIT
# (scripts/spdx.sh adds it where it is missing).  Part of `make check`.
check-spdx:
	@sh scripts/spdx.sh --check

ifeq ($(BUILD),build)
check: check-install check-spdx
endif

# A source tarball of the current commit (it builds without .git).
dist:
	git archive --format=tar.gz --prefix=symdiff-$(VERSION)/ -o symdiff-$(VERSION).tar.gz HEAD
	@echo symdiff-$(VERSION).tar.gz

.PHONY: install install-strip uninstall check-install check-spdx dist FORCE
FORCE:
# --- the browser playground (web/) ------------------------------------------
# `make web` builds web/dist/, a static site: the page (web/src/*.html, .js,
# .css), the engine compiled to WebAssembly by Debian's emscripten from the
# same sources (web/src/sdweb.c is its entry point, a client of symdiff.h),
# and the pinned browser libraries of web/package-lock.json (KaTeX,
# Viz.js), copied from npm at build time.  Serve it from any static server:
#   make web && python3 -m http.server -d web/dist 8000
# `make check-web` builds it, serves it on localhost and drives Debian's
# Chromium headless through Playwright (web/test/check-web.mjs).
# scripts/bootstrap.sh installs emscripten, node-acorn and Chromium.
WEB_BUILD := web/build
WEB_DIST  := web/dist
# emcc's JavaScript optimiser needs Debian's acorn, which lives there
EMCC      := NODE_PATH=/usr/share/nodejs emcc
WEB_OPT   ?= -O2
WEB_CFLAGS = -std=c99 -D_POSIX_C_SOURCE=200809L $(WARN) $(WEB_OPT) -include src/sdprefix.h -Isrc -I$(BUILD)
WEB_OBJ   := $(patsubst src/%.c,$(WEB_BUILD)/obj/%.o,$(LIB_SRC)) \
             $(WEB_BUILD)/obj/gen/parser.o $(WEB_BUILD)/obj/gen/lexer.o $(WEB_BUILD)/obj/sdweb.o
WEB_PAGE  := index.html app.js worker.js style.css
WEB_LINK  := -sMODULARIZE=1 -sEXPORT_NAME=createSymdiff -sENVIRONMENT=web,worker \
             -sALLOW_MEMORY_GROWTH=1 -sFILESYSTEM=0 \
             -sEXPORTED_FUNCTIONS=_sdweb_call,_sdweb_free,_sdweb_version,_malloc,_free \
             -sEXPORTED_RUNTIME_METHODS=UTF8ToString,stringToUTF8,lengthBytesUTF8
WEB_NPM   := web/node_modules/.package-lock.json

.PHONY: web web-deps check-web web-picture

web: web-deps $(WEB_DIST)/index.html

web-deps: deps
	@sh scripts/bootstrap.sh web

$(WEB_BUILD)/obj/%.o: src/%.c $(wildcard src/*.h src/*.def) $(BUILD)/parser.h $(BUILD)/lexer.h
	@mkdir -p $(dir $@)
	$(EMCC) $(WEB_CFLAGS) -DSYMDIFF_VERSION='"$(VERSION)"' -c -o $@ $<
$(WEB_BUILD)/obj/gen/%.o: $(BUILD)/%.c $(BUILD)/parser.h $(BUILD)/lexer.h $(wildcard src/*.h src/*.def)
	@mkdir -p $(dir $@)
	$(EMCC) $(WEB_CFLAGS) -Wno-unused-function -Wno-sign-compare -Wno-missing-prototypes -c -o $@ $<
$(WEB_BUILD)/obj/codegen.o: $(BUILD)/templates.h
$(WEB_BUILD)/obj/builtins.o: $(BUILD)/builtin_index.h
$(WEB_BUILD)/obj/sdweb.o: web/src/sdweb.c src/symdiff.h
	@mkdir -p $(dir $@)
	$(EMCC) $(WEB_CFLAGS) -c -o $@ $<

$(WEB_BUILD)/symdiff.js: $(WEB_OBJ)
	$(EMCC) $(WEB_OPT) -o $@ $(WEB_OBJ) $(WEB_LINK)

# The libraries, exactly as the lockfile pins them (npm's cache kept in
# the build tree).
$(WEB_NPM): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error --cache build/npm-cache

$(WEB_DIST)/index.html: $(WEB_BUILD)/symdiff.js $(addprefix web/src/,$(WEB_PAGE)) web/src/LICENSES.txt $(WEB_NPM)
	rm -rf $(WEB_DIST).tmp && mkdir -p $(WEB_DIST).tmp/vendor/katex/fonts $(WEB_DIST).tmp/vendor/viz
	cp $(WEB_BUILD)/symdiff.js $(WEB_BUILD)/symdiff.wasm $(WEB_DIST).tmp/
	cd web/src && cp $(WEB_PAGE) ../dist.tmp/
	cp web/node_modules/katex/dist/katex.min.js web/node_modules/katex/dist/katex.min.css \
	   $(WEB_DIST).tmp/vendor/katex/
	cp web/node_modules/katex/dist/fonts/*.woff2 $(WEB_DIST).tmp/vendor/katex/fonts/
	cp web/node_modules/@viz-js/viz/dist/viz.js $(WEB_DIST).tmp/vendor/viz/
	cat web/src/LICENSES.txt web/node_modules/katex/LICENSE > $(WEB_DIST).tmp/LICENSES.txt
	rm -rf $(WEB_DIST) && mv $(WEB_DIST).tmp $(WEB_DIST)
	@echo "web: $(WEB_DIST)/ is ready ($$(du -sk $(WEB_DIST) | cut -f1) kB; symdiff.wasm $$(wc -c < $(WEB_DIST)/symdiff.wasm) bytes)"

# The glue natively under ASan + UBSan (hostile requests included), then
# the site in Chromium.  Chromium comes from the bootstrap; without it this
# target fails, and `make check` says it skipped it.
$(WEB_BUILD)/glue_check: web/test/glue_check.c web/src/sdweb.c src/symdiff.h $(BUILD)/libsymdiff.a
	@mkdir -p $(dir $@)
	$(CC) -std=c99 -D_POSIX_C_SOURCE=200809L $(WARN) -O1 -g -fsanitize=address,undefined \
	  -fno-sanitize-recover=all -Isrc -o $@ web/test/glue_check.c web/src/sdweb.c $(BUILD)/libsymdiff.a $(LDLIBS)

check-web: web $(WEB_BUILD)/glue_check
	@sh scripts/bootstrap.sh web check
	$(WEB_BUILD)/glue_check
	@command -v chromium >/dev/null 2>&1 || { echo "check-web: chromium is not installed" >&2; exit 1; }
	cd web && node test/check-web.mjs

# The README's picture of the playground, from check-web's screenshots
# (which stay in web/build/ so that testing changes no tracked file).
web-picture: check-web
	cp web/build/screenshots/playground.png web/screenshots/playground.png

# `make check` runs check-web where the browser test can run (the
# bootstrap installs emscripten and Chromium where it can; CHECK_WEB=0
# leaves it out), and says so plainly where it cannot.
ifeq ($(BUILD),build)
check: check-web-if-possible
endif
.PHONY: check-web-if-possible
# (after the native build, which the web build shares: no two makes write
# the same files under -j)
check-web-if-possible: deps $(BIN) $(BUILD)/libsymdiff.a $(GEN_SRC)
	@if [ "$(CHECK_WEB)" = 0 ]; then echo "check-web: skipped: CHECK_WEB=0"; \
	elif ! sh scripts/bootstrap.sh web check; then \
	  echo "check-web: skipped: emscripten not available"; \
	elif ! command -v chromium >/dev/null 2>&1; then \
	  echo "check-web: skipped: chromium not available"; \
	else $(MAKE) --no-print-directory check-web; fi

clean: clean-web
.PHONY: clean-web
clean-web:
	rm -rf $(WEB_BUILD) $(WEB_DIST) $(WEB_DIST).tmp
