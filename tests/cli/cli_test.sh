#!/usr/bin/env bash
# Contract tests of the meshbeat CLI, run as real processes.
# usage: cli_test.sh MESHBEAT_BINARY CASE   (CASE: one of the functions below)
: "${PYTHON:=python3}"
set -euo pipefail

MB=$(realpath "$1")
CASE=$2
HERE=$(cd "$(dirname "$0")" && pwd)
VERIFY="$PYTHON $HERE/cose_verify.py"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

fail() { echo "FAIL: $*" >&2; exit 1; }
expect_fail() { if "$@" >/dev/null 2>&1; then fail "expected failure: $*"; fi; }

# A cluster authority and one admitted node, shared by most cases.
setup_mesh() {
  AUTH=$($MB keygen --out auth.key)
  NODE=$($MB keygen --out node.key)
  $MB cert issue --authority auth.key --node-id "$NODE" --name node1 \
    --domain rack1 --ttl 30d --out node.cert >/dev/null
}

case_keygen() {
  local id
  id=$($MB keygen --out k.key)
  [[ $id =~ ^[0-9a-f]{64}$ ]] || fail "node id is not 64 lowercase hex: $id"
  [ "$(stat -c %a k.key)" = 600 ] || fail "key mode is $(stat -c %a k.key)"
  [ "$($MB id --key k.key)" = "$id" ] || fail "id --key disagrees with keygen"
  expect_fail $MB keygen --out k.key           # never replaces a key
  chmod 644 k.key
  expect_fail $MB id --key k.key               # world-readable key refused
  local why
  why=$($MB id --key k.key 2>&1 || true)
  [[ $why == *"readable by group or others"* ]] ||
    fail "no clear reason for a readable key: $why"
  local a b
  a=$($MB keygen --out s1.key --seed "$(printf '01%.0s' {1..32})")
  b=$($MB keygen --out s2.key --seed "$(printf '01%.0s' {1..32})")
  [ "$a" = "$b" ] || fail "seeded keygen is not reproducible"
}

case_help() {
  for cmd in keygen id cert wire inspect; do
    $MB "$cmd" --help | grep -q "usage: meshbeat $cmd" ||
      fail "$cmd --help has no usage line"
  done
  $MB help | grep -q inspect || fail "help lists no commands"
  $MB version | grep -Eq '^meshbeat [0-9]+\.[0-9]+' || fail "version line"
  set +e
  $MB no-such-command 2>/dev/null
  [ $? -eq 2 ] || fail "unknown command must exit 2"
  $MB keygen 2>/dev/null
  [ $? -eq 2 ] || fail "missing --out must exit 2"
  set -e
}

# Every kind of sample verifies with inspect and with the independent
# verifier, for the right cluster only.
case_samples() {
  setup_mesh
  for kind in ping ack ping-req nack push-pull push-pull-reply join leave \
              gossip heartbeat suspect dead app; do
    $MB wire sample "$kind" --key node.key --cert node.cert --cluster prod \
      >"$kind.bin"
    $MB inspect --cluster prod --authority "$AUTH" "$kind.bin" >out.txt ||
      fail "inspect rejects $kind: $(tail -3 out.txt)"
    $VERIFY --cluster prod --authority "$AUTH" "$kind.bin" >/dev/null ||
      fail "independent verifier rejects $kind"
    expect_fail $MB inspect --cluster other "$kind.bin"
    expect_fail $VERIFY --cluster other "$kind.bin"
  done
  $MB inspect --cluster prod heartbeat.bin | grep -q "record\[0\]: heartbeat" ||
    fail "heartbeat sample carries no heartbeat record"
  $MB inspect --cluster prod leave.bin | grep -q "status left" ||
    fail "leave sample does not say left"
  # An app message keeps its channel and payload; a heartbeat its tasks.
  $MB wire sample app --key node.key --cluster prod --channel 7 \
    --payload c0ffee >app7.bin
  $MB inspect --cluster prod app7.bin | grep -q \
    "message: app channel 7, payload 3 bytes" || fail "app channel 7 not shown"
  $PYTHON -c 'import cbor2, sys
m = cbor2.loads(cbor2.loads(open(sys.argv[1], "rb").read()).value[2])[3]
assert m == {0: 10, 1: 7, 2: bytes.fromhex("c0ffee")}, m' app7.bin ||
    fail "the app message is not {0: 10, 1: 7, 2: h'c0ffee'}"
  $MB wire sample heartbeat --key node.key --cluster prod --task 5:4096 \
    --task 6:0 >tasks.bin
  $MB inspect --cluster prod tasks.bin |
    grep -q "tasks 5: 4096 bytes done, 6: 0 bytes done" ||
    fail "tasks: $($MB inspect --cluster prod tasks.bin)"
  expect_fail $MB wire sample app --key node.key --cluster prod --channel 256
  expect_fail $MB wire sample app --key node.key --cluster prod --payload abc
  expect_fail $MB wire sample heartbeat --key node.key --cluster prod \
    --task 5
  # The bridge's records by themselves: a cursor about its signer, an
  # instruction by the authority and one by a member (inspect shows who,
  # and judges neither bad for it).
  local out
  $MB wire sample cursor --key node.key --cluster prod --target "$NODE" \
    >cursor.bin
  $MB wire sample instruction --key auth.key --cluster prod --target "$NODE" \
    --op undrain --instruction-id ins-9 >ins.bin
  $MB wire sample instruction --key node.key --cluster prod --target "$NODE" \
    >ins-member.bin
  for f in cursor ins ins-member; do
    $VERIFY --cluster prod "$f.bin" >/dev/null ||
      fail "independent verifier rejects $f"
    expect_fail $MB inspect --cluster other "$f.bin"
  done
  out=$($MB inspect --cluster prod --authority "$AUTH" cursor.bin) ||
    fail "inspect rejects the cursor: $out"
  [[ $out == *"bridge-cursor"* && $out == *"delivered 42, pending 1"* ]] ||
    fail "inspect: $out"
  out=$($MB inspect --cluster prod --authority "$AUTH" ins.bin) ||
    fail "inspect rejects the instruction: $out"
  [[ $out == *'op "undrain" (id "ins-9")'* &&
    $out == *"signer is the authority: yes"* ]] || fail "inspect: $out"
  out=$($MB inspect --cluster prod --authority "$AUTH" ins-member.bin) ||
    fail "inspect rejects a member's instruction: $out"
  [[ $out == *'op "drain"'* && $out == *"signer is the authority: no"* ]] ||
    fail "inspect: $out"
  # The RAID publication records: verified independently, their bodies
  # shown, subject and version agreeing with them.
  local k
  for k in raid-array raid-task raid-leader; do
    $MB wire sample $k --key node.key --cluster prod --target "$NODE" >$k.bin
    $VERIFY --cluster prod "$k.bin" >/dev/null ||
      fail "independent verifier rejects $k"
    expect_fail $MB inspect --cluster other "$k.bin"
    out=$($MB inspect --cluster prod "$k.bin") || fail "inspect rejects $k"
    [[ $out == *"record[0]: $k"* &&
      $out == *"body: agrees with subject and version"* ]] ||
      fail "inspect: $out"
  done
  [[ $($MB inspect --cluster prod raid-array.bin) == \
    *'array "eu-archive" term 3 index 120'* ]] || fail "array body"
}

# Changing any single byte of a datagram makes inspect fail.
case_tamper() {
  setup_mesh
  $MB wire sample heartbeat --key node.key --cert node.cert --cluster prod \
    >hb.bin
  local size i
  size=$(stat -c %s hb.bin)
  for ((i = 0; i < size; i++)); do
    "$PYTHON" - "$i" <<'PY'
import sys
i = int(sys.argv[1])
data = bytearray(open("hb.bin", "rb").read())
data[i] ^= 0x01
open("bad.bin", "wb").write(bytes(data))
PY
    if $MB inspect --cluster prod --authority "$AUTH" bad.bin >/dev/null 2>&1
    then
      fail "inspect accepted a datagram with byte $i changed"
    fi
  done
  echo "all $size single-byte changes rejected"
}

case_certs() {
  setup_mesh
  $MB inspect --authority "$AUTH" node.cert >/dev/null ||
    fail "valid certificate rejected"
  $VERIFY --cluster x --authority "$AUTH" node.cert >/dev/null ||
    fail "independent verifier rejects the certificate"
  local other
  other=$($MB keygen --out other.key)
  $MB cert issue --authority other.key --node-id "$NODE" --name node1 \
    --out foreign.cert >/dev/null
  $MB inspect --authority "$AUTH" foreign.cert >out.txt 2>&1 &&
    fail "certificate of another authority accepted"
  grep -q "another authority" out.txt || fail "no reason for foreign cert"
  $MB cert issue --authority auth.key --node-id "$NODE" --name node1 \
    --issued-at $(( $(date +%s) - 7200 )) --ttl 1h --out old.cert >/dev/null
  $MB inspect --authority "$AUTH" old.cert >out.txt 2>&1 &&
    fail "expired certificate accepted"
  grep -q "expired" out.txt || fail "no reason for expired cert"
  expect_fail $VERIFY --cluster x --authority "$AUTH" old.cert
  # --ttl: a bare number is seconds (short certificates for tests of
  # expiry), units s m h d y, default 365 days; nothing else.
  local t0=1800000000 spec want rc
  for spec in 30:30 30s:30 90m:5400 2h:7200 1d:86400 1y:31536000 \
    default:31536000; do
    set -- --ttl "${spec%%:*}"
    [ "${spec%%:*}" != default ] || set --
    $MB cert issue --authority auth.key --node-id "$NODE" --name node1 \
      --issued-at $t0 "$@" --out ttl.cert >/dev/null
    want=$(date -u -d "@$((t0 + ${spec##*:}))" +%Y-%m-%dT%H:%M:%SZ)
    $MB inspect ttl.cert | grep -q "expires $want" ||
      fail "--ttl ${spec%%:*}: want expiry $want: $($MB inspect ttl.cert)"
    rm ttl.cert
  done
  for spec in 0 30x 1.5h -5 ""; do
    set +e
    $MB cert issue --authority auth.key --node-id "$NODE" --name node1 \
      --ttl "$spec" --out ttl.cert >/dev/null 2>&1
    rc=$?
    set -e
    [ $rc -eq 2 ] || fail "--ttl '$spec': exit $rc, want 2"
    [ ! -e ttl.cert ] || fail "--ttl '$spec' wrote a certificate"
  done
  # A datagram whose carried certificate is foreign fails inspect too.
  $MB wire sample ping --key node.key --cert foreign.cert --cluster prod >p.bin
  expect_fail $MB inspect --cluster prod --authority "$AUTH" p.bin
}

# --role, repeated: the certificate carries every role in order (claim
# -65538, read back by cbor2 independently of meshbeat), as the RAID
# layer's coordinators and the bridge need; at most 8 roles of at most 31
# bytes, else usage (exit 2) and no file.
case_roles() {
  setup_mesh
  $MB cert issue --authority auth.key --node-id "$NODE" --name node1 \
    --role coordinator --role bridge --out roles.cert >/dev/null
  $MB inspect --authority "$AUTH" roles.cert >out.txt ||
    fail "certificate with roles rejected: $(cat out.txt)"
  grep -q "roles coordinator,bridge" out.txt || fail "inspect: $(cat out.txt)"
  local claimed
  claimed=$($PYTHON -c '
import cbor2, sys
cert = cbor2.loads(open(sys.argv[1], "rb").read())
assert cert.tag == 61 and cert.value.tag == 18
print(",".join(cbor2.loads(cert.value.value[2])[-65538]))' roles.cert)
  [ "$claimed" = coordinator,bridge ] || fail "claim -65538 is '$claimed'"
  $MB inspect --authority "$AUTH" node.cert | grep -q roles &&
    fail "a certificate issued without --role shows roles"
  local rc nine=() r
  for r in 1 2 3 4 5 6 7 8 9; do nine+=(--role "r$r"); done
  for args in "${nine[*]}" "--role $(printf 'x%.0s' {1..32})"; do
    set +e
    # shellcheck disable=SC2086  # the roles are words on purpose
    $MB cert issue --authority auth.key --node-id "$NODE" --name node1 \
      $args --out bad.cert >/dev/null 2>&1
    rc=$?
    set -e
    [ $rc -eq 2 ] || fail "${args:0:40}...: exit $rc, want 2"
    [ ! -e bad.cert ] || fail "${args:0:40}... wrote a certificate"
  done
  $MB cert issue --authority auth.key --node-id "$NODE" --name node1 \
    "${nine[@]:0:16}" --out eight.cert >/dev/null ||
    fail "8 roles refused"
}

# Datagrams bound to a receiver (body key 6), signed or MACed: inspect
# shows them, and checks them only when told what the datagram does not
# hold (the receiver's epoch; for a MAC, one end's key and the other's
# id).  Otherwise a clean exit 1 with one line, never a crash.
case_bound() {
  setup_mesh
  local to rc epoch=0123456789abcdef
  to=$($MB keygen --out to.key)
  for mac in "" --mac; do
    $MB wire sample ping --key node.key --cluster prod --to "$to" \
      --to-epoch $epoch $mac >p.bin
    set +e
    $MB inspect --cluster prod p.bin >out.txt 2>err.txt
    rc=$?
    set -e
    [ $rc -eq 1 ] || fail "unjudged bound ping${mac:+ ($mac)} exited $rc"
    [ "$(wc -l <err.txt)" -eq 1 ] || fail "want a one-line reason"
    grep -q "not checked" err.txt || fail "reason: $(cat err.txt)"
    grep -q "bound to receiver ${to:0:16}" out.txt ||
      fail "inspect does not name the receiver"
    grep -q "^diagnostic:" out.txt || fail "no diagnostic notation"
    $MB inspect --cluster prod --key node.key --peer "$to" \
      --to-epoch $epoch p.bin >/dev/null || fail "bound ping${mac:+ ($mac)}"
    expect_fail $MB inspect --cluster prod --key node.key --peer "$to" \
      --to-epoch 0123456789abcdee p.bin
    expect_fail $MB inspect --cluster other --key node.key --peer "$to" \
      --to-epoch $epoch p.bin
  done
  # The receiver checks a MAC from its own side: its key, the sender's id.
  $MB inspect --cluster prod --key to.key --peer "$NODE" --to-epoch $epoch \
    p.bin >out.txt || fail "the receiver's side rejects the MAC"
  grep -q "^17(\[<<{1: 4}>>, {4: h'${NODE:0:16}'}" out.txt ||
    fail "a MACed ping is not COSE_Mac0 with the sender's ref as kid"
  expect_fail $MB wire sample ping --key node.key --cluster prod --mac
}

# The pair key and the tag of a MACed datagram, recomputed by pair_mac.py
# (PyNaCl, hmac) from the two key files alone; any byte changed, another
# epoch, another receiver or the roles swapped must fail.
case_mac() {
  local pair="$PYTHON $HERE/pair_mac.py"
  local a b c epoch=00c0ffee00c0ffee size i
  a=$($MB keygen --out a.key)
  b=$($MB keygen --out b.key)
  c=$($MB keygen --out c.key)
  for dir in "a b $b" "b a $a"; do
    set -- $dir
    $MB wire sample ping --key "$1.key" --cluster prod --to "$3" \
      --to-epoch $epoch --mac >"$1$2.bin"
    $pair --cluster prod --sender-key "$1.key" --receiver-key "$2.key" \
      --epoch $epoch "$1$2.bin" >/dev/null ||
      fail "pair_mac rejects a MACed ping from $1 to $2"
  done
  $MB wire sample ping-req --key a.key --cluster prod --to "$b" \
    --to-epoch $epoch --mac >req.bin
  $pair --cluster prod --sender-key a.key --receiver-key b.key \
    --epoch $epoch req.bin >/dev/null || fail "pair_mac rejects a ping-req"
  local ok="--cluster prod --sender-key a.key --receiver-key b.key"
  expect_fail $pair $ok --epoch 00c0ffee00c0ffef ab.bin
  expect_fail $pair --cluster prod --sender-key a.key --receiver-key c.key \
    --epoch $epoch ab.bin
  expect_fail $pair --cluster prod --sender-key b.key --receiver-key a.key \
    --epoch $epoch ab.bin
  expect_fail $pair --cluster other --sender-key a.key --receiver-key b.key \
    --epoch $epoch ab.bin
  # The same ping built for c (its ref and id in the AAD): not b's.
  $MB wire sample ping --key a.key --cluster prod --to "$c" \
    --to-epoch $epoch --mac >ac.bin
  expect_fail $pair $ok --epoch $epoch ac.bin
  # Every single-byte change, judged by the same code in one process.
  "$PYTHON" - "$HERE" $epoch <<'PY' || fail "a changed byte passed"
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, sys.argv[1])
import pair_mac
a = pair_mac.load_identity("a.key")
b = pair_mac.load_identity("b.key")
epoch = int(sys.argv[2], 16)
good = open("ab.bin", "rb").read()
pair_mac.check(good, "prod", a, b, epoch)
for i in range(len(good)):
    bad = bytearray(good)
    bad[i] ^= 0x01
    try:
        pair_mac.check(bytes(bad), "prod", a, b, epoch)
    except Exception:
        continue
    sys.exit(f"byte {i} changed and still accepted")
print(f"all {len(good)} single-byte changes rejected")
PY
}

case_garbage() {
  printf 'hello' >g1.bin
  head -c 300 /dev/urandom >g2.bin
  : >g3.bin
  for f in g1.bin g2.bin g3.bin; do
    set +e
    $MB inspect "$f" >/dev/null 2>err.txt
    rc=$?
    set -e
    [ $rc -eq 1 ] || fail "inspect of garbage $f exited $rc, want 1"
    [ "$(wc -l <err.txt)" -eq 1 ] || fail "want a one-line reason for $f"
  done
}

# cert revoke: the authority's revocation verifies independently (as a
# record, under the cluster name) and inspect shows what it says; one not
# signed by the authority, or for another cluster, is judged bad; usage
# errors exit 2, and revoke without an agent exits 3.
case_revoke() {
  setup_mesh
  local out
  out=$($MB cert revoke --authority auth.key --node-id "$NODE" \
    --reason "key lost" --cluster prod --out rev.bin)
  [[ $out == *"meshbeat revoke rev.bin"* ]] || fail "no next step: $out"
  $VERIFY --cluster prod --authority "$AUTH" rev.bin >/dev/null ||
    fail "revocation does not verify independently"
  expect_fail $VERIFY --cluster other --authority "$AUTH" rev.bin
  out=$($MB inspect --cluster prod --authority "$AUTH" rev.bin)
  [[ $out == *"revocation"* && $out == *'reason "key lost"'* &&
    $out == *"signer is the authority: yes"* ]] || fail "inspect: $out"
  $MB cert revoke --authority node.key --node-id "$NODE" --cluster prod \
    --out forged.bin >/dev/null
  expect_fail $VERIFY --cluster prod --authority "$AUTH" forged.bin
  expect_fail $MB inspect --cluster prod --authority "$AUTH" forged.bin
  set +e
  $MB cert revoke --authority auth.key --out x.bin 2>/dev/null
  [ $? -eq 2 ] || fail "missing --node-id must exit 2"
  $MB cert revoke --authority auth.key --node-id abc --out x.bin 2>/dev/null
  [ $? -eq 2 ] || fail "bad --node-id must exit 2"
  $MB cert revoke --authority auth.key --node-id "$NODE" --out x.bin \
    --reason "$(printf 'x%.0s' {1..200})" 2>/dev/null
  [ $? -eq 2 ] || fail "an overlong --reason must exit 2"
  $MB revoke rev.bin --admin-socket "$WORK/none.sock" 2>/dev/null
  [ $? -eq 3 ] || fail "revoke without an agent must exit 3"
  set -e
  $MB cert revoke --help | grep -q "usage: meshbeat cert revoke" ||
    fail "cert revoke --help"
  revoke_cert
}

# One field of a signed record's or certificate's payload, read with cbor2
# (bytes as hex), so that what cert revoke wrote is checked independently.
payload_field() {
  $PYTHON - "$1" "$2" <<'EOF'
import sys
import cbor2
v = cbor2.loads(open(sys.argv[1], "rb").read())
while isinstance(v, cbor2.CBORTag):
    v = v.value
x = cbor2.loads(v[2]).get(int(sys.argv[2]))
print(x.hex() if isinstance(x, bytes) else x)
EOF
}

# cert revoke --cert: the node id is the certificate's and the revocation
# lapses when the certificate expires; --node-id, when given too, must
# agree; a certificate of another authority, or an --until before the
# expiry (which would admit the node again), is refused.  --node-id alone
# still never lapses.
revoke_cert() {
  local out exp
  out=$($MB cert revoke --authority auth.key --cert node.cert \
    --cluster prod --out crev.bin)
  [[ $out == *"meshbeat revoke crev.bin"* ]] || fail "no next step: $out"
  $VERIFY --cluster prod --authority "$AUTH" crev.bin >/dev/null ||
    fail "certificate revocation does not verify independently"
  exp=$(payload_field node.cert 4)
  [[ $exp =~ ^[0-9]+$ ]] || fail "no expiry in the certificate: $exp"
  [ "$(payload_field crev.bin 4)" = "$exp" ] ||
    fail "until is not the certificate's expiry $exp"
  [ "$(payload_field crev.bin 1)" = "$NODE" ] ||
    fail "subject is not the certificate's node"
  [ "$(payload_field rev.bin 4)" = None ] || fail "--node-id must not lapse"
  $MB cert revoke --authority auth.key --cert node.cert --node-id "$NODE" \
    --until $((exp + 86400)) --out both.bin >/dev/null ||
    fail "--cert with the same --node-id and a later --until refused"
  [ "$(payload_field both.bin 4)" = $((exp + 86400)) ] ||
    fail "an explicit --until is not kept"
  local other
  other=$($MB keygen --out other.key)
  set +e
  $MB cert revoke --authority auth.key --cert node.cert --node-id "$other" \
    --out x.bin 2>/dev/null
  [ $? -eq 2 ] || fail "--cert and another --node-id must exit 2"
  $MB cert revoke --authority auth.key --cert node.cert \
    --until $((exp - 60)) --out x.bin 2>/dev/null
  [ $? -eq 2 ] || fail "an --until before the expiry must exit 2"
  $MB cert revoke --authority other.key --cert node.cert --out x.bin \
    2>err.txt
  [ $? -eq 1 ] || fail "another authority's certificate must exit 1"
  grep -q "not issued by this authority" err.txt || fail "$(cat err.txt)"
  $MB cert revoke --authority auth.key --cert nosuch.cert --out x.bin \
    2>/dev/null
  [ $? -eq 1 ] || fail "a missing certificate must exit 1"
  set -e
  [ ! -e x.bin ] || fail "a refused revocation was written"
}

"case_$CASE"
echo "cli $CASE: ok"
