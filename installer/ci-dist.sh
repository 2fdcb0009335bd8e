#!/usr/bin/env bash
# CI for the installers (`make test-dist`, run by .ci/run after `make test`), as root on a Debian/Ubuntu machine:
#   1. the bundle dist/sealdesk: --version, demo-key, stamp a PDF, verify it (SealDesk and pdfsig), and the
#      GUI started offscreen until its main window is drawn, saved as a PNG;
#   2. the .deb: dpkg -i, /usr/bin/sealdesk --version and a stamp, dpkg -r and --purge, nothing left behind;
#   3. the wheel: installed into a clean venv, `sealdesk --version` and `sealdesk demo-key` from there.
# Usage: installer/ci-dist.sh VERSION ARCH   (after make deb wheel)
set -euo pipefail
version=$1; arch=$2
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bundle=$root/dist/sealdesk
deb=$root/dist/sealdesk_${version}_${arch}.deb
wheel=$root/dist/sealdesk-${version}-py3-none-any.whl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SEALDESK_LANG=en
unset PYTHONPATH  # only the built artifacts are tested (a checkout on the path would shadow the wheel)
step() { printf '== %s (%ss)\n' "$1" "$SECONDS"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
# contains TEXT NEEDLE: the whole output is read first — `cmd | grep -q` closes the pipe at the first match,
# and with pipefail the command's broken pipe then fails the step.
contains() { [[ $1 == *"$2"* ]] || { printf '%s\n' "$1" >&2; return 1; }; }

# A one-page contract to stamp (made with the project venv: the PDF is the input, not what is tested).
"${PYTHON:-.venv/bin/python}" - "$work/contract.pdf" <<'PY'
import sys

import pymupdf

doc = pymupdf.open()
page = doc.new_page()
page.insert_text((72, 100), "Contract", fontsize=18)
page.insert_text((72, 140), "甲方（盖章）", fontname="china-s", fontsize=14)
doc.save(sys.argv[1])
PY

# stamp_and_verify CLI HOME: demo key, stamp with the duty seal, verify with SealDesk and with pdfsig
stamp_and_verify() {
    local cli=$1 home=$2
    SEALDESK_HOME=$home "$cli" demo-key >/dev/null
    local seal
    seal=$(echo 123456 | SEALDESK_HOME=$home "$cli" seals --pin-stdin --json \
        | python3 -c "import json, sys; print([s['name'] for s in json.load(sys.stdin) if s['kind'] == 'duty'][0])")
    echo 123456 | SEALDESK_HOME=$home "$cli" stamp "$work/contract.pdf" --seal "$seal" --page 1 --at 60,50 \
        --pin-stdin --out "$home/stamped.pdf"
    SEALDESK_HOME=$home "$cli" trust add "$home/demo/demo-root-ca.pem" >/dev/null
    SEALDESK_HOME=$home "$cli" verify "$home/stamped.pdf" || fail "$cli verify"
    contains "$(pdfsig "$home/stamped.pdf")" "Signature Validation: Signature is Valid" || fail "pdfsig on $home/stamped.pdf"
}

step "bundle: $(du -sh "$bundle" | cut -f1)"
"$bundle/sealdesk" --version | tee "$work/version.txt"
grep -q "^SealDesk $version$" "$work/version.txt" || fail "bundle --version"
grep -q "bundle, $bundle" "$work/version.txt" || fail "bundle --version does not run from the bundle"
stamp_and_verify "$bundle/sealdesk" "$work/bundle-home"
step "bundle: GUI offscreen"
shown=$(SEALDESK_HOME=$work/bundle-home QT_QPA_PLATFORM=offscreen SEALDESK_BENCH_EXIT_ON_SHOWN=1 \
    SEALDESK_SCREENSHOT_ON_SHOWN=$work/main-window.png timeout 60 "$bundle/sealdesk-gui" "$work/contract.pdf")
echo "$shown"
[[ $shown == shown* ]] || fail "the bundled GUI did not show its window"
python3 - "$work/main-window.png" <<'PY' || fail "no screenshot of the main window"
import struct, sys
data = open(sys.argv[1], "rb").read(24)
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
width, height = struct.unpack(">II", data[16:24])
assert width >= 600 and height >= 400, (width, height)
print(f"main window screenshot {width}x{height}")
PY
mkdir -p build/ci && cp "$work/main-window.png" build/ci/bundle-main-window.png

step "deb: $(du -h "$deb" | cut -f1)"
dpkg -i "$deb" || { apt-get install -f -y -qq; dpkg -s sealdesk >/dev/null; }
dpkg -L sealdesk > "$work/files.txt"
contains "$(/usr/bin/sealdesk --version)" "bundle, /opt/sealdesk" || fail "/usr/bin/sealdesk --version"
stamp_and_verify /usr/bin/sealdesk "$work/deb-home"
[ -f /usr/lib/udev/rules.d/70-sealdesk-usb-keys.rules ] && [ -f /usr/share/applications/sealdesk.desktop ] \
    || fail "udev rules or desktop entry not installed"
dpkg -r sealdesk >/dev/null
dpkg --purge sealdesk >/dev/null
left=""
while read -r path; do
    [ -e "$path" ] && [ ! -d "$path" ] && left="$left $path"
done < "$work/files.txt"
[ -z "$left" ] || fail "left behind after purge:$left"
[ ! -e /opt/sealdesk ] || fail "/opt/sealdesk left behind"
if dpkg -s sealdesk >/dev/null 2>&1; then fail "dpkg still knows sealdesk"; fi
echo "removed and purged: $(wc -l < "$work/files.txt") paths gone"

step "wheel: clean venv"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$wheel"
contains "$("$work/venv/bin/sealdesk" --version)" "Python package" || fail "wheel --version"
contains "$(SEALDESK_HOME=$work/wheel-home "$work/venv/bin/sealdesk" demo-key)" "SealDesk Demo" || fail "wheel demo-key"
step "packaging checks passed"
