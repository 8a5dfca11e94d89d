# argmine: `make all` runs the pipeline on corpus/ into outputs/; `make test` runs the tests.
# Each stage is a file target whose prerequisites are its inputs, so up-to-date stages are skipped.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
ARGMINE := $(BIN)/argmine

CORPUS   ?= corpus
OUT      ?= outputs
TOPIC    ?= security alliances
# The topic as one shell word, whatever quotes it holds ("women's rights").
TOPIC_ARG = '$(subst ','\'',$(TOPIC))'
MODEL_DIR ?= models/claims
TAXONOMY ?= pipeline/resources/taxonomy.json
GOLD     ?= corpus/annotations/claims.jsonl
# Public argument data in the stance model (see its model card); EXTERNAL= trains without it.
EXTERNAL ?= --external claim_stance --external perspectrum --external-weight 0.1 --polarity
# More labelled policy texts: 37 documents on 22 topics (data/policy_texts*/README.md); EXTRA_GOLD= leaves them out.
EXTRA_GOLD ?= --extra-gold data/policy_texts --extra-gold data/policy_texts_2 --extra-gold data/policy_texts_3

# The texts (an OUT inside CORPUS is not one of them: segment skips it too). Both paths are
# spelled as find prints them, without "./" or a trailing "/", for the match.
tidy = $(patsubst %/,%,$(patsubst ./%,%,$(1)))
CORPUS_FILES := $(shell find $(call tidy,$(CORPUS)) -path '$(call tidy,$(OUT))' -prune -o -type f -not -path '*/.*' \
                  -not -path '*/annotations/*' -print 2>/dev/null | LC_ALL=C sort)
STANCE_MODEL := $(wildcard $(MODEL_DIR)/config.json $(MODEL_DIR)/weights.npz)
# Every stage depends on all of the code and its resources but the taxonomy (an input of themes
# alone), as the commands' own up-to-date checks do.
CODE := $(wildcard pipeline/*.py pipeline/schemas/*.json) \
        $(filter-out %/taxonomy.json,$(wildcard pipeline/resources/*.json pipeline/resources/*.jsonl))

.PHONY: all install test segment entities claims themes report train evaluate bench clean

all: install $(OUT)/report.html
	@$(ARGMINE) show summary $(OUT)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# The topic is a prerequisite of the claims: the stamp changes only when TOPIC does.
$(OUT)/.topic: FORCE
	@mkdir -p $(OUT)
	@echo $(TOPIC_ARG) | cmp -s - $@ || echo $(TOPIC_ARG) > $@
FORCE:

# The list of corpus files and the ignore file: a deleted or newly ignored file changes no
# remaining file's time, so the segment stage depends on this stamp too.
$(OUT)/.corpus: FORCE
	@mkdir -p $(OUT)
	@{ printf '%s\n' $(CORPUS_FILES); cat $(CORPUS)/.argmineignore 2>/dev/null || true; } | cmp -s - $@ \
		|| { printf '%s\n' $(CORPUS_FILES); cat $(CORPUS)/.argmineignore 2>/dev/null || true; } > $@

$(OUT)/documents.jsonl $(OUT)/sentences.jsonl &: $(CORPUS_FILES) $(OUT)/.corpus $(CODE) | $(VENV)/.installed
	$(ARGMINE) segment $(CORPUS) --out $(OUT)

$(OUT)/entities.jsonl: $(OUT)/documents.jsonl $(OUT)/sentences.jsonl $(CODE)
	$(ARGMINE) entities $(OUT)

$(OUT)/claims.jsonl: $(OUT)/documents.jsonl $(OUT)/sentences.jsonl $(OUT)/.topic $(CODE) $(STANCE_MODEL)
	$(ARGMINE) claims $(OUT) --topic $(TOPIC_ARG) --stance-model $(MODEL_DIR)

$(OUT)/themes.jsonl: $(OUT)/documents.jsonl $(OUT)/sentences.jsonl $(OUT)/claims.jsonl $(CODE) $(TAXONOMY)
	$(ARGMINE) themes $(OUT) --taxonomy $(TAXONOMY)

$(OUT)/report.html: $(OUT)/documents.jsonl $(OUT)/sentences.jsonl $(OUT)/entities.jsonl $(OUT)/claims.jsonl $(OUT)/themes.jsonl $(CODE)
	$(ARGMINE) report $(OUT)

segment: $(OUT)/sentences.jsonl
entities: $(OUT)/entities.jsonl
claims: $(OUT)/claims.jsonl
themes: $(OUT)/themes.jsonl
report: $(OUT)/report.html

# Retrain the stance model from the gold, the EXTRA_GOLD texts and the public data sets in EXTERNAL.
train: install
	$(ARGMINE) train --gold $(GOLD) --corpus $(CORPUS) --out $(MODEL_DIR) $(EXTRA_GOLD) $(EXTERNAL)

# Score every stage against the gold: leave-one-document-out for anything trained on it.
evaluate: install
	$(ARGMINE) evaluate --gold $(GOLD) --corpus $(CORPUS) --metrics $(MODEL_DIR)/metrics.json $(EXTRA_GOLD) $(EXTERNAL)

bench: install
	$(BIN)/python bench/run.py

test: install
	$(BIN)/python -m pytest

clean:
	rm -rf $(OUT)/.cache $(OUT)/.topic
