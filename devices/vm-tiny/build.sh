#!/bin/sh
# Builds netloom's built-in VM guest, netloom-tiny: the Debian cloud kernel and an
# initramfs of the host's busybox-static, the virtio modules the kernel needs from its
# package, and the init in this folder (which reads the netloom.* kernel parameters).
#
#   sh devices/vm-tiny/build.sh OUTDIR      (make vm-image runs it with build/vm)
#
# Writes OUTDIR/netloom-tiny/{vmlinuz,initrd.img,manifest.json}. The kernel packages
# are fetched once with `apt-get download` into OUTDIR/debs and unpacked there with
# dpkg-deb (nothing is installed on the host); later builds reuse them. Outputs are
# renamed into place only when complete, manifest.json last (make's target), so an
# interrupted build is never mistaken for a finished one.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
img="$out/netloom-tiny"
debs="$out/debs"
meta=linux-image-cloud-amd64
busybox=${BUSYBOX:-/bin/busybox}
# In load order (each one's dependencies first); virtio_blk and virtio_console are for
# disks and a config drive. Modules the kernel has built in are skipped.
modules="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
failover net_failover virtio_net virtio_blk virtio_console"

die () {
  echo "build.sh: $*" >&2
  exit 1
}

# The initramfs has no libraries: the busybox must be static (no ELF interpreter).
if [ ! -x "$busybox" ] || readelf -l "$busybox" | grep -q INTERP; then
  die "$busybox is not a static busybox: install the Debian package busybox-static (make deps)"
fi

# 1. The kernel packages: the meta package names the versioned image package it needs.
mkdir -p "$debs"
cd "$debs"
set -- "$meta"_*.deb
if [ ! -f "$1" ]; then
  # Stale package lists name files the mirror no longer has: refresh them once.
  apt-get download "$meta" >/dev/null 2>apt.err \
    || { apt-get update -qq >/dev/null 2>&1; apt-get download "$meta" >/dev/null 2>apt.err; } \
    || die "apt-get download $meta failed: $(cat apt.err)"
  set -- "$meta"_*.deb
fi
dep=$(dpkg-deb -f "$1" Depends | tr ',' '\n' | grep -o 'linux-image-[^ ]*' | head -n 1)
ver=$(dpkg-deb -f "$1" Depends | tr ',' '\n' | grep "$dep" | sed -n 's/.*(= *\([^)]*\)).*/\1/p')
[ -n "$dep" ] || die "$1 depends on no linux-image package"
# The versioned package's file name escapes an epoch's ':' as %3a.
set -- "$dep"_"$(echo "${ver:-*}" | sed 's/:/%3a/')"_*.deb
if [ ! -f "$1" ]; then
  apt-get download "$dep${ver:+=$ver}" >/dev/null 2>apt.err \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get download "$dep${ver:+=$ver}" >/dev/null 2>apt.err; } \
    || die "apt-get download $dep failed: $(cat apt.err)"
  set -- "$dep"_*.deb
fi
kdeb="$debs/$1"
kpkgver=$(dpkg-deb -f "$kdeb" Version)
rm -f apt.err

tmp=$(mktemp -d "$out/.netloom-tiny.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$kdeb" "$tmp/pkg"
kver=$(ls "$tmp/pkg/lib/modules")
[ -n "$kver" ] && [ -f "$tmp/pkg/boot/vmlinuz-$kver" ] || die "$kdeb holds no kernel"

# 2. The initramfs tree.
root="$tmp/root"
mkdir -p "$root"
for d in bin sbin usr/bin usr/sbin etc root tmp proc sys dev run var/run \
  usr/share/udhcpc etc/udhcpc etc/netloom-tiny "lib/modules/$kver"; do
  mkdir -p "$root/$d"
done
cp "$busybox" "$root/bin/busybox"
# One symlink per applet, where busybox itself would put it (bin, sbin, usr/...).
"$busybox" --list-full | while read -r a; do
  [ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
done
for a in ping nc wget httpd udhcpc ip ifconfig route setsid cttyhack insmod; do
  "$busybox" --list | grep -qx "$a" || die "$busybox has no $a applet"
done
install -m 0755 "$here/init" "$root/init"
install -m 0755 "$here/default.script" "$root/usr/share/udhcpc/default.script"
# busybox's udhcpc (Debian's build) looks for its script here.
ln -s /usr/share/udhcpc/default.script "$root/etc/udhcpc/default.script"

: >"$root/etc/netloom-tiny/modules"
mods_json=""
for m in $modules; do
  if grep -q "/$m.ko\$" "$tmp/pkg/lib/modules/$kver/modules.builtin" 2>/dev/null; then
    continue
  fi
  p=$(cd "$tmp/pkg" && find "lib/modules/$kver" -name "$m.ko*" | head -n 1)
  [ -n "$p" ] || die "kernel $kver has module $m neither built in nor as a file"
  mkdir -p "$root/$(dirname "$p")"
  cp "$tmp/pkg/$p" "$root/$p"
  echo "/$p" >>"$root/etc/netloom-tiny/modules"
  mods_json="$mods_json${mods_json:+, }\"$m\""
done
echo "$kver" >"$root/etc/netloom-tiny/kernel"

cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
tty:x:5:
nogroup:x:65534:
EOF
cat >"$root/etc/hosts" <<'EOF'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
EOF
cat >"$root/etc/inittab" <<'EOF'
::respawn:/bin/cttyhack /bin/sh -l
::ctrlaltdel:/bin/reboot
::shutdown:/bin/sync
EOF
cat >"$root/etc/profile" <<'EOF'
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root
export PS1='\h:\w# '
export TERM=${TERM:-vt100}
cd "$HOME"
EOF
: >"$root/etc/resolv.conf"
echo netloom-tiny >"$root/etc/hostname"

# 3. The archive: newc cpio, gzip. Sorted names, root's files, fixed times and inode
# numbers: the same sources give the same bytes.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort \
  | "$busybox" cpio -o -H newc -R 0:0 --renumber-inodes --ignore-devno 2>/dev/null) \
  | gzip -9 -n >"$tmp/initrd.img"

mkdir -p "$img"
cp "$tmp/pkg/boot/vmlinuz-$kver" "$tmp/vmlinuz"
bbver=$("$busybox" 2>&1 | head -n 1 | sed 's/^BusyBox \(v[^ ]*\).*/\1/')
size=$(stat -c %s "$tmp/initrd.img")
cat >"$tmp/manifest.json" <<EOF
{
  "name": "netloom-tiny",
  "kernel": "$kver",
  "kernel_package": "$dep $kpkgver",
  "busybox": "$bbver",
  "modules": [$mods_json],
  "initrd_bytes": $size
}
EOF
mv -f "$tmp/vmlinuz" "$img/vmlinuz"
mv -f "$tmp/initrd.img" "$img/initrd.img"
mv -f "$tmp/manifest.json" "$img/manifest.json"
echo "netloom-tiny: kernel $kver, initrd $size bytes in $img"
