#!/usr/bin/env python3
"""Runs Keel's test tiers and prints one line per test and the summary line `N passed, N failed`.

Tiers: unit (cmocka programs in build/unit), system (pytest in tests/system, which boots the
built images in QEMU and Bochs). Each tier's time is printed; the exit status is 0 only if
nothing failed.
"""
import argparse
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Tally:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.per_tier = {}
        self.tier_times = {}

    def report(self, status, name, detail=""):
        tier = name.split("/", 1)[0]
        counts = self.per_tier.setdefault(tier, [0, 0])
        if status == "PASS":
            self.passed += 1
            counts[0] += 1
        elif status == "SKIP":
            self.skipped += 1
        else:
            self.failed += 1
            counts[1] += 1
        print(f"{status} {name}" + (f": {detail}" if detail else ""), flush=True)


def tail(text, lines=40):
    return "\n".join(text.splitlines()[-lines:])


TAP_LINE = re.compile(r"^(not ok|ok) \d+ - (\S+)")


def run_unit(build, tally):
    unit_dir = os.path.join(build, "unit")
    programs = sorted(p for p in os.listdir(unit_dir)
                      if p.startswith("test_") and not p.endswith(".d")) if os.path.isdir(unit_dir) else []
    if not programs:
        tally.report("FAIL", "unit", f"no test programs in {unit_dir}: run make first")
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP")
    for prog in programs:
        group = prog[len("test_"):]
        try:
            proc = subprocess.run([os.path.join(unit_dir, prog)], cwd=ROOT, env=env, timeout=300,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            out, rc = proc.stdout, proc.returncode
        except subprocess.TimeoutExpired as e:
            out, rc = (e.stdout or b"").decode(errors="replace"), "timeout"
        seen = 0
        for line in out.splitlines():
            m = TAP_LINE.match(line)
            if m:
                seen += 1
                tally.report("PASS" if m.group(1) == "ok" else "FAIL", f"unit/{group}/{m.group(2)}")
        if rc != 0 and (seen == 0 or "not ok" not in out):
            tally.report("FAIL", f"unit/{group}", f"program exited with {rc}\n{tail(out)}")
        elif rc != 0:
            print(tail(out), flush=True)


def run_fuzz(build, tally, seconds):
    """Each libFuzzer target for a bounded time: a crash, leak or timeout is a failure."""
    fuzz_dir = os.path.join(build, "fuzz")
    targets = sorted(p for p in os.listdir(fuzz_dir) if p.startswith("fuzz_") and "." not in p) \
        if os.path.isdir(fuzz_dir) else []
    if not targets:
        tally.report("FAIL", "fuzz", f"no fuzz targets in {fuzz_dir}: run make first")
    for target in targets:
        corpus = os.path.join(build, "fuzz-corpus", target)
        os.makedirs(corpus, exist_ok=True)
        cmd = [os.path.join(fuzz_dir, target), f"-max_total_time={seconds}", "-timeout=10",
               "-rss_limit_mb=2048", f"-artifact_prefix={corpus}/", corpus]
        seeds = os.path.join(fuzz_dir, target + ".seeds")
        if os.path.isdir(seeds):
            cmd.append(seeds)
        proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=seconds + 120)
        runs = re.findall(r"Done (\d+) runs", proc.stdout)
        if proc.returncode == 0:
            tally.report("PASS", f"fuzz/{target[5:]}", "")
            print(f"  {target}: {runs[-1] if runs else '?'} runs in {seconds} s", flush=True)
        else:
            tally.report("FAIL", f"fuzz/{target[5:]}", f"exit {proc.returncode}\n{tail(proc.stdout)}")


def run_system(build, tally, quick):
    logdir = os.path.join(build, "test-logs")
    os.makedirs(logdir, exist_ok=True)
    junit = os.path.join(logdir, "system.xml")
    if os.path.exists(junit):
        os.remove(junit)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--junitxml", junit,
           os.path.join(ROOT, "tests", "system")]
    if quick:
        cmd += ["-m", "not slow"]
    env = dict(os.environ, KEEL_BUILD=os.path.abspath(build))
    with open(os.path.join(logdir, "pytest.log"), "w") as log:
        rc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
    if not os.path.exists(junit):
        with open(os.path.join(logdir, "pytest.log")) as log:
            tally.report("FAIL", "system", f"pytest exited with {rc} and wrote no results\n{tail(log.read())}")
        return
    tally.tier_times = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        name = f"{props.get('name', 'system/' + case.get('name'))} [{props.get('where', 'host')}]"
        tier = name.split("/", 1)[0]
        tally.tier_times[tier] = tally.tier_times.get(tier, 0.0) + float(case.get("time", 0))
        tally.current_tier = tier
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        if failure is not None:
            tally.report("FAIL", name, (failure.text or failure.get("message") or "").strip())
        elif case.find("skipped") is not None:
            tally.report("SKIP", name, case.find("skipped").get("message", ""))
        else:
            tally.report("PASS", name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--quick", action="store_true", help="skip the slow system tests")
    ap.add_argument("--only", choices=["unit", "fuzz", "system"])
    ap.add_argument("--fuzz-seconds", type=int, default=20, help="time per fuzz target")
    args = ap.parse_args()

    tally = Tally()
    tiers = [("unit", lambda: run_unit(args.build, tally)),
             ("fuzz", lambda: run_fuzz(args.build, tally, 5 if args.quick else args.fuzz_seconds)),
             ("system", lambda: run_system(args.build, tally, args.quick))]
    measured = {}
    for name, run in tiers:
        if args.only and name != args.only:
            continue
        start = time.monotonic()
        run()
        measured[name] = time.monotonic() - start
    times = dict(tally.tier_times, unit=measured.get("unit", 0.0), fuzz=measured.get("fuzz", 0.0))
    for tier, (p, f) in tally.per_tier.items():
        print(f"tier {tier}: {p} passed, {f} failed in {times.get(tier, 0.0):.1f} s")
    summary = f"{tally.passed} passed, {tally.failed} failed"
    if tally.skipped:
        summary += f", {tally.skipped} skipped"
    print(summary)
    return 0 if tally.failed == 0 and tally.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
