# ResearchPipeline: raw captures -> published, citable Parquet tables.
# `make all` regenerates the dataset; `make test` runs the test suite. Both work on a fresh clone with only the
# .NET SDK, make and Node.js/npm installed.
#
#   make all RAW=dir OUT=dir     the same pipeline over any folder of captures (dir/<app_id>/<files>)
#   make all CLUSTER=slurm ...   the same, on a Slurm cluster: parse as a job array, emit as a job after it
#                                (INTERIM must be on a file system every node sees; docs/SCALING.md)

RAW      ?= data/raw
OUT      ?= data/processed
INTERIM  ?= data/interim
EXTERNAL ?= data/external
LOCK     ?= data/reference.lock.csv
CONFIG   ?= Release
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
DOTNET   ?= dotnet
# CLUSTER=slurm runs `all` through sbatch: TASKS array tasks, SLURM_ARGS passed to the slurm verb as they are
# (e.g. SLURM_ARGS="--partition short --time 1:00:00 --mem-per-task 4G --account proj").
CLUSTER  ?= local
TASKS    ?= 4
SLURM_ARGS ?=
SLURM_DEMO ?= $(INTERIM)/slurm-demo

export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE := 1
# The garbage collector's young-generation budget, 64 MB. By default it collects every few megabytes allocated,
# each collection pausing every thread even when almost nothing survives; a larger budget collects less often, at
# some memory more at peak, and past 64 MB the first touches of the larger young generation cost more than the
# fewer collections save (bench/NOTES.md has the paired measurements).
# The runtime reads this setting only from the environment, not runtimeconfig.json, and reads it as hexadecimal;
# the native program (below) reads it only without the 0x.
export DOTNET_GCgen0size ?= 4000000

# The program the targets run: the build's program compiled to machine code ahead of time (Native AOT) for this
# machine, so that nothing is compiled while it runs: with the runtime's compiler, a run over the bench's HARs
# spent about a sixth of its processor time compiling and recompiling methods (bench/NOTES.md). Linking it needs
# the SDK's runtime identifier and a C toolchain (clang, else gcc). Where either is missing, or the native
# build fails, the program is published as before: a ReadyToRun image the runtime carries and may recompile
# (with a runtime identifier), else plain IL. All three are an executable of the same name that gives the same
# bytes. Tests and notebooks use the build itself.
RID      := $(shell $(DOTNET) --info 2>/dev/null | sed -n 's/^ *RID: *//p' | head -1)
# On an x64 machine with AVX2 (and the rest of x86-64-v3), the program is compiled for that instruction set: the
# framework's vectorised text, span and hashing code otherwise checks for it at run time or, in the ReadyToRun
# image, is left out and compiled at run time (bench/NOTES.md has the measurements). The build is for the
# machine that runs it, so it checks this machine.
X64_V3   := $(shell for f in avx2 bmi1 bmi2 fma movbe f16c; do grep -qw $$f /proc/cpuinfo 2>/dev/null || exit 0; done; echo yes)
ON_V3    := $(and $(filter %-x64,$(RID)),$(X64_V3))
NATIVE_CC := $(if $(shell command -v clang 2>/dev/null),,$(if $(shell command -v gcc 2>/dev/null),-p:CppCompilerAndLinker=gcc))
NATIVE   := -r $(RID) -p:PublishAot=true $(NATIVE_CC) $(if $(ON_V3),-p:IlcInstructionSet=x86-64-v3)
R2R      := -r $(RID) -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true $(if $(ON_V3),-p:PublishReadyToRunCrossgen2ExtraArgs=--instruction-set:x86-64-v3) --self-contained
CLI      := pipeline/ResearchPipeline.Cli/bin/$(CONFIG)/program/research-pipeline
# The IL program is run by this dotnet: its launcher would look for a runtime of its own.
PIPELINE := $(if $(RID),$(CLI),$(DOTNET) $(CLI).dll)
SOURCES  := $(shell find pipeline -name '*.cs' -o -name '*.csproj' -o -name '*.csv' 2>/dev/null) Directory.Build.props Directory.Packages.props

# The dataset is a graph of files (as in cookiecutter data science): each target below is a file, remade only
# when a file it is made from changed. `make figures` after a change to one capture reruns the pipeline, then
# redraws a figure only if a table it reads now has other bytes.
#   OUT/SHA256SUMS            <- the CLI build, the reference data stamp, every raw file, the lock, the taxonomy
#   INTERIM/stamps/T.sha256   <- OUT/SHA256SUMS; rewritten only when table T's sha256 changes
#   reports/figures/*.png     <- the stamps of the tables the figures read
#   INTERIM/notebooks/N.done  <- notebook N, pipeline.csx, the CLI build, the stamps of every table
STAMPS       := $(INTERIM)/stamps
REF_STAMP    := $(EXTERNAL)/.verified
PUBLISHED    := $(OUT)/SHA256SUMS
# Folders too: a capture added or removed changes its folder's date.
RAW_FILES    := $(shell find $(RAW) 2>/dev/null)
TAXONOMY     := $(wildcard data/taxonomy/*.csv)
TABLES       := captures exchanges quality payload_fields app_facebook_fields app_tracker_fields identifier_matches endpoints trackers taxonomy_conflicts
FIGURE_READS := app_facebook_fields captures exchanges trackers endpoints
FIGURES      := $(addprefix reports/figures/,meta-fields-by-app.png organisations-by-apps.png requests-by-asn.png requests-by-country.png)
NOTEBOOKS    := $(wildcard notebooks/[0-9][0-9]-*.ipynb)
NOTEBOOK_RUNS := $(patsubst notebooks/%.ipynb,$(INTERIM)/notebooks/%.done,$(NOTEBOOKS))
TABLE_STAMPS := $(addprefix $(STAMPS)/,$(addsuffix .sha256,$(TABLES)))
# The stamps are kept between runs: their dates are what says a table changed.
.SECONDARY: $(TABLE_STAMPS) $(TABLE_STAMPS:.sha256=.checked)

.PHONY: all build test clean verify reference fuzz captures figures site notebooks bench help slurm-demo slurm-demo-stop

## all: restore, build, fetch pinned reference data, run every stage over RAW into OUT (rows wait in INTERIM/shards), write OUT/SHA256SUMS
all: $(PUBLISHED)

$(PUBLISHED): $(CLI) $(REF_STAMP) $(RAW_FILES) $(wildcard $(LOCK)) $(TAXONOMY)
ifeq ($(CLUSTER),slurm)
	$(PIPELINE) slurm --raw $(RAW) --out $(OUT) --interim $(INTERIM) --lock $(LOCK) --external $(EXTERNAL) --jobs $(JOBS) --tasks $(TASKS) $(SLURM_ARGS)
else
	$(PIPELINE) run --raw $(RAW) --out $(OUT) --interim $(INTERIM) --lock $(LOCK) --external $(EXTERNAL) --jobs $(JOBS)
endif
	@echo "published: $(OUT) (check with: make verify OUT=$(OUT))"

# One stamp per table, whose date (and bytes: the table's SHA256SUMS line) change only when the table's bytes
# do; T.checked records that it was compared with the latest publication.
$(STAMPS)/%.sha256: $(STAMPS)/%.checked ;

$(STAMPS)/%.checked: $(PUBLISHED)
	@mkdir -p $(@D)
	@grep '  $*\.parquet$$' $(PUBLISHED) > $(STAMPS)/$*.sha256.new
	@if cmp -s $(STAMPS)/$*.sha256.new $(STAMPS)/$*.sha256; then rm -f $(STAMPS)/$*.sha256.new; \
	    else mv $(STAMPS)/$*.sha256.new $(STAMPS)/$*.sha256; echo "changed: $(OUT)/$*.parquet"; fi
	@touch $@

## build: restore and compile the library, the command-line program and the tests
build: $(CLI)

$(CLI): $(SOURCES)
	$(DOTNET) build ResearchPipeline.sln -c $(CONFIG) --nologo -v quiet -clp:ErrorsOnly
	rm -rf $(dir $(CLI))
	$(if $(RID),$(DOTNET) publish pipeline/ResearchPipeline.Cli -c $(CONFIG) $(NATIVE) -o $(dir $(CLI)) --nologo -v quiet -clp:ErrorsOnly \
	    || { echo "build: no native program (above); publishing the ReadyToRun image instead"; rm -rf $(dir $(CLI)); \
	         $(DOTNET) publish pipeline/ResearchPipeline.Cli -c $(CONFIG) $(R2R) -o $(dir $(CLI)) --nologo -v quiet -clp:ErrorsOnly; }, \
	    $(DOTNET) publish pipeline/ResearchPipeline.Cli -c $(CONFIG) --no-self-contained -o $(dir $(CLI)) --nologo -v quiet -clp:ErrorsOnly)
	@touch $@

## reference: fetch and verify the pinned reference data named in the lock file into EXTERNAL
reference: $(REF_STAMP)

$(REF_STAMP): $(wildcard $(LOCK)) | $(CLI)
	@mkdir -p $(EXTERNAL)
	@if [ -f $(LOCK) ]; then $(PIPELINE) reference --lock $(LOCK) --external $(EXTERNAL); else echo "reference: no $(LOCK) yet, nothing to fetch"; fi
	@touch $@

## test: run the whole test suite and print the totals (fetches the reference data first, when it can)
test:
	@$(MAKE) --no-print-directory reference || echo "test: the reference data could not be fetched; the tests that need it will say they were skipped"
	rm -rf TestResults
	$(DOTNET) test tests/ResearchPipeline.Tests -c $(CONFIG) --nologo -v quiet \
	    --logger "trx;LogFileName=results.trx" --results-directory TestResults; \
	    status=$$?; .ci/test-totals TestResults/results.trx; exit $$status

## fuzz: fuzz every capture reader with mutated real captures for FUZZ_SECONDS seconds per format (default 300)
FUZZ_SECONDS ?= 300
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(DOTNET) test tests/ResearchPipeline.Tests -c $(CONFIG) --nologo -v quiet --filter "TestCategory=Fuzz"

## verify: recompute every published file's sha256 (SHA256SUMS, manifest.json) and every input's (manifest.json)
verify: $(CLI)
	cd $(OUT) && sha256sum --check --strict --quiet SHA256SUMS
	$(PIPELINE) verify --out $(OUT) --raw $(RAW)

## figures: draw the key figures of OUT as PNG into reports/figures (same bytes every run, given the same fonts);
##          only when a table they read changed (or the program did)
figures: $(FIGURES)

$(FIGURES) &: $(addprefix $(STAMPS)/,$(addsuffix .sha256,$(FIGURE_READS))) $(CLI)
	$(PIPELINE) figures --processed $(OUT) --out reports/figures
	@touch $(FIGURES)

## notebooks: execute the notebooks in notebooks/ headless, in place, each only when a table, the program or the
##            notebook changed; fails when a cell fails (installs jupyter and .NET Interactive where it can)
notebooks: $(NOTEBOOK_RUNS)

$(INTERIM)/notebooks/%.done: notebooks/%.ipynb notebooks/pipeline.csx $(CLI) $(TABLE_STAMPS)
	RESEARCH_PIPELINE_PROCESSED=$(abspath $(OUT)) notebooks/run.sh $*.ipynb
	@mkdir -p $(@D) && touch $@

## site: write the static dataset site of OUT into reports/site (or OUT/site when OUT is given): same bytes every run
SITE_OUT = $(if $(filter command line,$(origin OUT)),$(OUT)/site,reports/site)
site: $(CLI) $(PUBLISHED)
	$(PIPELINE) site --processed $(OUT) --out $(SITE_OUT)

## bench: scaled corpora (data/interim/bench, up to 1 GB), every stage at -j1/-j2 beside TrackHAR, tshark, mitmdump,
##        mmdblookup and cat, and the decrypting reader beside tshark on TLS+HTTP/2 pcapngs with keys (BENCH_TLS_SIZES);
##        one pcapng of BENCH_LONG_CONNECTION requests recorded beside a connection open throughout;
##        writes bench/results.csv and docs/BENCHMARKS.md
BENCH_SIZES ?= 10MB,100MB,1GB
BENCH_TLS_SIZES ?= 100MB
BENCH_LONG_CONNECTION ?= 40000
bench: $(CLI) reference
	SIZES=$(BENCH_SIZES) TLS_SIZES=$(BENCH_TLS_SIZES) LONG_CONNECTION=$(BENCH_LONG_CONNECTION) DOTNET=$(DOTNET) bench/run.sh

## slurm-demo: start a single-node Slurm cluster on loopback in SLURM_DEMO (needs root, slurm-wlm, munge); then
##             export SLURM_CONF=$(SLURM_DEMO)/slurm.conf and make all CLUSTER=slurm OUT=/tmp/out
slurm-demo:
	lab/slurm-cluster.sh start $(SLURM_DEMO)
	@echo "now: export SLURM_CONF=$(abspath $(SLURM_DEMO))/slurm.conf; make all CLUSTER=slurm OUT=/tmp/rp-slurm-out; make slurm-demo-stop"

## slurm-demo-stop: stop the daemons slurm-demo started
slurm-demo-stop:
	lab/slurm-cluster.sh stop $(SLURM_DEMO)

## captures: re-record the demonstration corpus in RAW through mitmproxy (needs Debian mitmproxy + tshark)
captures:
	lab/record.sh $(RAW)

## clean: remove build outputs and fetched reference data (the published dataset stays)
clean:
	$(DOTNET) clean ResearchPipeline.sln -c $(CONFIG) --nologo -v quiet || true
	rm -rf TestResults data/interim $(EXTERNAL)
	find . -name bin -o -name obj | grep -E '/(bin|obj)$$' | xargs rm -rf

## help: list the targets
help:
	@grep -E '^## ' Makefile | sed 's/^## /  make /'
