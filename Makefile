# ResearchPipeline: raw captures -> published, citable Parquet tables.
# `make all` regenerates the dataset; `make test` runs the test suite. Both work on a fresh clone with only the
# .NET SDK, make and Node.js/npm installed.
#
#   make all RAW=dir OUT=dir     the same pipeline over any folder of captures (dir/<app_id>/<files>)

RAW      ?= data/raw
OUT      ?= data/processed
INTERIM  ?= data/interim
EXTERNAL ?= data/external
LOCK     ?= data/reference.lock.csv
CONFIG   ?= Release
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
DOTNET   ?= dotnet

export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE := 1

CLI      := pipeline/ResearchPipeline.Cli/bin/$(CONFIG)/net10.0/research-pipeline.dll
PIPELINE := $(DOTNET) $(CLI)
SOURCES  := $(shell find pipeline -name '*.cs' -o -name '*.csproj' -o -name '*.csv' 2>/dev/null) Directory.Build.props Directory.Packages.props

.PHONY: all build test clean verify reference fuzz captures figures notebooks bench help

## all: restore, build, fetch pinned reference data, run every stage over RAW into OUT (rows wait in INTERIM/shards), write OUT/SHA256SUMS
all: $(CLI) reference
	$(PIPELINE) run --raw $(RAW) --out $(OUT) --interim $(INTERIM) --jobs $(JOBS)
	@echo "published: $(OUT) (check with: make verify OUT=$(OUT))"

## build: restore and compile the library, the command-line program and the tests
build: $(CLI)

$(CLI): $(SOURCES)
	$(DOTNET) build ResearchPipeline.sln -c $(CONFIG) --nologo -v quiet -clp:ErrorsOnly
	@touch $@

## reference: fetch and verify the pinned reference data named in the lock file into EXTERNAL
reference: $(CLI)
	@if [ -f $(LOCK) ]; then $(PIPELINE) reference --lock $(LOCK) --external $(EXTERNAL); else echo "reference: no $(LOCK) yet, nothing to fetch"; fi

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

## figures: draw the key figures of OUT as PNG into reports/figures (same bytes every run, given the same fonts)
figures: $(CLI)
	$(PIPELINE) figures --processed $(OUT) --out reports/figures

## notebooks: execute every notebook in notebooks/ headless, in place; fails when a cell fails (after make all)
notebooks: $(CLI)
	RESEARCH_PIPELINE_PROCESSED=$(abspath $(OUT)) notebooks/run.sh

## bench: scaled corpora (data/interim/bench, up to 1 GB), every stage at -j1/-j2 beside TrackHAR, tshark, mitmdump,
##        mmdblookup and cat, and the decrypting reader beside tshark on TLS+HTTP/2 pcapngs with keys (BENCH_TLS_SIZES);
##        writes bench/results.csv and docs/BENCHMARKS.md
BENCH_SIZES ?= 10MB,100MB,1GB
BENCH_TLS_SIZES ?= 100MB
bench: $(CLI) reference
	SIZES=$(BENCH_SIZES) TLS_SIZES=$(BENCH_TLS_SIZES) DOTNET=$(DOTNET) bench/run.sh

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
