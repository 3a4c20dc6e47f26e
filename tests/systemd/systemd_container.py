"""systemd as PID 1 of a throwaway container, for tests of the real unit on
hosts where systemd is not PID 1 (containers, CI runners, VMs booted by
something else).

The container is made of this host's own file system, read-only under a
tmpfs overlay (nothing it writes reaches the host), in new PID, mount,
network, UTS, IPC and cgroup namespaces: /proc/sys and /sys read-only, a
cgroup2 subtree of its own at /sys/fs/cgroup, a minimal /dev, a fresh
/run, tmpfiles' boot-time cleaning masked, and no CAP_SYS_MODULE or
CAP_SYS_TIME (systemd must not load
modules into, or set the clock of, the shared kernel).  systemd boots it to
basic.target only (the host's enabled services stay off); commands run in
it through nsenter.  Killing its PID 1 ends it all; the cgroup subtree is
removed after.

    with SystemdContainer() as c:      # raises Unavailable: why not here
        c.run(["systemctl", "is-system-running"])
"""
import os
import signal
import subprocess
import time

BOOT = r"""set -eu
R=$1
mkdir -p "$R/up" "$R/root"
mount -t tmpfs -o mode=0755 meshbeat-test "$R/up"
mkdir "$R/up/upper" "$R/up/work"
mount -t overlay overlay -o "lowerdir=/,upperdir=$R/up/upper,workdir=$R/up/work" "$R/root"
cd "$R/root"
mount -t proc proc proc
mount --bind proc/sys proc/sys
mount -o remount,bind,ro proc/sys
mount -t sysfs -o ro sysfs sys
mount -t cgroup2 cgroup2 sys/fs/cgroup
mount -t tmpfs -o mode=0755 dev dev
for d in null zero full random urandom tty; do
  touch "dev/$d"
  mount --bind "/dev/$d" "dev/$d"
done
mkdir dev/pts dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts dev/pts
ln -s pts/ptmx dev/ptmx
mount -t tmpfs -o mode=1777 shm dev/shm
mount -t tmpfs -o mode=0755 run run
# /tmp stays the host's, seen through the overlay (a build tree may be
# there), so the boot must not clean it: in the overlay, but then the tree
# would be gone from the container's view.
for u in systemd-tmpfiles-setup.service systemd-tmpfiles-clean.service \
         systemd-tmpfiles-clean.timer; do
  ln -sf /dev/null "etc/systemd/system/$u"
done
mkdir -p oldroot
pivot_root . oldroot
umount -l /oldroot
exec setpriv --bounding-set -sys_module,-sys_time \
  env -i container=meshbeat-test /lib/systemd/systemd --unit=basic.target
"""

SYSTEMD = "/lib/systemd/systemd"
BOOT_TIMEOUT_S = 60


class Unavailable(Exception):
    """This host cannot make the container; the message says why."""


def cgroup2_mount():
    """Where this host mounts the cgroup2 hierarchy (unified or hybrid)."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.split()[0] == "cgroup2":
                return left.split()[4]
    return None


def join_cgroup(procs):
    with open(procs, "w") as f:
        f.write("0")  # the writer itself


class SystemdContainer:
    def __init__(self, workdir):
        self.workdir = workdir
        self.proc = None
        self.pid1 = None
        self.cgroup = None

    def __enter__(self):
        try:
            self._boot()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def _boot(self):
        if os.geteuid() != 0:
            raise Unavailable("booting systemd in a container needs root")
        for tool in (SYSTEMD, "/usr/bin/unshare", "/usr/bin/nsenter",
                     "/usr/bin/setpriv"):
            if not os.access(tool, os.X_OK):
                raise Unavailable(f"{tool} is missing")
        top = cgroup2_mount()
        if top is None:
            raise Unavailable("no cgroup2 hierarchy is mounted to give "
                              "systemd a subtree of")
        self.cgroup = os.path.join(top, f"meshbeat-test-{os.getpid()}")
        os.mkdir(self.cgroup)
        procs = os.path.join(self.cgroup, "cgroup.procs")
        log = open(os.path.join(self.workdir, "container-boot.log"), "w")
        # The child moves itself into the subtree before unshare makes it
        # the root of the container's cgroup namespace.
        self.proc = subprocess.Popen(
            ["unshare", "--pid", "--fork", "--kill-child", "--mount", "--uts", "--ipc",
             "--net", "--cgroup", "--propagation", "private", "sh", "-c",
             BOOT, "sh", os.path.join(self.workdir, "container")],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=lambda: join_cgroup(procs))
        log.close()
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        state = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Unavailable("the container could not be made: " +
                                  self._boot_log())
            if self.pid1 is None:
                self.pid1 = self._child_running_systemd()
            if self.pid1 is not None:
                p = self.run(["systemctl", "is-system-running"], check=False,
                             timeout=10)
                state = p.stdout.strip()
                if state in ("running", "degraded"):
                    return
            time.sleep(0.1)
        raise AssertionError(f"systemd in the container did not finish "
                             f"booting in {BOOT_TIMEOUT_S} s (state "
                             f"{state!r}): {self._boot_log()}")

    def _boot_log(self):
        with open(os.path.join(self.workdir, "container-boot.log")) as f:
            return f.read().strip()

    def _child_running_systemd(self):
        """The container's PID 1 (host pid), once it is systemd."""
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/"
                      "children") as f:
                kids = f.read().split()
            for k in kids:
                if os.readlink(f"/proc/{k}/exe") == \
                        os.path.realpath(SYSTEMD):
                    return int(k)
        except OSError:
            pass
        return None

    def run(self, argv, cwd="/", check=True, timeout=None, **kw):
        """argv inside the container (all its namespaces, its root)."""
        script = 'cd "$1" && shift && exec "$@"'
        return subprocess.run(
            ["nsenter", "-t", str(self.pid1), "-a", "sh", "-c", script, "sh",
             cwd, *argv], check=check, timeout=timeout, capture_output=True,
            text=True, **kw)

    def close(self):
        if self.proc is not None:
            if self.pid1 is not None:
                try:
                    os.kill(self.pid1, signal.SIGKILL)  # ends the PID ns
                except ProcessLookupError:
                    pass
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self.proc = None
        if self.cgroup is not None:
            # Its cgroups empty once every process in them is reaped.
            deadline = time.monotonic() + 10
            while os.path.isdir(self.cgroup):
                try:
                    for d, _, _ in os.walk(self.cgroup, topdown=False):
                        os.rmdir(d)
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            self.cgroup = None
