#!/bin/sh
# Container nodes through the netloom command: a busybox container and a host on a
# link; exec and shell enter the container's namespaces; logs (and logs -f until the lab
# is destroyed); the lab file's exec: runs inside the container; an OOM kill in inspect;
# supervisor stop/start; labs/containers.yaml; a container from an imported two-layer
# image; a missing image is refused before anything is created.
. "$(dirname "$0")/lib.sh.inc"
e2e_init k

LAB=ct$$
FILE="$T/$LAB.yaml"
cat >"$FILE" <<YAML
name: $LAB
prefix: $PFX
topology:
  nodes:
    c1:
      kind: linux
      image: busybox
      env: {GREETING: hello}
      exec: ["echo exec-sees-\$GREETING-in-\$(hostname) > /proc/1/fd/1"]
    hog:
      kind: linux
      image: busybox
      memory: 32M
      cmd: [dd, if=/dev/zero, of=/dev/null, bs=64M, count=1]
    h1: {kind: host}
  links:
    - endpoints: ["c1:eth1", "h1:eth1"]
      ipv4: ["10.79.0.1/24", "10.79.0.2/24"]
YAML

run "$NETLOOM" deploy "$FILE"
assert "a lab with a busybox container deploys" rc_is 0

run "$NETLOOM" exec "$LAB" c1 -- cat /etc/hostname
assert "exec reads the container's /etc/hostname" out_has '^c1$'
run "$NETLOOM" exec "$LAB" c1 -- cat /proc/1/comm
assert "PID 1 in the container is netloom's init" out_has '^netloom-init$'
run "$NETLOOM" exec "$LAB" c1 -- sh -c 'ls /proc | grep -c "^[0-9]"'
assert "the container sees only its own few processes" test "$(cat "$OUT")" -le 5
run "$NETLOOM" exec "$LAB" c1 -- test -e "$FILE"
assert "a host file is not visible in the container" rc_is 1
run "$NETLOOM" exec "$LAB" c1 -- ping -c 1 -W 2 10.79.0.2
assert "the container pings the host node over the lab link" rc_is 0
run "$NETLOOM" exec "$LAB" c1 -- sh -c 'exit 7'
assert "exec passes the command's status through" rc_is 7
run sh -c "echo 'hostname; exit' | '$NETLOOM' -q shell '$LAB' c1"
assert "shell runs inside the container, with a prompt naming it" out_has "^\[$LAB:c1.*\]# c1$"

if command -v script >/dev/null 2>&1; then
  # On a terminal, a terminal of the container's own (its devpts), with our size.
  run sh -c "printf 'tty; stty size; exit 4\\n' | script -qfec 'stty cols 101 rows 31; $NETLOOM shell $LAB c1' /dev/null"
  assert "shell on a terminal gets a terminal inside the container" out_has '^/dev/pts/[0-9]'
  assert "... with the size of ours" out_has '^31 101'
  assert "... and passes the shell's status through" rc_is 4
else
  echo "# script (util-linux) not installed: terminal checks skipped"
fi

run "$NETLOOM" logs "$LAB" c1
assert "logs prints the container's output (the lab file's exec: wrote it)" out_has '^exec-sees-hello-in-c1$'
run "$NETLOOM" logs "$LAB" h1
assert "logs of a node without a log exits 1" rc_is 1
assert "logs says that node has no log" err_has "has no log"

spawn_bg sh -c "'$NETLOOM' logs '$LAB' c1 -f >'$T/follow' 2>&1"
FOLLOW=$BG
wait_for_output "$T/follow" '^exec-sees' "$FOLLOW"
"$NETLOOM" exec "$LAB" c1 -- sh -c 'echo later-line >> /proc/1/fd/1'
assert "logs -f prints what is added" wait_for_output "$T/follow" '^later-line$' "$FOLLOW"

run "$NETLOOM" inspect "$LAB"
assert "inspect shows the container running" out_has '| c1 *| container | running'
# hog's command outgrows its memory limit at once; wait (bounded) for the supervisor to
# have seen its end.
_n=0
while [ "$_n" -lt 100 ] && ! "$NETLOOM" inspect "$LAB" | grep -q '^hog: exited'; do
  sleep 0.05
  _n=$((_n + 1))
done
run "$NETLOOM" inspect "$LAB"
assert "inspect says the OOM killer ended hog's command" \
  out_has '^hog: exited 137 — killed: out of memory (limit 32 MiB)$'
assert "inspect shows hog's state as exited 137" out_has '| hog *| container | exited 137'
run "$NETLOOM" exec "$LAB" hog -- true
assert "exec into an exited container says it is not running" err_has "container hog is not running"

"$NETLOOM" exec "$LAB" c1 -- sh -c 'echo kept > /root/file'
run "$NETLOOM" supervisor "$LAB" stop
assert "the supervisor stops (and its containers with it)" rc_is 0
run "$NETLOOM" exec "$LAB" c1 -- true
assert "exec then says the container is not running" err_has "container c1 is not running"
run "$NETLOOM" inspect "$LAB"
assert "inspect says why" out_has '| c1 *| container | down (no supervisor)'
run "$NETLOOM" supervisor "$LAB" start
assert "the supervisor starts again" rc_is 0
run "$NETLOOM" exec "$LAB" c1 -- cat /root/file
assert "the container runs again, with the files it wrote" out_has '^kept$'

run "$NETLOOM" destroy "$LAB"
assert "destroy exits 0" rc_is 0
assert "logs -f ends when the lab is destroyed" wait_for_output "$T/follow" 'was destroyed' "$FOLLOW"
assert "no namespace is left" no_netns_of "$PFX"
assert "no cgroup is left" test ! -e "/sys/fs/cgroup/memory/netloom/$PFX-$LAB-c1" -a ! -e "/sys/fs/cgroup/netloom/$PFX-$LAB-c1"
assert "no mount is left on the host" no_netns_mounts

# --- labs/containers.yaml ----------------------------------------------------------
CL=cl$$
sed -e "s/^name: containers\$/name: $CL/" "$E2E_TOP/labs/containers.yaml" >"$T/$CL.yaml"
printf 'prefix: %s\n' "$PFX" >>"$T/$CL.yaml"
run "$NETLOOM" deploy "$T/$CL.yaml"
assert "deploy labs/containers.yaml (as $CL)" rc_is 0
run "$NETLOOM" exec "$CL" cli -- wget -qO- http://web/
assert "cli fetches web's page by name" out_has '^hello from web$'
run "$NETLOOM" logs "$CL" web
assert "web's log has the request" out_has 'response:200'
run "$NETLOOM" destroy "$CL"
assert "the containers lab is destroyed, its volume kept" test -s "$T/netloom-$CL/volumes/www/index.html"
run "$NETLOOM" destroy --cleanup "$T/$CL.yaml"
assert "destroy --cleanup removes the volume" test ! -e "$T/netloom-$CL"

# --- an imported image (two layers, a whiteout, an opaque directory) --------------
export NETLOOM_IMAGE_DIR="$T/store"
check "mkimage.sh makes a docker-save archive" \
  sh "$E2E_TOP/tests/e2e/mkimage.sh" "$T/web.tar" --name "web:ct$$" --text "served by web"
check "netloom image import takes it" "$NETLOOM" image import "$T/web.tar"
WL=wb$$
cat >"$T/$WL.yaml" <<YAML
name: $WL
prefix: $PFX
topology:
  nodes:
    w1: {kind: linux, image: "web:ct$$", env: {GREETING: node-wins}}
    h1: {kind: host}
  links:
    - endpoints: ["w1:eth1", "h1:eth1"]
      ipv4: ["10.79.1.1/24", "10.79.1.2/24"]
YAML
run "$NETLOOM" deploy "$T/$WL.yaml"
assert "a container from the imported image deploys" rc_is 0
run "$NETLOOM" exec "$WL" w1 -- sh -c 'echo $(pwd) $GREETING; ls /opq; test ! -e /etc/motd && cat /keep/kept.txt'
assert "the image's WorkingDir, the node's env over the image's, its layers as one tree" \
  out_has '^/www node-wins$'
assert "an opaque directory shows the upper layer's files" out_has '^upper.txt$'
assert "an opaque directory hides the lower layer's files" sh -c "! grep -q lower.txt '$OUT'"
assert "a whiteout deletes, other lower files stay" out_has '^kept$'
run "$NETLOOM" exec "$WL" h1 -- busybox wget -qO- http://10.79.1.1/
assert "the image's Cmd (httpd) serves the host node over the lab link" out_has '^served by web$'
run "$NETLOOM" destroy "$WL"
assert "that lab is destroyed" rc_is 0
unset NETLOOM_IMAGE_DIR

cat >"$T/noimg.yaml" <<YAML
name: ni$$
prefix: $PFX
topology:
  nodes:
    c1: {kind: linux, image: "no-such-image:1"}
YAML
run "$NETLOOM" deploy "$T/noimg.yaml"
assert "deploy of a missing image fails" rc_is 2
assert "the error names the lab file's line" err_has "noimg.yaml:[0-9]*:[0-9]*:.*no-such-image"
assert "nothing is created for it" no_netns_of "$PFX"

finish
