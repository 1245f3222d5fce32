#!/bin/sh
# mkimage.sh — builds a small container image archive from the host's busybox-static,
# with plain tar, sha256sum, gzip and jq (no docker). A helper for the image and
# container tests; tests/run.sh runs every tests/e2e/*.sh, and without arguments this
# one only prints this text (no test lines, so it counts for nothing).
#
#   mkimage.sh OUT.tar [--oci] [--gzip] [--name NAME] [--text TEXT]
#
#   OUT.tar      the archive to write
#   --oci        an OCI image layout (oci-layout, index.json, blobs/sha256/...) plus
#                docker's manifest.json, as `docker save` of docker 25+ writes it;
#                default: the classic `docker save` layout (manifest.json, <id>.json,
#                <layer>/layer.tar)
#   --gzip       gzip-compressed layers (default: plain tar)
#   --name NAME  the image's name (RepoTags / io.containerd.image.name); default web:1
#   --text TEXT  the contents of /www/index.html (one line); default
#                "hello from netloom"
#
# The image (stable: other tests rely on it):
#   layer 1  the busybox root file system netloom's built-in busybox image has
#            (/bin/busybox, a symlink per applet, /etc/passwd, group, hosts, proc sys
#            dev tmp root etc var/run run home), plus /etc/motd ("motd from layer 1"),
#            /opq/lower.txt ("lower") and /keep/kept.txt ("kept")
#   layer 2  deletes /etc/motd (whiteout .wh.motd), makes /opq opaque (.wh..wh..opq)
#            with /opq/upper.txt ("upper"), and adds /www/index.html (TEXT)
#   config   Cmd ["httpd","-f","-p","80","-h","/www"], ExposedPorts 80/tcp,
#            Env PATH=/usr/sbin:/usr/bin:/sbin:/bin and GREETING=netloom,
#            WorkingDir /www
# Layer 1 is byte-for-byte the same for every run with the same busybox (sorted,
# fixed times and owners), so images made by this script share it; a different TEXT
# gives a different layer 2 and image id.
set -eu

if [ $# -eq 0 ]; then
  sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'
  exit 0
fi

out=$1
shift
oci=0
gz=0
name=web:1
text="hello from netloom"
while [ $# -gt 0 ]; do
  case $1 in
    --oci) oci=1 ;;
    --gzip) gz=1 ;;
    --name) name=$2; shift ;;
    --text) text=$2; shift ;;
    *) echo "mkimage.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done

bb=/bin/busybox
[ -x "$bb" ] || { echo "mkimage.sh: $bb missing (Debian package busybox-static)" >&2; exit 1; }
w=$(mktemp -d /tmp/mkimage.XXXXXX)
trap 'rm -rf "$w"' EXIT

# Layer 1: the busybox root.
r1=$w/r1
mkdir -p "$r1"
for d in bin sbin usr usr/bin usr/sbin proc sys dev etc var var/run run home opq keep; do
  mkdir -p "$r1/$d"
done
install -d -m 1777 "$r1/tmp"
install -d -m 0700 "$r1/root"
chmod 0555 "$r1/proc" "$r1/sys"
cp "$bb" "$r1/bin/busybox"
chmod 0755 "$r1/bin/busybox"
"$bb" --list-full | while read -r a; do
  case $a in
    bin/busybox | "") continue ;;
    bin/*) target=busybox ;;
    */*/*) target=../../bin/busybox ;;
    */*) target=../bin/busybox ;;
    *) target=bin/busybox ;;
  esac
  mkdir -p "$r1/$(dirname "$a")"
  ln -sf "$target" "$r1/$a"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r1/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$r1/etc/group"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$r1/etc/hosts"
echo "motd from layer 1" >"$r1/etc/motd"
echo lower >"$r1/opq/lower.txt"
echo kept >"$r1/keep/kept.txt"

# Layer 2: a whiteout, an opaque directory, the web root.
r2=$w/r2
mkdir -p "$r2/etc" "$r2/opq" "$r2/www"
: >"$r2/etc/.wh.motd"
: >"$r2/opq/.wh..wh..opq"
echo upper >"$r2/opq/upper.txt"
printf '%s\n' "$text" >"$r2/www/index.html"

mktar () { # DIR OUT: a reproducible tar of DIR's contents
  tar -C "$1" --sort=name --mtime=@1700000000 --owner=0 --group=0 --numeric-owner \
    --format=gnu -cf "$2" .
}
sha () { sha256sum "$1" | cut -d' ' -f1; }

mktar "$r1" "$w/l1.tar"
mktar "$r2" "$w/l2.tar"
d1=$(sha "$w/l1.tar")
d2=$(sha "$w/l2.tar")
if [ "$gz" -eq 1 ]; then
  gzip -n -c "$w/l1.tar" >"$w/l1.blob"
  gzip -n -c "$w/l2.tar" >"$w/l2.blob"
  lmt=application/vnd.oci.image.layer.v1.tar+gzip
else
  cp "$w/l1.tar" "$w/l1.blob"
  cp "$w/l2.tar" "$w/l2.blob"
  lmt=application/vnd.oci.image.layer.v1.tar
fi

jq -n -c --arg d1 "sha256:$d1" --arg d2 "sha256:$d2" '{
  architecture: "amd64", os: "linux", created: "2026-01-01T00:00:00Z",
  config: {
    Env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=netloom"],
    Cmd: ["httpd", "-f", "-p", "80", "-h", "/www"],
    ExposedPorts: {"80/tcp": {}},
    WorkingDir: "/www"
  },
  rootfs: {type: "layers", diff_ids: [$d1, $d2]}
}' >"$w/config.json"
cd_=$(sha "$w/config.json")

a=$w/archive
mkdir -p "$a"
if [ "$oci" -eq 1 ]; then
  mkdir -p "$a/blobs/sha256"
  b1=$(sha "$w/l1.blob")
  b2=$(sha "$w/l2.blob")
  cp "$w/l1.blob" "$a/blobs/sha256/$b1"
  cp "$w/l2.blob" "$a/blobs/sha256/$b2"
  cp "$w/config.json" "$a/blobs/sha256/$cd_"
  jq -n -c --arg c "sha256:$cd_" --argjson cs "$(stat -c %s "$w/config.json")" \
    --arg b1 "sha256:$b1" --argjson s1 "$(stat -c %s "$w/l1.blob")" \
    --arg b2 "sha256:$b2" --argjson s2 "$(stat -c %s "$w/l2.blob")" --arg lmt "$lmt" '{
    schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
    layers: [{mediaType: $lmt, digest: $b1, size: $s1}, {mediaType: $lmt, digest: $b2, size: $s2}]
  }' >"$w/manifest.oci"
  md=$(sha "$w/manifest.oci")
  cp "$w/manifest.oci" "$a/blobs/sha256/$md"
  case $name in
    */*) full=$name ;;
    *) full=docker.io/library/$name ;;
  esac
  jq -n -c --arg m "sha256:$md" --argjson ms "$(stat -c %s "$w/manifest.oci")" \
    --arg full "$full" --arg tag "${name##*:}" '{
    schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m,
                 size: $ms, annotations: {"io.containerd.image.name": $full,
                                          "org.opencontainers.image.ref.name": $tag}}]
  }' >"$a/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$a/oci-layout"
  jq -n -c --arg c "blobs/sha256/$cd_" --arg n "$name" \
    --arg l1 "blobs/sha256/$b1" --arg l2 "blobs/sha256/$b2" \
    '[{Config: $c, RepoTags: [$n], Layers: [$l1, $l2]}]' >"$a/manifest.json"
else
  mkdir -p "$a/$d1" "$a/$d2"
  cp "$w/l1.blob" "$a/$d1/layer.tar"
  cp "$w/l2.blob" "$a/$d2/layer.tar"
  cp "$w/config.json" "$a/$cd_.json"
  jq -n -c --arg c "$cd_.json" --arg n "$name" --arg l1 "$d1/layer.tar" --arg l2 "$d2/layer.tar" \
    '[{Config: $c, RepoTags: [$n], Layers: [$l1, $l2]}]' >"$a/manifest.json"
fi
case $out in
  /*) ;;
  *) out=$PWD/$out ;;
esac
(cd "$a" && tar --sort=name --owner=0 --group=0 --numeric-owner -cf "$out" -- *)
