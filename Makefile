# SealDesk — the two commands a newcomer needs: `make run` and `make test`.
# Both install what they need: Debian packages (softhsm2, poppler-utils, qpdf, the X11 libraries Qt's xcb
# platform plugin loads but the PySide6 wheel does not ship) when missing,
# a virtual environment in .venv, and the package with its test extras.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
APT_PACKAGES := softhsm2 poppler-utils qpdf
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup system-deps venv lint clean benchmark i18n p11sm2 dist deb wheel test-dist

# --demo-city: citysim on 127.0.0.1 beside the window, the demo key registered (docs/city-client.md)
run: setup
	$(VENV)/bin/sealdesk-gui --demo-city

# The whole suite runs twice: in zh_CN (the product's default language) and in English (the source
# language), so a test that only holds in one of them fails CI (docs/decisions.md, "Tests in both languages").
# The two runs go side by side (each session has its own data folder, SoftHSM store and ports), one per
# core: 7.8 min instead of ~13 on the 2-core CI machine; each run's output is printed when both are done.
TEST_LANGUAGES ?= zh_CN en

test: setup
	$(VENV)/bin/ruff check app tests benchmarks citysim
	@mkdir -p build/test-logs; \
	for lang in $(TEST_LANGUAGES); do \
		( SEALDESK_LANG=$$lang QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider \
			> build/test-logs/$$lang.log 2>&1; echo $$? > build/test-logs/$$lang.rc ) & \
	done; wait; \
	failed=""; for lang in $(TEST_LANGUAGES); do \
		echo "== pytest, SEALDESK_LANG=$$lang"; cat build/test-logs/$$lang.log; \
		[ "$$(cat build/test-logs/$$lang.rc)" = 0 ] || failed="$$failed $$lang"; \
	done; \
	if [ -n "$$failed" ]; then echo "== tests failed in:$$failed"; exit 1; fi

setup: system-deps venv p11sm2

# The SM2 test token (tests/p11sm2): a PKCS#11 module in C on OpenSSL 3 for the SM2 and PIN-lockout tests.
p11sm2: system-deps
	@$(MAKE) -s -C tests/p11sm2

system-deps:
	@missing=""; \
	command -v softhsm2-util >/dev/null 2>&1 || missing="$$missing softhsm2"; \
	command -v pdfsig >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	command -v qpdf >/dev/null 2>&1 || missing="$$missing qpdf"; \
	command -v cc >/dev/null 2>&1 || missing="$$missing gcc"; \
	[ -f /usr/include/openssl/evp.h ] || missing="$$missing libssl-dev"; \
	for pair in libxcb-cursor.so.0:libxcb-cursor0 libxcb-icccm.so.4:libxcb-icccm4 \
		libxcb-keysyms.so.1:libxcb-keysyms1 libxkbcommon-x11.so.0:libxkbcommon-x11-0 libEGL.so.1:libegl1; do \
		PATH="$$PATH:/sbin:/usr/sbin" ldconfig -p 2>/dev/null | grep -q "$${pair%%:*}" || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

lint: setup
	$(VENV)/bin/ruff check app tests benchmarks citysim

benchmark: setup
	$(PY) -m pip install -q -e '.[test,bench]'
	$(PY) benchmarks/run_all.py

i18n: setup
	$(PY) -m app.i18n_tools

# -- packaging (docs/install.md): the PyInstaller bundle, the Debian package, the wheel and sdist
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)

$(VENV)/.dist-installed: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[test,dist]'
	touch $@

dist: setup $(VENV)/.dist-installed
	@command -v objdump >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq binutils; }
	$(PY) -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller build.spec
	@du -sh dist/sealdesk

deb: dist
	@command -v patchelf >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq patchelf; }
	installer/linux/build-deb.sh dist/sealdesk $(VERSION) $(DEB_ARCH) dist

wheel: setup $(VENV)/.dist-installed
	$(PY) -m build --outdir dist .

# What CI adds after `make test`: bundle, .deb and wheel built and run (installer/ci-dist.sh)
test-dist: export DEB_XZ_LEVEL ?= 1
test-dist: deb wheel
	installer/ci-dist.sh $(VERSION) $(DEB_ARCH)

clean:
	rm -rf $(VENV) build dist *.egg-info
