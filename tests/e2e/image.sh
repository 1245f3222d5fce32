#!/bin/sh
# The image store as a user meets it: `netloom image import` of `docker save` archives
# and OCI layouts (plain and gzip, from a file and from stdin) made by mkimage.sh, ls,
# inspect, rm; layers shared between images; whiteouts and opaque directories checked
# through a real overlay mount of the layers; names moving between images; aliases; the
# built-in busybox and host images; clear errors for corrupt archives, unsafe paths and
# missing images, with nothing left behind by a failed import.
. "$(dirname "$0")/lib.sh.inc"
e2e_init i

MK="$E2E_TOP/tests/e2e/mkimage.sh"
export NETLOOM_IMAGE_DIR="$T/store"
export NETLOOM_IMAGE_ALIASES="$T/aliases.yaml"
S=$NETLOOM_IMAGE_DIR

# No temp dirs of an import left in a store.
no_leftovers () {
  [ -z "$(ls -A "$1/tmp" 2>/dev/null)" ] && ! ls -A "$1/layers" 2>/dev/null | grep -q '^\.tmp-'
}
layer_count () { ls -1 "$S/layers" | grep -c -E '^[0-9a-f]{64}$'; }
out_lacks () { ! grep -q -e "$1" "$OUT"; }
json_of () { "$NETLOOM" image inspect "$1" | jq -r "$2"; }

# save_archive OUT NAME LAYER.tar...: a docker-save archive of these layers (lowest
# first) with an empty config.
save_archive () {
  _out=$1 _name=$2
  shift 2
  _d=$(mktemp -d "$T/save.XXXXXX")
  _ids="" _paths=""
  for _l in "$@"; do
    _h=$(sha256sum "$_l" | cut -d' ' -f1)
    mkdir -p "$_d/$_h" && cp "$_l" "$_d/$_h/layer.tar"
    _ids="$_ids sha256:$_h" _paths="$_paths $_h/layer.tar"
  done
  jq -n -c --arg ids "$_ids" '{config: {}, rootfs: {type: "layers",
    diff_ids: ($ids | split(" ") | map(select(. != "")))}}' >"$_d/c"
  _c=$(sha256sum "$_d/c" | cut -d' ' -f1)
  mv "$_d/c" "$_d/$_c.json"
  jq -n -c --arg c "$_c.json" --arg n "$_name" --arg p "$_paths" \
    '[{Config: $c, RepoTags: [$n], Layers: ($p | split(" ") | map(select(. != "")))}]' \
    >"$_d/manifest.json"
  (cd "$_d" && tar -cf "$_out" -- *)
  rm -rf "$_d"
}

# --- archives ------------------------------------------------------------------------
check "mkimage.sh makes a docker-save archive" sh "$MK" "$T/web1.tar" --name web:1
check "mkimage.sh makes an OCI archive with gzip layers" \
  sh "$MK" "$T/web2.tar" --oci --gzip --name docker.io/library/web:2 --text "second site"
check "mkimage.sh makes an OCI archive with plain layers" \
  sh "$MK" "$T/web3.tar" --oci --name web:3 --text "third site"

# --- import docker save --------------------------------------------------------------
run "$NETLOOM" image import "$T/web1.tar"
assert "import of a docker-save archive exits 0" rc_is 0
assert "import names the image it imported" out_has '^imported web:1$'
assert "the store has the image's two layers" [ "$(layer_count)" -eq 2 ]
assert "the import left no temp dirs" no_leftovers "$S"

run "$NETLOOM" image inspect web:1
assert "inspect web:1 exits 0" rc_is 0
assert "inspect gives the image's Cmd" \
  [ "$(jq -c .config.Cmd "$OUT")" = '["httpd","-f","-p","80","-h","/www"]' ]
assert "inspect gives ExposedPorts 80/tcp" jq -e '.config.ExposedPorts["80/tcp"]' "$OUT"
assert "inspect gives the WorkingDir" [ "$(jq -r .config.WorkingDir "$OUT")" = /www ]
assert "inspect gives the Env" jq -e '.config.Env | index("GREETING=netloom")' "$OUT"
assert "inspect lists two layers, lowest first" [ "$(jq '.layer_dirs | length' "$OUT")" -eq 2 ]
assert "the record says docker-save" [ "$(jq -r .format "$OUT")" = docker-save ]
ID1=$(jq -r .id "$OUT")
BASE=$(jq -r '.layer_dirs[0]' "$OUT")
TOP1=$(jq -r '.layer_dirs[1]' "$OUT")
assert "the image id is the config's sha256" expr "$ID1" : 'sha256:[0-9a-f]\{64\}$'
assert "the base layer has bin/busybox" [ -x "$BASE/bin/busybox" ]
assert "a layer keeps owners (root) and modes (tmp 1777)" \
  [ "$(stat -c '%u %a' "$BASE/tmp")" = "0 1777" ]
assert "a whiteout is an overlayfs whiteout (char 0:0)" \
  [ "$(stat -c '%F %t:%T' "$TOP1/etc/motd")" = "character special file 0:0" ]

# --- whiteouts and opaque directories through a real overlay mount --------------------
mkdir -p "$T/mnt"
unshare -m --propagation private sh -c '
  mount -t overlay overlay -o "lowerdir=$2:$1" "$3" || exit 1
  for f in etc/motd opq/lower.txt; do [ -e "$3/$f" ] && echo "present $f"; done
  for f in etc/passwd keep/kept.txt opq/upper.txt www/index.html bin/sh; do
    [ -e "$3/$f" ] || echo "missing $f"
  done
  cat "$3/www/index.html"
  ls "$3/opq"
' sh "$BASE" "$TOP1" "$T/mnt" >"$T/overlay.out" 2>&1
RC=$?
RUN_CMD="overlay mount of web:1's layers"
cp "$T/overlay.out" "$OUT"
: >"$ERR"
assert "the layers mount as an overlay" rc_is 0
assert "the whited-out file (etc/motd) is absent in the overlay" out_lacks '^present etc/motd'
assert "the opaque dir hides the lower layer's file" out_lacks '^present opq/lower.txt'
assert "files of both layers are there" out_lacks '^missing'
assert "the top layer's index.html reads right" out_has '^hello from netloom$'
assert "the opaque dir shows only the upper file" [ "$(grep -c txt "$OUT")" -eq 1 ]

# --- OCI, gzip, layer sharing ---------------------------------------------------------
BASE_STAT=$(stat -c '%i %Z' "$BASE")
run "$NETLOOM" image import "$T/web2.tar"
assert "import of an OCI archive with gzip layers exits 0" rc_is 0
assert "the OCI image's name is normalised (docker.io/library/web:2 -> web:2)" \
  out_has '^imported web:2$'
assert "the shared base layer is not unpacked again (3 layers in all)" [ "$(layer_count)" -eq 3 ]
assert "the base layer dir is untouched" [ "$(stat -c '%i %Z' "$BASE")" = "$BASE_STAT" ]
assert "the import left no temp dirs" no_leftovers "$S"
assert "the OCI image is recorded as oci (OCI preferred over manifest.json)" \
  [ "$(json_of web:2 .format)" = oci ]
assert "both images use the same base layer dir" [ "$(json_of web:2 '.layer_dirs[0]')" = "$BASE" ]
TOP2=$(json_of web:2 '.layer_dirs[1]')
assert "the OCI image's top layer has its own index.html" \
  grep -qx "second site" "$TOP2/www/index.html"

run sh -c '"$1" image import - <"$2"' sh "$NETLOOM" "$T/web3.tar"
assert "import from stdin ('-') of an OCI archive with plain layers exits 0" rc_is 0
assert "stdin import names web:3" out_has '^imported web:3$'
assert "4 layers in all after the third image" [ "$(layer_count)" -eq 4 ]

# docker save's quirks: an empty layer (1024 zero bytes), a layer.tar that is a symlink
# to another one, the same layer twice in one image.
mkdir -p "$T/q" && tar -C "$T/q" -xf "$T/web1.tar"
EMPTY=$(head -c 1024 /dev/zero | sha256sum | cut -d' ' -f1)
mkdir -p "$T/q/$EMPTY" "$T/q/e2" && head -c 1024 /dev/zero >"$T/q/$EMPTY/layer.tar"
ln -s "../$EMPTY/layer.tar" "$T/q/e2/layer.tar"
QC=$(jq -r '.[0].Config' "$T/q/manifest.json")
jq -c --arg e "sha256:$EMPTY" '.rootfs.diff_ids = [.rootfs.diff_ids[0], $e, .rootfs.diff_ids[1], $e]
  | .config.Cmd = ["sh"]' "$T/q/$QC" >"$T/q/new.json"
QH=$(sha256sum "$T/q/new.json" | cut -d' ' -f1)
rm "$T/q/$QC" && mv "$T/q/new.json" "$T/q/$QH.json"
jq -c --arg c "$QH.json" --arg e "$EMPTY/layer.tar" \
  '.[0].Config = $c | .[0].RepoTags = ["quirks:1"] | .[0].Layers = [.[0].Layers[0], $e, .[0].Layers[1], "e2/layer.tar"]' \
  "$T/q/manifest.json" >"$T/q/m" && mv "$T/q/m" "$T/q/manifest.json"
(cd "$T/q" && tar -cf "$T/quirks.tar" -- *)
run "$NETLOOM" image import "$T/quirks.tar"
assert "an image with an empty layer, twice, once through a symlink, imports" rc_is 0
run "$NETLOOM" image inspect quirks:1
assert "its record lists all four layers" [ "$(jq '.layers | length' "$OUT")" -eq 4 ]
assert "the empty layer is an empty directory in the store" \
  sh -c '[ -d "$1" ] && [ -z "$(ls -A "$1")" ]' sh "$S/layers/$EMPTY"
assert "layer_dirs has each directory once, at its highest place" \
  [ "$(jq -r '.layer_dirs | map(split("/") | last | .[0:12]) | join(" ")' "$OUT")" = \
    "$(basename "$BASE" | cut -c1-12) $(basename "$TOP1" | cut -c1-12) $(echo "$EMPTY" | cut -c1-12)" ]
run "$NETLOOM" image rm quirks:1
assert "rm quirks:1 exits 0" rc_is 0
assert "the empty layer went with it" [ ! -e "$S/layers/$EMPTY" ]

# --- ls --------------------------------------------------------------------------------
run "$NETLOOM" image ls
assert "ls exits 0" rc_is 0
assert "ls prints the header" out_has '^NAME  *ID  *SIZE  *CREATED  *LAYERS$'
assert "ls lists web:1 with a 12-hex id and 2 layers" \
  out_has "^web:1  *$(echo "$ID1" | cut -c8-19)  .*  2\$"
assert "ls lists web:2 and web:3" sh -c 'grep -q "^web:2 " "$1" && grep -q "^web:3 " "$1"' sh "$OUT"
assert "ls lists the built-in busybox" out_has '^busybox:latest  *built-in'
assert "ls lists the built-in host image" out_has '^host:latest  *built-in'
run "$NETLOOM" image ls --json
assert "ls --json is a JSON array of images with ids" jq -e 'map(.id) | length >= 5' "$OUT"

# --- names: --tag, moving a name -------------------------------------------------------
run "$NETLOOM" image import "$T/web1.tar" --tag docker.io/library/site
assert "a re-import with --tag exits 0" rc_is 0
assert "--tag adds a normalised name (site:latest)" \
  [ "$(json_of site .id)" = "$ID1" ]
assert "the image keeps its other name" [ "$(json_of web:1 .id)" = "$ID1" ]
check "mkimage.sh makes another image" sh "$MK" "$T/web4.tar" --name web:1 --text "new one"
run "$NETLOOM" image import "$T/web4.tar"
assert "importing a name another image has exits 0" rc_is 0
ID4=$(json_of web:1 .id)
assert "the name moved to the new image" [ "$ID4" != "$ID1" ]
assert "the old image lost that name only" \
  [ "$(jq -r --arg id "$ID1" 'select(.id == $id) | .names | join(",")' "$S/images/"*.json)" = "site:latest" ]

# --- rm --------------------------------------------------------------------------------
# An image whose layers a running container has mounted is not removed.
W3=$(json_of web:3 '.layer_dirs[1]')
mkfifo "$T/hold"
spawn_bg unshare -m --propagation private sh -c \
  'mount -t overlay overlay -o "lowerdir=$2:$1" "$3" && echo mounted && read x <"$4"' \
  sh "$BASE" "$W3" "$T/mnt" "$T/hold" >"$T/hold.out" 2>&1
HOLD=$BG
if wait_for_output "$T/hold.out" '^mounted' "$HOLD"; then
  run "$NETLOOM" image rm web:3
  assert "rm refuses an image whose layer is mounted" rc_is 1
  assert "the error says it is in use and what to do" err_has "is in use: its layer .* is mounted"
  assert "the refused image is still there" [ -d "$W3" ]
else
  fail "an overlay of web:3's layers mounts (for the in-use check)"
fi
kill "$HOLD" 2>/dev/null
wait "$HOLD" 2>/dev/null

run "$NETLOOM" image rm web:3
assert "rm web:3 exits 0" rc_is 0
assert "rm removed the layer only web:3 used" [ "$(layer_count)" -eq 4 ]
assert "rm kept the shared base layer" [ -x "$BASE/bin/busybox" ]
run "$NETLOOM" image inspect web:3
assert "a removed image is gone" rc_is 1
run "$NETLOOM" image rm site
assert "rm of the last name of an image exits 0" rc_is 0
assert "its own layer went with it, the shared one stayed" \
  sh -c '[ ! -e "$1" ] && [ -d "$2" ]' sh "$TOP1" "$BASE"
run "$NETLOOM" image rm nosuch:1
assert "rm of a missing image fails" rc_is 1
assert "rm of a missing image says so" err_has "no image 'nosuch:1'"
run "$NETLOOM" image rm busybox
assert "rm refuses a built-in image" err_has 'built-in image'

# --- built-in busybox and host ---------------------------------------------------------
run "$NETLOOM" image inspect busybox
assert "inspect busybox exits 0" rc_is 0
assert "busybox's id is builtin:busybox" [ "$(jq -r .id "$OUT")" = builtin:busybox ]
assert "busybox's Cmd is sh" [ "$(jq -c .config.Cmd "$OUT")" = '["sh"]' ]
assert "busybox's PATH" jq -e '.config.Env | index("PATH=/usr/sbin:/usr/bin:/sbin:/bin")' "$OUT"
BB=$(jq -r '.layer_dirs[0]' "$OUT")
assert "the busybox layer is in the store" expr "$BB" : "$S/layers/"
assert "busybox layer: bin/sh -> busybox" [ "$(readlink "$BB/bin/sh")" = busybox ]
assert "busybox layer: usr/bin/wget -> ../../bin/busybox" \
  [ "$(readlink "$BB/usr/bin/wget")" = ../../bin/busybox ]
assert "busybox layer: its busybox is the host's" cmp -s /bin/busybox "$BB/bin/busybox"
assert "busybox layer: the binary runs" sh -c '[ "$("$1/bin/busybox" echo ok)" = ok ]' sh "$BB"
assert "busybox layer: /etc/passwd has root and nobody" \
  sh -c 'grep -q "^root:x:0:0:" "$1/etc/passwd" && grep -q "^nobody:" "$1/etc/passwd"' sh "$BB"
assert "busybox layer: tmp is 1777, proc sys dev run home exist" \
  sh -c '[ "$(stat -c %a "$1/tmp")" = 1777 ] && cd "$1" && [ -d proc ] && [ -d sys ] && [ -d dev ] && [ -d run ] && [ -d home ] && [ -d var/run ]' sh "$BB"
# A host busybox that changed (here: a record that says so) rebuilds the layer.
jq '.busybox_size = 1' "$S/builtin-busybox.json" >"$T/bb.json" && mv "$T/bb.json" "$S/builtin-busybox.json"
run "$NETLOOM" image inspect busybox
assert "a stale busybox image is rebuilt" \
  [ "$(jq -r .busybox_size "$OUT")" = "$(stat -c %s /bin/busybox)" ]
assert "the rebuilt layer is complete" [ "$(readlink "$(jq -r '.layer_dirs[0]' "$OUT")/bin/sh")" = busybox ]
assert "the rebuild left no temp dirs" no_leftovers "$S"

run "$NETLOOM" image inspect host
assert "the host image's only layer is /" [ "$(jq -c .layer_dirs "$OUT")" = '["/"]' ]

# --- aliases ---------------------------------------------------------------------------
cat >"$NETLOOM_IMAGE_ALIASES" <<'EOF'
"alpine:3": busybox
"frrouting/frr*": host
myweb: web:2
EOF
run "$NETLOOM" image inspect alpine:3
assert "an alias maps alpine:3 to busybox" [ "$(jq -r .id "$OUT")" = builtin:busybox ]
run "$NETLOOM" image inspect frrouting/frr:v8.4.1
assert "a glob alias maps frrouting/frr:v8.4.1 to host" [ "$(jq -r .id "$OUT")" = builtin:host ]
run "$NETLOOM" image inspect myweb
assert "an alias without a tag matches name:latest and maps to an imported image" \
  [ "$(jq -r '.names[0]' "$OUT")" = web:2 ]
run "$NETLOOM" image inspect alpine:4
assert "an unmapped name is not found" rc_is 1
printf '"alpine:3": busybox\nbad: [x\n' >"$NETLOOM_IMAGE_ALIASES"
run "$NETLOOM" image inspect alpine:3
assert "a broken alias file is an error" rc_is 1
assert "the error names the alias file with line and column" \
  err_has "$NETLOOM_IMAGE_ALIASES:[0-9]*:[0-9]*:"
printf 'frr: [host]\n' >"$NETLOOM_IMAGE_ALIASES"
run "$NETLOOM" image inspect busybox
assert "an alias to a list is an error naming line 1" err_has "$NETLOOM_IMAGE_ALIASES:1:6: expected the name"
rm -f "$NETLOOM_IMAGE_ALIASES"

# --- errors ----------------------------------------------------------------------------
run "$NETLOOM" image inspect nothere:1
assert "a missing image fails" rc_is 1
assert "the error says the image is not in the local store" \
  err_has_fixed "image 'nothere:1' is not in the local store ($S)"
assert "the error says how to import it" err_has_fixed 'netloom image import nothere.tar'

head -c 300000 "$T/web1.tar" >"$T/truncated.tar"
run "$NETLOOM" image import "$T/truncated.tar"
assert "a truncated archive fails" rc_is 1
assert "a truncated archive's error names the file" err_has "truncated.tar"
head -c 5000 /bin/busybox >"$T/garbage.tar"
run "$NETLOOM" image import "$T/garbage.tar"
assert "a file that is no archive fails" rc_is 1
assert "the error says it is not a tar archive" err_has 'not a tar archive'
mkdir -p "$T/notimage" && echo hi >"$T/notimage/readme"
tar -C "$T/notimage" -cf "$T/notimage.tar" readme
run "$NETLOOM" image import "$T/notimage.tar"
assert "a tar that is no image fails, saying what was expected" \
  err_has 'neither a `docker save` archive (manifest.json) nor an OCI image layout'
assert "failed imports left no temp dirs" no_leftovers "$S"

# A layer that breaks half way: nothing of it in the store.
mkdir -p "$T/bad" && tar -C "$T/bad" -xf "$T/web1.tar"
BASE_HEX=$(basename "$BASE")
head -c 800000 "$T/bad/$BASE_HEX/layer.tar" >"$T/bad/l" && mv "$T/bad/l" "$T/bad/$BASE_HEX/layer.tar"
(cd "$T/bad" && tar -cf "$T/badlayer.tar" -- *)
run env NETLOOM_IMAGE_DIR="$T/store2" "$NETLOOM" image import "$T/badlayer.tar"
assert "a truncated layer fails the import" rc_is 1
assert "the error names the layer" err_has "layer sha256:$(echo "$BASE_HEX" | cut -c1-12)"
assert "no half layer is left under its digest" [ ! -e "$T/store2/layers/$BASE_HEX" ]
assert "no temp dirs are left" no_leftovers "$T/store2"

# A layer that tries to climb out of its directory.
mkdir -p "$T/evil/in" && echo x >"$T/evil/escape"
tar -C "$T/evil/in" -P -cf "$T/evil/layer.tar" ../escape
EH=$(sha256sum "$T/evil/layer.tar" | cut -d' ' -f1)
save_archive "$T/evil.tar" evil:1 "$T/evil/layer.tar"
run "$NETLOOM" image import "$T/evil.tar"
assert "a layer with a '..' path is refused" err_has "unsafe path '../escape'"
assert "nothing was written outside the layer" [ ! -e "$S/layers/escape" ]
assert "the refused layer is not in the store" [ ! -e "$S/layers/$EH" ]

# xattrs: a layer's own are kept, but none of overlayfs's (only whiteouts make those).
mkdir -p "$T/xa/lo/d" "$T/xa/up/d"
echo lower >"$T/xa/lo/d/lower.txt"
echo upper >"$T/xa/up/d/upper.txt"
setfattr -n user.netloom -v kept "$T/xa/up/d/upper.txt"
setfattr -n trusted.overlay.opaque -v y "$T/xa/up/d"
ln "$T/xa/up/d/upper.txt" "$T/xa/up/d/hard.txt"
ln -s upper.txt "$T/xa/up/d/soft"
mknod "$T/xa/up/d/null" c 1 3
chown 123:456 "$T/xa/up/d/upper.txt"
chmod 4711 "$T/xa/up/d/upper.txt"
tar -C "$T/xa/lo" -cf "$T/xa/lo.tar" .
tar -C "$T/xa/up" --xattrs --xattrs-include='*' -cf "$T/xa/up.tar" .
save_archive "$T/xattrs.tar" xattrs:1 "$T/xa/lo.tar" "$T/xa/up.tar"
run "$NETLOOM" image import "$T/xattrs.tar"
assert "an image whose layer has xattrs imports" rc_is 0
XUP=$(json_of xattrs:1 '.layer_dirs[1]')
assert "a layer's own xattr is kept (user.netloom)" \
  [ "$(getfattr --only-values -n user.netloom "$XUP/d/upper.txt" 2>/dev/null)" = kept ]
assert "a layer's trusted.overlay.* xattr is dropped" \
  sh -c '! getfattr -n trusted.overlay.opaque "$1" >/dev/null 2>&1' sh "$XUP/d"
assert "a hard link stays a hard link" \
  [ "$(stat -c %i "$XUP/d/upper.txt")" = "$(stat -c %i "$XUP/d/hard.txt")" ]
assert "a symlink stays a symlink" [ "$(readlink "$XUP/d/soft")" = upper.txt ]
assert "a device stays a device (char 1:3)" \
  [ "$(stat -c '%F %t:%T' "$XUP/d/null")" = "character special file 1:3" ]
assert "owners and modes (setuid) are kept" [ "$(stat -c '%u:%g %a' "$XUP/d/upper.txt")" = "123:456 4711" ]
assert "a whiteout-made opaque dir does have it" \
  [ "$(getfattr --only-values -n trusted.overlay.opaque "$TOP2/opq" 2>/dev/null)" = y ]

# --- concurrent imports into one store --------------------------------------------------
export NETLOOM_IMAGE_DIR="$T/store3"
"$NETLOOM" -q image import "$T/web1.tar" >"$T/c1.out" 2>&1 &
P1=$!
"$NETLOOM" -q image import "$T/web2.tar" >"$T/c2.out" 2>&1 &
P2=$!
wait "$P1"
R1=$?
wait "$P2"
R2=$?
RUN_CMD="two concurrent imports"
cat "$T/c1.out" "$T/c2.out" >"$ERR"
assert "two concurrent imports both succeed" [ "$R1$R2" = 00 ]
S="$T/store3"
assert "they share the base layer (3 layers)" [ "$(layer_count)" -eq 3 ]
assert "both images are there" sh -c '"$1" image inspect web:1 && "$1" image inspect web:2' sh "$NETLOOM"

finish
