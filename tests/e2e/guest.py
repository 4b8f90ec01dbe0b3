# SPDX-License-Identifier: BSD-3-Clause
# QEMU guests for the vhost-user end-to-end tests: a cached guest kernel and initramfs (Debian's
# kernel package + busybox-static), a launcher, and a command agent on the guest's serial console.
#
# Build the cache once (the tests do it on first use; later runs reuse it):
#   /usr/bin/python3 tests/e2e/guest.py build            # prints the kernel and initramfs paths
# Boot a guest by hand on a vhost-user socket that Sluice serves (Sluice in server mode):
#   /usr/bin/python3 tests/e2e/guest.py run --vhost /tmp/vm1.sock --qemu-client --ip 10.0.10.1/24
#
# The cache ($SLUICE_E2E_CACHE, default /var/cache/sluice-e2e) holds kernel/<release>/ (vmlinuz
# and the few modules the guest needs, taken from `apt-get download linux-image-<current>`, or
# from the .deb named by $SLUICE_E2E_KERNEL_DEB) and initramfs-<release>-<hash>.cpio, where the
# hash covers the init scripts, busybox and the modules, so an edit here builds a new one.
# A kernel already in the cache is reused whatever Debian's current kernel is: delete the cache
# to move to a newer one.
#
# Guest side: /init mounts proc, sys, dev and tmp, loads virtio_pci, virtio_net and 8021q (with
# their dependencies, from the package's .modinfo), configures eth0 from the kernel command line
# (sl.ip=ADDR/LEN, optional sl.mac=MAC and sl.vlan=VID: then the address goes on eth0.VID), and
# runs the agent on ttyS0. The agent reads one line "ID COMMAND", runs COMMAND with sh (stdin
# /dev/null, stderr into stdout) and prints "@@>ID@@", the output, then "@@<ID RC@@". The test
# reads the console from a UNIX socket chardev, so nothing depends on a pty or on echo.
import argparse
import contextlib
import fcntl
import hashlib
import io
import itertools
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

CACHE_DIR = Path(os.environ.get("SLUICE_E2E_CACHE", "/var/cache/sluice-e2e"))
BUSYBOX = Path("/bin/busybox")
QEMU = "qemu-system-x86_64"
# Modules the guest loads; their dependencies are added from each module's .modinfo.
GUEST_MODULES = ("virtio_pci", "virtio_net", "8021q")
READY_MARK = "SLUICE-AGENT-READY"
BOOT_TIMEOUT_S = float(os.environ.get("SLUICE_E2E_BOOT_TIMEOUT", "90"))

INIT_SCRIPT = r"""#!/bin/busybox sh
# Sluice e2e guest: mount, load modules, configure eth0 from the kernel command line, run the agent.
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmp /tmp
for m in $(cat /etc/modules); do
	insmod /lib/modules/$m.ko || echo "SLUICE-GUEST-ERROR insmod $m"
done
ip=; mac=; vlan=; name=guest
for w in $(cat /proc/cmdline); do
	case "$w" in
	sl.ip=*) ip=${w#sl.ip=} ;;
	sl.mac=*) mac=${w#sl.mac=} ;;
	sl.vlan=*) vlan=${w#sl.vlan=} ;;
	sl.name=*) name=${w#sl.name=} ;;
	esac
done
hostname "$name"
ip link set lo up
i=0
while [ ! -d /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -n "$mac" ] && ip link set eth0 address "$mac"
ip link set eth0 up
dev=eth0
if [ -n "$vlan" ]; then
	dev=eth0.$vlan
	ip link add link eth0 name $dev type vlan id $vlan || vconfig add eth0 $vlan
	ip link set $dev up
fi
[ -n "$ip" ] && ip addr add "$ip" dev $dev
# Only emergencies on the console from now on: kernel messages must not cut into agent replies.
echo 1 > /proc/sys/kernel/printk
echo "SLUICE-GUEST-UP $name $dev $ip"
exec setsid sh -c 'exec /bin/agent </dev/ttyS0 >/dev/ttyS0 2>&1'
"""

AGENT_SCRIPT = r"""#!/bin/sh
# Command agent: "ID COMMAND" lines in, "@@>ID@@" OUTPUT "@@<ID RC@@" out.
# INT gets a handler (not "ignore", which children would inherit): ^C from the host stops the
# running command and the agent goes on with the next line.
trap ':' INT
stty -echo 2>/dev/null
echo "SLUICE-AGENT-READY"
while IFS= read -r line; do
	id=${line%% *}
	cmd=${line#* }
	echo "@@>$id@@"
	sh -c "$cmd" </dev/null 2>&1
	echo "@@<$id $?@@"
done
"""


class GuestError(Exception):
    pass


def log(msg):
    print(f"[e2e] {msg}", file=sys.stderr, flush=True)


def run(cmd, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    p = subprocess.run(cmd, **kw)
    if p.returncode != 0:
        raise GuestError(f"{' '.join(map(str, cmd))} failed ({p.returncode}): "
                         f"{(p.stderr or '').strip()[-2000:]}")
    return p


# -- host packages -------------------------------------------------------------------------------
HOST_PACKAGES = ("qemu-system-x86", "busybox-static")


def is_static_elf(path):
    """True when path is an ELF executable without a PT_INTERP program header (static)."""
    with open(path, "rb") as f:
        ehdr = f.read(64)
        if ehdr[:4] != b"\x7fELF" or ehdr[4] != 2:
            return False
        phoff, = struct.unpack_from("<Q", ehdr, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", ehdr, 0x36)
        f.seek(phoff)
        ph = f.read(phentsize * phnum)
    return all(struct.unpack_from("<I", ph, i * phentsize)[0] != 3 for i in range(phnum))


def missing_host_packages():
    missing = []
    if shutil.which(QEMU) is None:
        missing.append("qemu-system-x86")
    if not BUSYBOX.exists() or not is_static_elf(BUSYBOX):
        missing.append("busybox-static")
    return missing


def ensure_host_packages():
    """Install QEMU and busybox-static with apt-get when they are missing (as root, unless
    $SLUICE_E2E_NO_INSTALL is set); they are only needed by this suite, so deploy/setup.sh does
    not install them for every CI run."""
    missing = missing_host_packages()
    if not missing:
        return
    if os.environ.get("SLUICE_E2E_NO_INSTALL") or os.geteuid() != 0:
        raise GuestError(f"missing {' '.join(missing)}: apt-get install --no-install-recommends "
                         f"{' '.join(HOST_PACKAGES)} (or SLUICE_E2E=1 bash deploy/setup.sh)")
    log(f"installing {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *HOST_PACKAGES]
    if subprocess.run(cmd, env=env, capture_output=True).returncode != 0:
        run(["apt-get", "update", "-q"], env=env)
        run(cmd, env=env)
    still = missing_host_packages()
    if still:
        raise GuestError(f"still missing after apt-get install: {' '.join(still)}")


# -- guest kernel --------------------------------------------------------------------------------
def modinfo_depends(ko):
    """The depends= value of a kernel module's .modinfo section (list of module names)."""
    data = Path(ko).read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise GuestError(f"{ko}: not an ELF64 module")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def sh(i):
        name, _, _, _, off, size = struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
        return name, off, size

    _, stroff, _ = sh(shstrndx)
    for i in range(shnum):
        name, off, size = sh(i)
        end = data.index(b"\0", stroff + name)
        if data[stroff + name:end] == b".modinfo":
            for kv in data[off:off + size].split(b"\0"):
                if kv.startswith(b"depends="):
                    v = kv[len(b"depends="):].decode()
                    return [d for d in v.split(",") if d]
            return []
    raise GuestError(f"{ko}: no .modinfo section")


def module_closure(moddir, wanted):
    """Paths of the wanted modules and their dependencies under moddir, dependencies first."""
    index = {}
    for p in Path(moddir).rglob("*.ko*"):
        index[p.name.split(".ko")[0].replace("-", "_")] = p
    order, seen = [], set()

    def visit(name, chain):
        key = name.replace("-", "_")
        if key in seen:
            return
        if key in chain:
            raise GuestError(f"module dependency loop: {' -> '.join(chain + [key])}")
        p = index.get(key)
        if p is None:
            raise GuestError(f"module {key} not found under {moddir} (built into the kernel?)")
        if p.suffix not in (".ko", ".xz"):
            raise GuestError(f"{p}: unsupported module compression")
        ko = p
        if p.suffix == ".xz":
            import lzma
            ko = p.with_suffix("")
            ko.write_bytes(lzma.decompress(p.read_bytes()))
        for d in modinfo_depends(ko):
            visit(d, chain + [key])
        seen.add(key)
        order.append((key, ko))

    for m in wanted:
        visit(m, [])
    return order


def current_kernel_package():
    """Name of Debian's current amd64 kernel image package (what linux-image-amd64 depends on)."""
    for attempt in (0, 1):
        p = subprocess.run(["apt-cache", "depends", "linux-image-amd64"], capture_output=True,
                           text=True)
        m = re.search(r"Depends:\s*(linux-image-\S+-amd64)\b", p.stdout)
        if m:
            return m.group(1)
        if attempt == 0:
            run(["apt-get", "update", "-q"], env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    raise GuestError(f"cannot resolve linux-image-amd64 with apt-cache: {p.stdout}{p.stderr}")


def fetch_kernel_deb(tmp):
    deb = os.environ.get("SLUICE_E2E_KERNEL_DEB")
    if deb:
        return Path(deb)
    pkg = current_kernel_package()
    log(f"downloading {pkg} (once; cached in {CACHE_DIR})")
    os.chmod(tmp, 0o777)  # apt-get download drops privileges to _apt where it can
    p = subprocess.run(["apt-get", "download", pkg], cwd=tmp, capture_output=True, text=True)
    if p.returncode != 0:
        run(["apt-get", "update", "-q"], env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        run(["apt-get", "download", pkg], cwd=tmp)
    debs = sorted(Path(tmp).glob(f"{pkg}_*.deb"))
    if not debs:
        raise GuestError(f"apt-get download {pkg} left no .deb in {tmp}")
    return debs[-1]


@contextlib.contextmanager
def cache_lock():
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(CACHE_DIR / ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def ensure_kernel():
    """Directory kernel/<release>/ in the cache with vmlinuz, modules/*.ko and modules.order."""
    kroot = CACHE_DIR / "kernel"
    done = sorted(kroot.glob("*/complete"))
    if done:
        return done[-1].parent
    with tempfile.TemporaryDirectory(prefix="sle2e", dir=CACHE_DIR) as tmp:
        deb = fetch_kernel_deb(tmp)
        x = Path(tmp) / "x"
        run(["dpkg-deb", "-x", str(deb), str(x)])
        vmlinuz = sorted((x / "boot").glob("vmlinuz-*"))
        if not vmlinuz:
            raise GuestError(f"{deb}: no /boot/vmlinuz-*")
        release = vmlinuz[-1].name[len("vmlinuz-"):]
        moddir = next(d for d in (x / "lib/modules" / release, x / "usr/lib/modules" / release)
                      if d.is_dir())
        mods = module_closure(moddir, GUEST_MODULES)
        out = kroot / release
        shutil.rmtree(out, ignore_errors=True)
        (out / "modules").mkdir(parents=True)
        shutil.copy(vmlinuz[-1], out / "vmlinuz")
        for name, ko in mods:
            shutil.copy(ko, out / "modules" / f"{name}.ko")
        (out / "modules.order").write_text("".join(f"{n}\n" for n, _ in mods))
        (out / "package").write_text(f"{deb.name}\n")
        (out / "complete").write_text("")
        log(f"guest kernel {release}: modules {' '.join(n for n, _ in mods)}")
        return out


# -- initramfs -----------------------------------------------------------------------------------
class Cpio:
    """A newc cpio archive (what the kernel unpacks as initramfs), built in memory: device nodes
    need no mknod and no root, and no cpio tool is needed."""

    def __init__(self):
        self.buf = io.BytesIO()
        self.ino = itertools.count(1000)

    def _entry(self, name, mode, data=b"", rdev=(0, 0), nlink=1):
        name_b = name.encode() + b"\0"
        hdr = "070701" + "".join(f"{v:08X}" for v in (
            next(self.ino), mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1],
            len(name_b), 0))
        self.buf.write(hdr.encode() + name_b)
        self.buf.write(b"\0" * (-(110 + len(name_b)) % 4))
        self.buf.write(data)
        self.buf.write(b"\0" * (-len(data) % 4))

    def dir(self, name):
        self._entry(name, 0o040755, nlink=2)

    def file(self, name, data, mode=0o644):
        self._entry(name, 0o100000 | mode, data)

    def chardev(self, name, major, minor):
        self._entry(name, 0o020600, rdev=(major, minor))

    def bytes(self):
        self._entry("TRAILER!!!", 0)
        return self.buf.getvalue()


def ensure_initramfs(kdir):
    busybox = BUSYBOX.read_bytes()
    mods = kdir.joinpath("modules.order").read_text().split()
    h = hashlib.sha256(INIT_SCRIPT.encode() + AGENT_SCRIPT.encode() + busybox)
    for m in mods:
        h.update(m.encode() + (kdir / "modules" / f"{m}.ko").read_bytes())
    path = CACHE_DIR / f"initramfs-{kdir.name}-{h.hexdigest()[:12]}.cpio"
    if path.exists():
        return path
    c = Cpio()
    for d in ("bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp",
              "run", "root", "lib", "lib/modules", "www"):
        c.dir(d)
    c.chardev("dev/console", 5, 1)
    c.chardev("dev/ttyS0", 4, 64)
    c.chardev("dev/null", 1, 3)
    c.file("bin/busybox", busybox, 0o755)
    c.file("init", INIT_SCRIPT.encode(), 0o755)
    c.file("bin/agent", AGENT_SCRIPT.encode(), 0o755)
    c.file("etc/modules", "".join(f"{m}\n" for m in mods).encode())
    c.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
    c.file("etc/group", b"root:x:0:\n")
    for m in mods:
        c.file(f"lib/modules/{m}.ko", (kdir / "modules" / f"{m}.ko").read_bytes())
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(c.bytes())
    os.replace(tmp, path)
    for old in CACHE_DIR.glob(f"initramfs-{kdir.name}-*.cpio"):
        if old != path:
            old.unlink(missing_ok=True)
    return path


_images = None


def images():
    """(vmlinuz, initramfs) paths in the cache, built on first use (under a file lock, so
    parallel runs build once)."""
    global _images
    if _images is None:
        ensure_host_packages()
        with cache_lock():
            kdir = ensure_kernel()
            _images = (kdir / "vmlinuz", ensure_initramfs(kdir))
    return _images


# -- the guest -----------------------------------------------------------------------------------
class Guest:
    """One QEMU guest with a virtio-net NIC on a vhost-user socket, driven over its serial console.

    qemu_server=True: QEMU serves the vhost-user socket (`server=on,wait=off`) and Sluice
    connects as the client (`client=1`); Sluice reconnects when QEMU comes back.
    qemu_server=False: Sluice serves the socket and QEMU connects (`reconnect=1`), reconnecting
    once a second after Sluice goes away.
    Either way QEMU does not start the guest until the vhost-user backend has connected once,
    so: start(), then add the Sluice port, then wait_ready()."""

    def __init__(self, name, workdir, vhost_sock, mac, ip=None, vlan=None, queues=1,
                 qemu_server=True, mem_mb=256, extra_append=""):
        self.name = name
        self.dir = Path(workdir) / f"vm-{name}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.vhost_sock = Path(vhost_sock)
        self.con_sock = self.dir / "con.sock"
        self.mac, self.ip, self.vlan, self.queues = mac, ip, vlan, queues
        self.qemu_server = qemu_server
        self.mem_mb = mem_mb
        self.extra_append = extra_append
        self.proc = None
        self.runs = 0
        self._sock = None
        self._reader = None
        self._buf = bytearray()
        self._cond = threading.Condition()
        self._eof = False
        self._seq = itertools.count(1)
        self._ready_pos = 0
        self.boot_s = None
        self._t_start = None

    @property
    def addr(self):
        return self.ip.split("/")[0] if self.ip else None

    def cmdline(self):
        kernel, initrd = images()
        append = ["console=ttyS0", "quiet", "panic=-1", "ipv6.disable=1", "mitigations=off",
                  "tsc=reliable", "no_timer_check", f"sl.name={self.name}"]
        if self.ip:
            append.append(f"sl.ip={self.ip}")
        if self.vlan:
            append.append(f"sl.vlan={self.vlan}")
        if self.extra_append:
            append.append(self.extra_append)
        if self.qemu_server:
            chr_opts = "server=on,wait=off"
        else:
            chr_opts = "reconnect=1"
        mq = ",mq=on" if self.queues > 1 else ""
        return [
            QEMU, "-name", self.name, "-accel", "tcg", "-m", str(self.mem_mb), "-smp", "1",
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-kernel", str(kernel), "-initrd", str(initrd), "-append", " ".join(append),
            "-object", f"memory-backend-memfd,id=mem,size={self.mem_mb}M,share=on",
            "-numa", "node,memdev=mem",
            "-chardev", f"socket,id=con,path={self.con_sock},server=on,wait=off,"
                        f"logfile={self.dir}/console.{self.runs}.log",
            "-serial", "chardev:con",
            "-chardev", f"socket,id=chr0,path={self.vhost_sock},{chr_opts}",
            "-netdev", f"vhost-user,id=net0,chardev=chr0,queues={self.queues}",
            # vectors=0: Debian 12's QEMU 7.2 segfaults under TCG with MSI-X on vhost-user net.
            "-device", f"virtio-net-pci,netdev=net0,mac={self.mac},vectors=0{mq}",
        ]

    def start(self):
        """Launch QEMU and attach to its console; the guest boots once the backend connects."""
        assert not self.alive(), f"{self.name}: already running"
        if self.qemu_server:
            self.vhost_sock.unlink(missing_ok=True)
        self.con_sock.unlink(missing_ok=True)
        self.runs += 1
        cmd = self.cmdline()
        (self.dir / f"cmdline.{self.runs}").write_text(" ".join(cmd) + "\n")
        err = open(self.dir / f"qemu.{self.runs}.log", "wb")
        self._t_start = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                     start_new_session=True)
        err.close()
        deadline = time.monotonic() + 20
        while True:
            if self.proc.poll() is not None:
                raise GuestError(f"{self.name}: QEMU exited {self.proc.returncode} at start:\n"
                                 f"{self.qemu_log()}")
            if self.con_sock.exists():
                try:
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.connect(str(self.con_sock))
                    break
                except OSError:
                    s.close()
            if time.monotonic() > deadline:
                raise GuestError(f"{self.name}: no console socket {self.con_sock} after 20s")
            time.sleep(0.05)
        with self._cond:
            self._sock, self._buf, self._eof, self._ready_pos = s, bytearray(), False, 0
        self._reader = threading.Thread(target=self._read_loop, args=(s,), daemon=True,
                                        name=f"con-{self.name}")
        self._reader.start()
        if self.qemu_server:
            deadline = time.monotonic() + 20
            while not self.vhost_sock.exists():
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise GuestError(f"{self.name}: vhost-user socket {self.vhost_sock} not "
                                     f"created:\n{self.qemu_log()}")
                time.sleep(0.05)
        return self

    def _read_loop(self, s):
        while True:
            try:
                b = s.recv(65536)
            except OSError:
                b = b""
            with self._cond:
                if b:
                    self._buf += b
                else:
                    self._eof = True
                self._cond.notify_all()
            if not b:
                return

    def console(self, start=0):
        with self._cond:
            return self._buf[start:].decode(errors="replace").replace("\r", "")

    def _wait_for(self, pattern, start, timeout, what):
        """Wait for regex pattern (bytes) in the console from byte offset start; the match."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                m = rx.search(self._buf, start)
                if m:
                    return m
                if self._eof or (self.proc is not None and self.proc.poll() is not None):
                    raise GuestError(f"{self.name}: QEMU/console gone while waiting for {what}"
                                     f" (QEMU status {self.proc.poll()}):\n"
                                     f"{self.qemu_log()}\n--- console ---\n{self.tail()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise GuestError(f"{self.name}: timed out after {timeout:.0f}s waiting for "
                                     f"{what}\n--- console ---\n{self.tail()}")
                self._cond.wait(min(left, 0.5))

    def wait_ready(self, timeout=BOOT_TIMEOUT_S):
        """Wait for the agent's ready line (guest booted, eth0 configured); boot time in s."""
        m = self._wait_for(re.escape(READY_MARK.encode()), 0, timeout, "the boot to finish")
        with self._cond:
            self._ready_pos = m.end()
        self.boot_s = time.monotonic() - self._t_start
        errs = re.findall(r"SLUICE-GUEST-ERROR[^\n]*", self.console())
        if errs:
            raise GuestError(f"{self.name}: {errs}\n{self.tail()}")
        return self.boot_s

    def tail(self, n=3000):
        return self.console()[-n:]

    def qemu_log(self):
        p = self.dir / f"qemu.{self.runs}.log"
        return p.read_text(errors="replace")[-3000:] if p.exists() else ""

    def sh(self, cmd, timeout=30, check=True):
        """Run cmd in the guest with sh -c; (rc, output). check: raise unless rc is 0."""
        assert "\n" not in cmd, "one line per command"
        n = next(self._seq)
        with self._cond:
            start = len(self._buf)
        self._sock.sendall(f"{n} {cmd}\n".encode())
        try:
            m = self._wait_for(rf"@@<{n} (\d+)@@".encode(), start, timeout, f"'{cmd}'")
        except GuestError:
            if self.alive():
                self._sock.sendall(b"\x03")  # SIGINT: the agent survives, the command stops
            raise
        with self._cond:
            text = self._buf[start:m.start()].decode(errors="replace").replace("\r", "")
        rc = int(m.group(1))
        opening = f"@@>{n}@@\n"
        i = text.find(opening)
        out = text[i + len(opening):] if i >= 0 else text
        if check and rc != 0:
            raise GuestError(f"{self.name}: '{cmd}' exited {rc}:\n{out}")
        return rc, out

    def out(self, cmd, timeout=30):
        return self.sh(cmd, timeout)[1]

    def ping(self, dst, count=3, deadline=20, interval=0.2):
        """Ping dst from the guest; the number of replies (busybox ping -c count -w deadline)."""
        rc, out = self.sh(f"ping -c {count} -i {interval} -w {deadline} {dst}",
                          timeout=deadline + 15, check=False)
        m = re.search(r"(\d+) packets received", out)
        return (int(m.group(1)) if m else 0), out

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL QEMU (its PID only) and wait for it; the console reader ends on EOF."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(15)
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
        if self._reader is not None:
            self._reader.join(5)

    def cleanup(self):
        self.kill()
        if self.qemu_server:
            self.vhost_sock.unlink(missing_ok=True)
        self.con_sock.unlink(missing_ok=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("build", help="build (or find) the cached kernel and initramfs")
    r = sub.add_parser("run", help="boot a guest on a vhost-user socket, console on stdout")
    r.add_argument("--vhost", required=True, help="vhost-user socket path")
    r.add_argument("--qemu-client", action="store_true",
                   help="QEMU connects (Sluice serves the socket); default: QEMU serves")
    r.add_argument("--ip", default="10.0.10.1/24")
    r.add_argument("--mac", default="52:54:00:00:10:01")
    r.add_argument("--vlan", type=int)
    r.add_argument("--queues", type=int, default=1)
    a = ap.parse_args()
    if a.cmd == "build":
        k, i = images()
        print(f"kernel {k}\ninitramfs {i}")
        return 0
    wd = Path(tempfile.mkdtemp(prefix="sle2e", dir="/tmp"))
    g = Guest("vm", wd, a.vhost, a.mac, a.ip, a.vlan, a.queues, qemu_server=not a.qemu_client)
    g.start()
    print(f"QEMU pid {g.proc.pid}, console log {g.dir}; connect the backend now", flush=True)
    try:
        print(f"booted in {g.wait_ready():.1f}s", flush=True)
        for line in sys.stdin:
            print(g.sh(line.strip(), timeout=60, check=False)[1], end="", flush=True)
    finally:
        g.cleanup()
        shutil.rmtree(wd, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
