# SPDX-License-Identifier: BSD-3-Clause
# sluiced's own options and its start-up file (-f): settings apply, the command line wins, and every
# mistake stops start-up with exit 1 and a message naming the option or FILE:LINE.
import shutil
import subprocess

import pytest

from conftest import DPDK_RUN_DIR, Sluiced, build_dir, unique_name, wait_until


def run(args, workdir, timeout=30):
    """sluiced with args, and in case it got as far as EAL init (it should not): its own socket,
    config and file prefix, never the defaults of a real installation."""
    prefix = unique_name("slt")
    full = [str(build_dir() / "sluiced"), "-s", str(workdir / "s.sock"), "-c",
            str(workdir / "c.conf"), *args]
    if "--" not in args:
        full += ["--", "-l", "0-1", "--no-pci", "-m", "256", "--file-prefix", prefix]
    try:
        return subprocess.run(full, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    finally:
        shutil.rmtree(DPDK_RUN_DIR / prefix, ignore_errors=True)


@pytest.mark.parametrize("args,msg", [
    (["--mbufs", "5"], "--mbufs '5' not a number in 1023-16777215"),
    (["--mbufs", "lots"], "--mbufs 'lots' not a number"),
    (["stray"], "unexpected argument 'stray' (EAL args go after --)"),
    (["--no-such-option"], "unrecognized option"),
    (["-f", "/nonexistent/sluiced.conf"], "/nonexistent/sluiced.conf: No such file or directory"),
], ids=["mbufs-range", "mbufs-word", "stray-arg", "unknown-option", "missing-startup-file"])
def test_bad_option_exits_1_with_message(workdir, args, msg):
    p = run(args, workdir)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert msg in p.stderr, p.stderr


def test_help_exits_0(workdir):
    p = run(["--help"], workdir)
    assert p.returncode == 0 and "usage:" in p.stdout


def test_one_lcore_is_refused(workdir):
    d = Sluiced(workdir, eal_cores=("-l", "0"))
    try:
        p = subprocess.run(d.cmdline(), capture_output=True, text=True, timeout=30, env=d.env)
    finally:
        shutil.rmtree(DPDK_RUN_DIR / d.prefix, ignore_errors=True)
    assert p.returncode == 1
    assert "no worker lcore" in p.stderr, p.stderr


@pytest.mark.parametrize("content,lineno,word", [
    ("socket /tmp/x.sock\nbogus setting\n", 2, "bogus"),
    ("busy-poll maybe\n", 1, "busy-poll"),
    ("mbufs 12\n", 1, "mbufs"),
    ("# ok\n\nsocket\n", 3, "socket"),
])
def test_bad_startup_file_line_names_file_and_line(workdir, content, lineno, word):
    f = workdir / "sluiced.conf"
    f.write_text(content)
    p = run(["-f", str(f)], workdir)
    assert p.returncode == 1, p.stderr
    if word == "mbufs":
        assert "mbufs '12' not a number" in p.stderr, p.stderr
    else:
        assert f"sluiced: {f}:{lineno}: " in p.stderr and word in p.stderr, p.stderr
    assert not (workdir / "s.sock").exists()


def test_startup_file_settings_apply_and_command_line_wins(sluiced_factory):
    d = sluiced_factory(start=False)
    sock_in_file = d.dir / "from-file.sock"
    startup = d.dir / "sluiced.conf"
    startup.write_text(f"# start-up file\nsocket {sock_in_file}\nconfig {d.dir}/file.conf\n"
                       f"busy-poll on\nmbufs 4095\n")
    d.args = ["-f", str(startup)]
    d.start()  # -s and -c on the command line win over the file's socket and config
    assert d.sock.exists() and not sock_in_file.exists()
    d.ok("port add a net_null0,no-rx=1")
    assert d.config.exists() and not (d.dir / "file.conf").exists()
    wait_until(lambda: not any(w["sleeping"] for w in d.worker_stats()), 5, "busy workers")
    for _ in range(10):
        assert not any(w["sleeping"] for w in d.worker_stats())


@pytest.mark.parametrize("how", ["option", "startup-file"])
def test_busy_poll_start_option_is_not_saved_in_running_config(sluiced_factory, how):
    """user-guide: '--busy-poll', 'busy-poll on' in the start-up file, or 'set busy-poll' at run
    time; 'the run-time command is saved in the config'. A start-up setting saved into the
    running config would outlive its removal from the start-up file or unit."""
    d = sluiced_factory(start=False)
    if how == "option":
        d.args = ["--busy-poll"]
    else:
        startup = d.dir / "sluiced.conf"
        startup.write_text("busy-poll on\n")
        d.args = ["-f", str(startup)]
    d.start()
    d.ok("port add a net_null0,no-rx=1")
    assert d.config_file_lines() == ["port add a net_null0,no-rx=1"], \
        "the start-up busy-poll setting was written into the running config"


def test_busy_poll_option_keeps_workers_awake(sluiced_factory):
    d = sluiced_factory(args=["--busy-poll"])
    for _ in range(10):
        assert not any(w["sleeping"] for w in d.worker_stats())
    d.ok("set busy-poll off")
    wait_until(lambda: all(w["sleeping"] for w in d.worker_stats()), 5, "idle workers to sleep")
