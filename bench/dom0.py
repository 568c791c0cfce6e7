"""dom0 figures for bench/run.py: boot time and a CPU/memory workload, under Keel and directly.

Both runs use the same kernel (build/linux/vmlinuz), the same dom0 initramfs (build/dom0) and the
same emulated machine (QEMU TCG, -cpu max -smp 2 -m 3G, an e1000 NIC on user networking). Under
Keel, GRUB boots the hypervisor, which runs dom0 on CPU 0; directly, QEMU's -kernel boots the same
kernel with nr_cpus=1, so that both kernels use one CPU. Boot time is wall-clock seconds from
starting QEMU to dom0's ready line (under Keel this includes GRUB and the hypervisor's own boot).
The workload is Debian's xz -6 of a generated 15 MB text file, timed inside dom0 with /proc/uptime.
"""
import os
import re
import statistics

WORKLOAD = ("seq 1 2000000 > /tmp/w; read a r < /proc/uptime; /usr/bin/xz -6 -T1 -c /tmp/w | wc -c; "
            "read b r < /proc/uptime; echo KEEL-WORK $a $b")


def _spawn(under_keel):
    import pexpect
    from emulators import image
    from linux_session import kit_file

    common = ["-accel", "tcg", "-cpu", "max", "-smp", "2", "-m", "3G", "-display", "none",
              "-no-reboot", "-monitor", "none", "-netdev", "user,id=n0", "-device", "e1000,netdev=n0"]
    build = os.environ["KEEL_BUILD"]
    logdir = os.path.join(build, "test-logs", "bench-dom0")
    os.makedirs(logdir, exist_ok=True)
    if under_keel:
        args = common + ["-boot", "d", "-cdrom", image("iso/dom0-qemu.iso"),
                         "-serial", "file:" + os.path.join(logdir, "hv.log"), "-serial", "stdio"]
    else:
        args = common + ["-kernel", kit_file("vmlinuz"), "-initrd", image("dom0/initrd.gz"),
                         "-append", "console=ttyS1,115200 nokaslr nr_cpus=1",
                         "-serial", "null", "-serial", "stdio"]
    return pexpect.spawn("qemu-system-x86_64", args, encoding="utf-8", codec_errors="replace"), logdir


def run_once(under_keel):
    """(boot seconds, workload seconds), either None if it did not get there."""
    from test_dom0 import Dom0Session

    child, logdir = _spawn(under_keel)
    session = Dom0Session(child, os.path.join(logdir, "keel.log" if under_keel else "direct.log"))
    try:
        boot = session.wait_ready(timeout=900)
        out = session.run(WORKLOAD, timeout=900)
        m = re.search(r"^(\d+)\s*\nKEEL-WORK (\d+\.\d+) (\d+\.\d+)", out, re.M)
        if not m or int(m.group(1)) < 100000:
            print(f"  (the workload did not run: {out.strip()[-200:]!r})")
            return boot, None
        return boot, float(m.group(3)) - float(m.group(2))
    except AssertionError as e:
        print(f"  (dom0 run failed: {str(e).splitlines()[0]})")
        return None, None
    finally:
        child.terminate(force=True)


def _median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def table(runs):
    print(f"\n{'dom0 (QEMU TCG, 1 CPU used)':<28} {'direct QEMU (s)':>16} {'under Keel (s)':>15} {'ratio':>7}")
    direct = [run_once(False) for _ in range(runs)]
    keel = [run_once(True) for _ in range(runs)]
    for i, what in enumerate(("boot to ready", "xz -6 of 15 MB")):
        d, k = _median(r[i] for r in direct), _median(r[i] for r in keel)
        if d is None or k is None:
            print(f"{what:<28} no figures (build/dom0 and build/iso/dom0-qemu.iso come from `make dom0-kit`)")
            continue
        print(f"{what:<28} {d:>16.2f} {k:>15.2f} {k / d:>7.2f}")
    print("(medians of %d runs; target for the workload: a ratio within 1.05)" % runs)
