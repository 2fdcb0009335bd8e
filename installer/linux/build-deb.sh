#!/bin/sh
# Build dist/sealdesk_<version>_<arch>.deb from the PyInstaller bundle: `make deb` (docs/install.md).
# Usage: installer/linux/build-deb.sh BUNDLE_DIR VERSION ARCH OUT_DIR
# The package: the bundle in /opt/sealdesk, wrappers /usr/bin/sealdesk and /usr/bin/sealdesk-gui, a desktop
# entry for PDF and OFD, hicolor icons, the OFD MIME type, udev rules for USB keys, Recommends: softhsm2.
set -eu
bundle=$1; version=$2; arch=$3; out=$4
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ -x "$bundle/sealdesk" ] && [ -x "$bundle/sealdesk-gui" ] || { echo "no bundle in $bundle: run make dist" >&2; exit 1; }
command -v patchelf >/dev/null || { echo "patchelf is needed: apt-get install patchelf" >&2; exit 1; }

stage=$root/build/deb/sealdesk_${version}_${arch}
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" \
    "$stage/usr/share/mime/packages" "$stage/usr/lib/udev/rules.d" "$stage/usr/share/doc/sealdesk" \
    "$stage/usr/share/lintian/overrides" "$stage/usr/share/man/man1"
cp -a "$bundle" "$stage/opt/sealdesk"

for name in sealdesk sealdesk-gui; do
    # a wrapper, not a symlink: the bundle finds its _internal folder beside the real executable
    printf '#!/bin/sh\nexec /opt/sealdesk/%s "$@"\n' "$name" > "$stage/usr/bin/$name"
    sed "s/@NAME@/$name/g; s/@VERSION@/$version/g" "$here/sealdesk.1.in" | gzip -9n > "$stage/usr/share/man/man1/$name.1.gz"
done
install -m 0644 "$here/sealdesk.desktop" "$stage/usr/share/applications/sealdesk.desktop"
install -m 0644 "$here/sealdesk-mime.xml" "$stage/usr/share/mime/packages/sealdesk.xml"
install -m 0644 "$here/70-sealdesk-usb-keys.rules" "$stage/usr/lib/udev/rules.d/70-sealdesk-usb-keys.rules"
install -m 0644 "$here/lintian-overrides" "$stage/usr/share/lintian/overrides/sealdesk"
for size in 16 24 32 48 64 128 256; do
    mkdir -p "$stage/usr/share/icons/hicolor/${size}x${size}/apps"
    install -m 0644 "$root/resources/icons/sealdesk-$size.png" "$stage/usr/share/icons/hicolor/${size}x${size}/apps/sealdesk.png"
done
mkdir -p "$stage/usr/share/icons/hicolor/scalable/apps"
install -m 0644 "$root/resources/icons/sealdesk.svg" "$stage/usr/share/icons/hicolor/scalable/apps/sealdesk.svg"
install -m 0644 "$here/copyright" "$stage/usr/share/doc/sealdesk/copyright"
date=$(date -R -d "@${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}")
printf 'sealdesk (%s) unstable; urgency=medium\n\n  * Release %s (see the project history).\n\n -- SealDesk developers <sealdesk@example.org>  %s\n' \
    "$version" "$version" "$date" | gzip -9n > "$stage/usr/share/doc/sealdesk/changelog.gz"
for script in postinst postrm; do
    install -m 0755 "$here/$script" "$stage/DEBIAN/$script"
done

# RUNPATHs pointing at the build machine's Python (pyenv: /root/.pyenv/...) are dropped: the bundle's
# bootloader sets the library path itself, and a path into someone's home must not ship (lintian:
# custom-library-search-path). $ORIGIN-relative ones (wheels' own library folders) are kept.
find "$stage/opt/sealdesk" -type f \( -name '*.so' -o -name '*.so.*' \) | while read -r lib; do
    runpath=$(patchelf --print-rpath "$lib" 2>/dev/null) || continue
    case "$runpath" in
        ""|'$ORIGIN'*) ;;
        *) patchelf --remove-rpath "$lib" ;;
    esac
done

# modes as Debian wants them (the bundle's libraries come from wheels with assorted modes)
find "$stage" -type d -exec chmod 0755 {} +
find "$stage/opt/sealdesk" -type f -exec chmod 0644 {} +
find "$stage/opt/sealdesk" -type f \( -name '*.so' -o -name '*.so.*' \) -exec chmod 0644 {} +
chmod 0755 "$stage/opt/sealdesk/sealdesk" "$stage/opt/sealdesk/sealdesk-gui" "$stage/usr/bin/sealdesk" "$stage/usr/bin/sealdesk-gui"

size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
# The bundle runs only on a glibc at least as new as the newest symbol version its binaries use (those of
# the build machine's Python and libraries): say so in Depends instead of failing at start.
glibc=$(find "$stage/opt/sealdesk" -type f \( -name '*.so*' -o -name 'sealdesk*' \) -exec objdump -T {} + 2>/dev/null \
    | grep -o 'GLIBC_2\.[0-9]*' | sed 's/GLIBC_//' | sort -t. -k2 -n -u | tail -1)
sed "s/@VERSION@/$version/; s/@ARCH@/$arch/; s/@SIZE@/$size/; s/@GLIBC@/${glibc:-2.31}/" "$here/control.in" > "$stage/DEBIAN/control"
mkdir -p "$out"
deb=$out/sealdesk_${version}_${arch}.deb
# xz -6 for the release (smallest download); CI may pass DEB_XZ_LEVEL=1 (several times faster, ~10 % larger)
fakeroot dpkg-deb --build -Zxz -z"${DEB_XZ_LEVEL:-6}" "$stage" "$deb" >/dev/null
echo "$deb ($(du -h "$deb" | cut -f1); installed $(du -sh --exclude=DEBIAN "$stage" | cut -f1))"
