#!/bin/sh
# The whole container story at once, as a user meets it: an image archive built here
# (tests/e2e/mkimage.sh: busybox, then a layer that deletes /etc/motd, makes /opq
# opaque and adds a web page) is imported, a container runs its httpd with
# `ports: ["PORT:80"]`, and the page is fetched from the host through the published
# port. Inside, the deleted and hidden files are absent; the container reaches a host
# node over a lab link; destroy leaves nothing behind.
. "$(dirname "$0")/lib.sh.inc"
e2e_init w

export NETLOOM_IMAGE_DIR="$T/images"
export NETLOOM_IMAGE_ALIASES="$T/aliases.yaml"
: >"$NETLOOM_IMAGE_ALIASES"
LAB=web$$
IMG="web$$:1"
# A high port of this run's own (two runs at once must not collide).
PORT=$((20000 + $$ % 20000))

check "build an image archive (docker save layout, gzip layers)" \
  sh "$E2E_TOP/tests/e2e/mkimage.sh" "$T/web.tar" --gzip --name "$IMG" --text "page of $LAB"
run "$NETLOOM" image import "$T/web.tar"
assert "netloom image import web.tar" rc_is 0

cat >"$T/$LAB.yaml" <<YAML
name: $LAB
prefix: $PFX
topology:
  nodes:
    web:
      kind: container
      image: $IMG
      ports: ["$PORT:80"]
    h1: {kind: host}
  links:
    - endpoints: ["web:eth1", "h1:eth1"]
      ipv4: ["10.31.0.2/24", "10.31.0.1/24"]
YAML

run "$NETLOOM" -q deploy "$T/$LAB.yaml"
assert "deploy a container from the imported image, port $PORT published" rc_is 0

# The image's own command (httpd -f -p 80) is up once it answers; the retries are
# bounded (the container's httpd starts as the deploy returns).
n=0
while [ $n -lt 50 ]; do
  timeout 2 busybox wget -q -O "$T/page" "http://127.0.0.1:$PORT/index.html" 2>/dev/null && break
  n=$((n + 1))
  sleep 0.1
done
check "the page is fetched from the host through 127.0.0.1:$PORT" grep -qx "page of $LAB" "$T/page"
check_rc 1 "the file layer 2 deleted (/etc/motd) is absent in the container" \
  "$NETLOOM" exec "$LAB" web -- test -e /etc/motd
check_rc 1 "the opaque directory hides layer 1's /opq/lower.txt" \
  "$NETLOOM" exec "$LAB" web -- test -e /opq/lower.txt
check "layer 2's /opq/upper.txt is there" "$NETLOOM" exec "$LAB" web -- test -e /opq/upper.txt
check "layer 1's /keep/kept.txt is there" "$NETLOOM" exec "$LAB" web -- test -e /keep/kept.txt
check "the container pings the host node over the lab link" \
  "$NETLOOM" exec "$LAB" web -- ping -c1 -W2 10.31.0.1
check "the host node fetches the page over the lab link" \
  "$NETLOOM" exec "$LAB" h1 -- timeout 5 busybox wget -q -O - http://10.31.0.2/index.html

run "$NETLOOM" destroy "$LAB"
assert "destroy $LAB" rc_is 0
check_rc 1 "nothing listens on 127.0.0.1:$PORT after destroy" \
  timeout 2 busybox wget -q -O /dev/null "http://127.0.0.1:$PORT/index.html"
assert "no namespace of the lab is left" no_netns_of "$PFX"
finish
