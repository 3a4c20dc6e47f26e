#!/usr/bin/python3
"""Storage faults with real agents and real LMDB files (ctest: storage_*).

usage: test_storage.py MESHBEAT TEST BASE_PORT
TEST: truncate_half | truncate_zero | flipped_bytes | corrupt_meta |
      unreadable | refutation_kill9 | failed_starts | schema_newer |
      runtime_damage

Each fault is made on the data.mdb of a stopped agent that has run in a
mesh; the agent must then refuse to start with a message saying what is
wrong and what to do, and exit with code 1: never a signal, never a start
on a damaged store, never a silent start as a brand-new node.  The
messages asserted here are the ones docs/operations.md ("Storage faults")
shows.  Set MESHBEAT_KEEP=1 to keep the logs and data directories.
"""
import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import time

from meshlib import Mesh, MeshError, admin_call, run_test

DETECT_S = 30
PSIZE_OFFSET = 16 + 24  # page header, then MDB_meta up to mm_dbs[0].md_pad


def store_file(agent):
    return os.path.join(agent.dir, "store", "data.mdb")


def settle(mesh, victim):
    """A mesh of three that has seen the victim restart, so its store holds
    members, events and an incarnation above the first; then the victim
    stops cleanly.  Returns the victim's last incarnation."""
    mesh.start_all()
    mesh.wait(mesh.converged, "the mesh to converge", DETECT_S)
    victim.kill(signal.SIGTERM)
    victim.start(join=())
    mesh.wait(mesh.converged, "the victim back in every view", DETECT_S)
    inc = victim.call("info")["incarnation"]
    if victim.call("events", limit=1000) == []:
        raise MeshError("the victim's store holds no events")
    victim.kill(signal.SIGTERM)
    if victim.proc.returncode != 0:
        raise MeshError(f"SIGTERM: exit code {victim.proc.returncode}")
    return inc


def start_expecting_refusal(agent, *words, extra=()):
    """Starts the agent on its store; it must exit with code 1 and say all
    of words, and must never answer on its admin socket."""
    log = os.path.join(agent.mesh.root, f"{agent.name}.refusal.log")
    with open(log, "wb") as out:
        proc = subprocess.Popen(agent.argv(()) + list(extra), stdout=out,
                                stderr=out, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + DETECT_S
    while proc.poll() is None:
        if time.monotonic() > deadline or agent.answers_socket():
            proc.kill()
            proc.wait()
            raise MeshError(f"{agent.name} started on a faulty store; "
                            f"see {log}")
        time.sleep(0.05)
    with open(log, encoding="utf-8", errors="replace") as f:
        text = f.read()
    if proc.returncode != 1:
        raise MeshError(f"exit code {proc.returncode} (want 1, never a "
                        f"signal); output:\n{text}")
    missing = [w for w in words if w not in text]
    if missing:
        raise MeshError(f"the refusal does not say {missing}:\n{text}")
    line = next(l for l in text.splitlines() if words[0] in l)
    print(f"refused, rc 1: {line[:400]}")
    return text


def answers_socket(agent):
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            s.connect(agent.admin)
            return True
    except OSError:
        return False


def starts(agent):
    """The incarnations the agent's starts took from its own store (its
    "started" log lines): what it says later may already be a refutation
    of what the mesh told it."""
    with open(os.path.join(agent.mesh.root, f"{agent.name}.log")) as f:
        return [json.loads(line)["incarnation"] for line in f
                if f'"agent {agent.name} started"' in line]


def kill9_restart(agent):
    """kill -9, start without seeds; the incarnation the start took."""
    n = len(starts(agent))
    agent.kill(signal.SIGKILL)
    agent.start(join=())
    agent.mesh.wait(lambda: len(starts(agent)) > n,
                    f"{agent.name}'s start in its log", DETECT_S)
    return starts(agent)[-1]


def reset_and_rejoin(mesh, victim, old_inc):
    """--reset-store sets the faulty store aside and starts afresh; the mesh
    still holds the old incarnation, so the new life refutes above it, and
    that refutation survives a kill -9."""
    victim.start(join=[0])
    aside = [d for d in os.listdir(victim.dir) if d.startswith("store.damaged-")]
    if len(aside) != 1:
        raise MeshError(f"the faulty store was not set aside: {aside}")
    mesh.wait(lambda: victim.call("info")["incarnation"] > old_inc,
              "the new life to refute above its old incarnation", DETECT_S)
    refuted = victim.call("info")["incarnation"]
    after = kill9_restart(victim)
    print(f"after --reset-store: refuted to {refuted}, kill -9, "
          f"restarted at {after}")
    if after <= refuted:
        raise MeshError(f"refuted incarnation {refuted} not persisted: "
                        f"restarted at {after}")


def with_reset(agent, fn):
    """Runs fn with --reset-store added to the agent's command line."""
    argv = agent.argv
    agent.argv = lambda join: argv(join) + ["--reset-store"]
    try:
        return fn()
    finally:
        agent.argv = argv


def test_truncate_half(mesh):
    victim = mesh.agents[2]
    inc = settle(mesh, victim)
    path = store_file(victim)
    size = os.path.getsize(path)
    os.truncate(path, size // 2)
    start_expecting_refusal(victim, "refusing to start: the store is damaged",
                            "the file was truncated", "--reset-store")
    if os.path.getsize(path) != size // 2:
        raise MeshError("the refused store was written to")
    with_reset(victim, lambda: reset_and_rejoin(mesh, victim, inc))


def test_truncate_zero(mesh):
    victim = mesh.agents[2]
    inc = settle(mesh, victim)
    path = store_file(victim)
    os.truncate(path, 0)
    start_expecting_refusal(victim, "refusing to start: the store has lost "
                            "its data", "data.mdb: an empty file (0 bytes)",
                            "this node has run before", "--reset-store")
    if os.path.getsize(path) != 0:
        raise MeshError("the refused store was initialised")
    # data.mdb gone altogether, its lock files still there: the same.
    os.unlink(path)
    start_expecting_refusal(victim, "refusing to start: the store has lost "
                            "its data", "data.mdb: missing", "--reset-store")
    with_reset(victim, lambda: reset_and_rejoin(mesh, victim, inc))


def used_offsets(data, psize):
    """Byte offsets of data.mdb that hold something in the pages after the
    two meta pages: each page's header and node pointers, and its nodes
    (LMDB's free space between lower and upper holds nothing)."""
    offsets = []
    for pg in range(2, len(data) // psize):
        base = pg * psize
        _, _, flags, lower, upper = struct.unpack_from("<QHHHH", data, base)
        if flags & 0x04 or not 16 <= lower <= upper <= psize:
            continue  # overflow data, or a free page with old contents
        offsets += range(base, base + lower)
        offsets += range(base + upper, base + psize)
    return offsets


def test_flipped_bytes(mesh):
    """200 flipped bytes in data pages (5 of 5 crashed on the first
    `events` request): each of 5 patterns is refused at start."""
    victim = mesh.agents[2]
    settle(mesh, victim)
    path = store_file(victim)
    with open(path, "rb") as f:
        pristine = f.read()
    psize = struct.unpack_from("<I", pristine, PSIZE_OFFSET)[0]
    offsets = used_offsets(pristine, psize)
    print(f"data.mdb: {len(pristine)} bytes, {len(offsets)} in use "
          f"after the meta pages")
    for seed in range(1, 6):
        rnd = random.Random(seed)
        data = bytearray(pristine)
        for off in rnd.sample(offsets, 200):
            data[off] ^= rnd.randrange(1, 256)
        with open(path, "wb") as f:
            f.write(data)
        start_expecting_refusal(victim, "refusing to start: the store is "
                                "damaged", "--reset-store")


def test_corrupt_meta(mesh):
    """Each meta page damaged in the ways LMDB checks (magic, version) and
    in the ways it trusts (page size, last page, root page)."""
    victim = mesh.agents[2]
    settle(mesh, victim)
    path = store_file(victim)
    with open(path, "rb") as f:
        pristine = f.read()
    psize = struct.unpack_from("<I", pristine, PSIZE_OFFSET)[0]
    txn = [struct.unpack_from("<Q", pristine, pg * psize + 16 + 128)[0]
           for pg in (0, 1)]
    used = 1 if txn[1] > txn[0] else 0
    base = used * psize + 16  # the MDB_meta of the page LMDB would use
    faults = {
        "magic of meta page 0": (16, b"\0\0\0\0",
                                 "meta page 0 is not an LMDB meta page"),
        "magic of meta page 1": (psize + 16, b"\xff\xff\xff\xff",
                                 "meta page 1 is not an LMDB meta page"),
        "data format version": (base + 4, struct.pack("<I", 7),
                                f"meta page {used} has LMDB data format 7"),
        "page size": (PSIZE_OFFSET, struct.pack("<I", 3000),
                      "meta page 0: page size 3000 is impossible"),
        "last page": (base + 120, struct.pack("<Q", 1 << 40),
                      "does not fit a file of"),
        "main root page": (base + 72 + 40, struct.pack("<Q", 1 << 33),
                           "the main database's root page"),
        "free-page root page": (base + 24 + 40, struct.pack("<Q", 1),
                                "the free-page database's root page"),
    }
    for what, (off, patch, words) in faults.items():
        data = bytearray(pristine)
        data[off:off + len(patch)] = patch
        with open(path, "wb") as f:
            f.write(data)
        print(f"{what}: ", end="")
        start_expecting_refusal(victim, "refusing to start: the store is "
                                "damaged", words, "--reset-store")


def test_unreadable(mesh):
    """A data.mdb that cannot be read as a file: refused, named."""
    victim = mesh.agents[2]
    settle(mesh, victim)
    path = store_file(victim)
    os.rename(path, path + ".real")
    os.mkdir(path)
    start_expecting_refusal(victim, "refusing to start: the store is damaged",
                            "data.mdb: not a regular file", "--reset-store")
    os.rmdir(path)
    os.symlink(path + ".missing", path)
    start_expecting_refusal(victim, "refusing to start: the store is damaged",
                            "data.mdb: No such file or directory")
    os.unlink(path)
    os.rename(path + ".real", path)
    if os.geteuid() != 0:  # root reads through any mode
        os.chmod(path, 0)
        start_expecting_refusal(victim, "refusing to start: the store is "
                                "damaged", "data.mdb: Permission denied")
        os.chmod(path, 0o600)
    victim.start(join=())


def claim_sender(mesh):
    """A certified key of the test's own, to accuse the victim as a
    member would."""
    root = mesh.root
    key, cert = os.path.join(root, "t.key"), os.path.join(root, "t.cert")
    node_id = mesh.cli("keygen", "--out", key).split()[0]
    mesh.cli("cert", "issue", "--authority", os.path.join(root,
             "authority.key"), "--node-id", node_id, "--name", "accuser",
             "--out", cert)
    return key, cert


def test_refutation_kill9(mesh):
    """Suspect claims about the victim's current incarnation make it refute,
    again and again (three blocks of reservations); after a kill -9 it
    starts above the last one, from its own store alone."""
    mesh.start_all()
    mesh.wait(mesh.converged, "the mesh to converge", DETECT_S)
    victim = mesh.agents[2]
    key, cert = claim_sender(mesh)
    info = victim.call("info")
    first = info["incarnation"]
    claim = os.path.join(mesh.root, "claim.bin")
    seq = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        while victim.call("info")["incarnation"] < first + 24:
            inc = victim.call("info")["incarnation"]
            seq += 1
            mesh.cli("wire", "sample", "suspect", "--key", key, "--cert",
                     cert, "--cluster", mesh.cluster, "--target",
                     victim.node_id, "--incarnation", str(inc), "--to",
                     victim.node_id, "--to-epoch", info["epoch"], "--seq",
                     str(seq), "--out", claim)
            with open(claim, "rb") as f:
                s.sendto(f.read(), ("127.0.0.1", victim.port))
            mesh.wait(lambda: victim.call("info")["incarnation"] > inc,
                      f"a refutation of incarnation {inc}", DETECT_S)
    before = victim.call("info")["incarnation"]
    after = kill9_restart(victim)
    print(f"{seq} claims refuted: incarnation {first} -> {before}; "
          f"kill -9, restarted at {after}")
    if after <= before:
        raise MeshError(f"refuted incarnation {before} not persisted: "
                        f"restarted at {after}")
    mesh.wait(lambda: mesh.all_see(victim.name, "alive", after),
              "the victim alive at its new incarnation everywhere", DETECT_S)


def test_failed_starts(mesh):
    """A start that fails after the store is open (its UDP port taken) uses
    no incarnation: the next good start continues where it would have."""
    mesh.start_all()
    mesh.wait(mesh.converged, "the mesh to converge", DETECT_S)
    victim = mesh.agents[2]

    def restart():
        victim.kill(signal.SIGTERM)
        victim.start(join=())
        return victim.call("info")["incarnation"]

    i1 = victim.call("info")["incarnation"]
    i2 = restart()
    step = i2 - i1
    victim.kill(signal.SIGTERM)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", victim.port))
        for _ in range(3):
            start_expecting_refusal(victim, "cannot bind UDP")
    victim.start(join=())
    i3 = victim.call("info")["incarnation"]
    store = victim.call("health")["checks"]["store"]
    if store["status"] != "ok":
        raise MeshError(f"health after a good start: store {store}")
    print(f"incarnations: {i1}, {i2} (a start takes {step}), three failed "
          f"starts, then {i3}")
    if i3 - i2 != step:
        raise MeshError(f"failed starts used incarnations: {i2} -> {i3}, "
                        f"a start takes {step}")
    # --reset-store on a healthy store changes nothing.
    i4 = with_reset(victim, restart)
    if i4 - i3 != step or any(d.startswith("store.damaged-")
                              for d in os.listdir(victim.dir)):
        raise MeshError(f"--reset-store touched a healthy store: {i3} -> {i4}")


def named_roots(data):
    """Root page of each named database, from the meta page LMDB uses and
    the main database's leaf (a store's main tree is one leaf)."""
    psize = struct.unpack_from("<I", data, PSIZE_OFFSET)[0]
    metas = [pg * psize + 16 for pg in (0, 1)]
    meta = max(metas, key=lambda m: struct.unpack_from("<Q", data, m + 128))
    root = struct.unpack_from("<Q", data, meta + 72 + 40)[0]
    base = root * psize
    _, _, flags, lower, _ = struct.unpack_from("<QHHHH", data, base)
    if flags & 0x02 == 0:
        raise MeshError("the main database is not a single leaf")
    roots = {}
    for i in range((lower - 16) // 2):
        off = struct.unpack_from("<H", data, base + 16 + 2 * i)[0]
        _, _, nflags, ksize = struct.unpack_from("<HHHH", data, base + off)
        key = data[base + off + 8:base + off + 8 + ksize].decode()
        if nflags & 0x02:  # F_SUBDATA: an MDB_db record follows the key
            rec = base + off + 8 + ksize
            roots[key] = struct.unpack_from("<Q", data, rec + 40)[0]
    return psize, roots


def test_schema_newer(mesh):
    """A store written by a newer meshbeat is refused, not migrated down."""
    victim = mesh.agents[2]
    settle(mesh, victim)
    path = store_file(victim)
    with open(path, "rb") as f:
        data = f.read()
    # The "schema" leaf node: data size 1, no flags, key size 6, the key,
    # the CBOR value (a small uint, one byte).  Stale copies in free pages
    # change too: no matter.
    head = struct.pack("<HHHH", 1, 0, 0, 6) + b"schema"
    at = data.find(head)
    if at < 0 or data[at + len(head)] > 0x16:
        raise MeshError("no schema value found")
    ours = data[at + len(head)]
    with open(path, "wb") as f:
        f.write(data.replace(head + bytes([ours]), head + bytes([ours + 1])))
    start_expecting_refusal(victim, "refusing to start: the store was "
                            "written by a newer meshbeat (store schema "
                            f"{ours + 1} is newer than this meshbeat's "
                            f"{ours})", "move")


def test_runtime_damage(mesh):
    """LMDB finding damage while the agent runs (here: a page header
    zeroed under it) makes the agent leave and exit with 1, and the next
    start refuses the store; never a signal."""
    mesh.start_all()
    mesh.wait(mesh.converged, "the mesh to converge", DETECT_S)
    victim = mesh.agents[2]
    victim.call("events")  # everything staged is committed: a quiet store
    path = store_file(victim)
    with open(path, "rb") as f:
        psize, roots = named_roots(f.read())
    fd = os.open(path, os.O_WRONLY)
    os.pwrite(fd, b"\0\0", roots["events"] * psize + 10)  # mp_flags
    os.close(fd)
    r = socket_call(victim, {"cmd": "events"})
    print(f"events on the damaged store: {r}")
    rc = victim.proc.wait(timeout=DETECT_S)
    with open(os.path.join(mesh.root, f"{victim.name}.log")) as f:
        text = f.read()
    if rc != 1 or "the store is damaged (reading the event log" not in text:
        raise MeshError(f"exit code {rc}, log:\n{text[-2000:]}")
    mesh.wait(lambda: mesh.all_see(victim.name, "left",
                                   observers=mesh.running()),
              "the damaged agent's leave everywhere", DETECT_S)
    start_expecting_refusal(victim, "refusing to start: the store is damaged",
                            "events database: page", "broken header")


def socket_call(agent, request):
    try:
        return admin_call(agent.admin, request)
    except (OSError, MeshError) as e:
        return f"no answer ({e})"


TESTS = {"truncate_half": test_truncate_half,
         "truncate_zero": test_truncate_zero,
         "flipped_bytes": test_flipped_bytes,
         "corrupt_meta": test_corrupt_meta,
         "unreadable": test_unreadable,
         "refutation_kill9": test_refutation_kill9,
         "failed_starts": test_failed_starts,
         "schema_newer": test_schema_newer,
         "runtime_damage": test_runtime_damage}


def main():
    meshbeat, name, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    mesh = Mesh(3, os.path.abspath(meshbeat), port)
    for a in mesh.agents:
        a.answers_socket = lambda a=a: answers_socket(a)
    run_test(mesh, TESTS[name], f"storage_{name}")


if __name__ == "__main__":
    main()
