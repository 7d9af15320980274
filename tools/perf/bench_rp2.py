"""`make bench-rp2 UF2=path/to/RPI_PICO-v1.27.0.uf2`: the firmware timed on the target.

The given MicroPython firmware boots in an emulated RP2040 (PyPI rp2040py: Cortex-M0+
instruction cycles at 125 MHz, no flash wait states, so a best case for a board), with the
pico deploy on its flash filesystem (tools/perf/rp2_image.py) and the board's wiring around
the chip (tools/perf/rp2_board.py: the OLED on I2C with its bus time, a resistive load behind
the sense inputs, the buttons, the pulse pads). tools/perf/rp2_guest.py builds the App the
way ustim.boot does and steps it on the 10 ms cadence; every figure is emulated time read
with time.ticks_us() inside the guest, so the I2C bus time of each display write is in the
tick that made it.

Three emulator sessions, run in parallel with --jobs:
- "ticks": idle; ch1 mod + ch2 alt at 30 mA; the same with a key press every 200 ms (the UI
  redrawing); the same with a `status` line every 100 ms on the USB port as well; then
  running on to 10,000 ticks for the free heap.
- "alloc": per preset, both channels at 30 mA, bytes allocated with gc disabled.
- "train": a 150 Hz program on ch1 (programs.json) with the UI redrawing and a `status`
  every 100 ms for --train-s emulated seconds: every interval between pulses, and the PIO
  TX FIFO level at each pulse.

Results: out/bench/rp2.json (and the "rp2" part of out/bench/bench.json) and a table.
The emulator runs some 30-40 times slower than real time: the default run takes about an
hour of wall time on one core; --quick shortens every run to a smoke test.
"""

import argparse
import asyncio
import json
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tools.perf import rp2_board, rp2_image

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "out" / "bench"
GUEST = Path(__file__).with_name("rp2_guest.py")
PRESETS = ("tens", "acu", "burst", "alt", "mod", "oa", "tka", "short")
UA = 30000
LED = 25                  # the guest holds it high while the measured ticks run
KEY_EVERY_MS = 200
KEY_HOLD_MS = 60
STATUS_EVERY_MS = 100
UP, DOWN = 2, 3           # indices in the board's PIN_BUTTONS
BIN_US = 10               # the guest's tick histogram resolution
TRAIN_HZ = 150
TRAIN_PROGRAMS = {"programs": [{"id": "t150", "name": "Bench 150 Hz", "kind": "TENS",
                                "freq_hz": TRAIN_HZ, "phase_us": 200, "minutes": 60}]}
MS = 1_000_000            # ns
# While the CPU sleeps the emulator jumps to the next alarm and the PIO state machines
# lose cycles in the jump. A 500 ns alarm keeps the ticks' figures (they are CPU time) at a
# fraction of the wall time of a 64 ns one, but a 150 Hz train then comes out with nearly
# every interval up to 24 us long; at 64 ns every interval is its period to 0.3 us. The
# train session, which judges the pulses' timing, runs at 64 ns.
PACE_NS = 500
TRAIN_PACE_NS = 64
# Wall time allowed a run of n ticks: RUN_BASE_S + n * RUN_TICK_S. A 10 ms tick takes
# some 0.4 s of wall time at the 64 ns pacing on an idle machine; with sessions sharing
# the cores, several times that (a 60 s train with three sessions on two cores passed an
# hour).
RUN_BASE_S = 600
RUN_TICK_S = 2.0


class Stimulus:
    """Key presses and console lines timed on the emulated clock, active while the LED
    pad is high (the guest's measured ticks)."""

    def __init__(self, dev, board, keys=False, status=False):
        self.clock = dev.simulator.clock
        self.cdc = dev.cdc
        self.buttons = rp2_board.Buttons(dev.mcu, board)
        self.keys = keys
        self.status = status
        self.on = False
        self.presses = 0
        self.lines = 0
        self._next_key = UP
        self._key_alarm = self.clock.create_alarm(self._key)
        self._status_alarm = self.clock.create_alarm(self._line)
        dev.mcu.gpio[LED].add_listener(self._led)

    def _led(self, value, _old):
        on = int(value) == 1
        if on == self.on:
            return
        self.on = on
        if on:
            if self.keys:
                self._key_alarm.schedule(KEY_EVERY_MS * MS)
            if self.status:
                self._status_alarm.schedule(STATUS_EVERY_MS * MS)
        else:
            self._key_alarm.cancel()
            self._status_alarm.cancel()
            for i in (UP, DOWN):
                self.buttons.set(i, False)

    def _key(self):
        if not self.on:
            return
        key = self._next_key
        self.buttons.set(key, True)
        self.presses += 1
        release = self.clock.create_alarm(lambda: self.buttons.set(key, False))
        release.schedule(KEY_HOLD_MS * MS)
        self._next_key = DOWN if key == UP else UP
        self._key_alarm.schedule(KEY_EVERY_MS * MS)

    def _line(self):
        if not self.on:
            return
        for b in b"status\n":
            self.cdc.send_serial_byte(b)
        self.lines += 1
        self._status_alarm.schedule(STATUS_EVERY_MS * MS)


class Rig:
    """One emulated Pico with the deploy on its flash and the board's wiring around it."""

    def __init__(self, uf2, image, pace_ns=PACE_NS):
        from rp2040py.boards import BOARDS, resolve_firmware
        from rp2040py.device import MicroPythonDevice

        from tools.dev import deploy
        self.board = deploy.load_board(deploy.board_path("pico"))
        image, self.files = image
        spec = resolve_firmware(BOARDS["pico"], "micropython", str(uf2))
        self.dev = MicroPythonDevice(board=spec, filesystem=str(image))
        mcu = self.dev.mcu
        b = self.board
        self.oled = rp2_board.Oled(mcu, b.I2C_ID, b.OLED_ADDR)
        self.load = rp2_board.Load(mcu, b)
        self.pulses = rp2_board.Pulses(mcu, b)
        self.pacer = rp2_board.Pacer(self.dev.simulator.clock, pace_ns)

    async def start(self):
        await self.dev.astart(timeout=600)
        await self.call(GUEST.read_text(), 600)

    async def call(self, src, timeout=3600):
        out, err = await self.dev.aexec(src, timeout=timeout)
        if err.strip():
            raise RuntimeError("guest error: %s" % err.decode(errors="replace").strip())
        return out.decode(errors="replace")


def tagged(text, tag):
    """The fields of every line holding @tag: a console reply cut at a USB block may come
    before it on its line."""
    mark = "@" + tag + " "
    return [line[line.index(mark):].split()[1:] for line in text.splitlines() if mark in line]


def tick_stats(dump):
    """min / median / p99 / max from the guest's histogram (BIN_US resolution; max exact)."""
    run = [int(x) for x in tagged(dump, "TICKS")[0]]
    hist = [f for line in tagged(dump, "HIST") for f in line]
    bins = sorted((int(k), int(v)) for k, v in (f.split(":") for f in hist))
    n = sum(v for _, v in bins)

    def at(q):
        want = q * n
        seen = 0
        for k, v in bins:
            seen += v
            if seen >= want:
                return (k + 0.5) * BIN_US / 1000
        return None

    ticks, alloc, worst, worst_bytes, most, total = run
    longest = []
    for line in tagged(dump, "LONG"):
        for f in line:
            us, tick, shown, replies = (int(x) for x in f.split(":"))
            longest.append({"ms": us / 1000, "tick": tick, "display_bytes": shown,
                            "replies": replies})
    longest.sort(key=lambda x: -x["ms"])
    return {"ticks": ticks, "bytes_allocated": alloc, "longest": longest,
            "min_ms": bins[0][0] * BIN_US / 1000 if bins else None,
            "median_ms": at(0.5), "p99_ms": at(0.99), "max_ms": worst / 1000,
            "display_bytes_in_worst_tick": worst_bytes, "display_bytes_per_tick_max": most,
            "display_bytes_per_tick_mean": round(total / ticks, 1) if ticks else 0}


def run_line(text):
    runs = tagged(text, "RUN")
    if not runs:
        raise RuntimeError("the guest's run ended without its figures:\n" + text[-2000:])
    ticks, alloc, free, worst, overruns, failed = runs[-1]
    return {"ticks": int(ticks), "bytes_allocated": int(alloc), "mem_free": int(free),
            "app_worst_tick_us": int(worst), "app_overruns": int(overruns),
            "failed": None if failed == "-" else failed}


GC_BLOCK = 16       # bytes in a block of MicroPython's heap on a 32-bit port


def largest_free(text):
    """The largest free piece of the heap, in bytes, from micropython.mem_info()'s
    "max free sz" (in blocks); None when the text has none."""
    m = re.search(r"max free sz: (\d+)", text)
    return int(m.group(1)) * GC_BLOCK if m else None


async def _boot(rig, display=True):
    await rig.start()
    out = await rig.call("bench_boot(%d)" % display)
    free0, free1, disp, version, mp, boot_ms = tagged(out, "BOOT")[0]
    if display and disp != "1":
        raise RuntimeError("the OLED was not found on the emulated I2C bus")
    return {"mem_free_before_app": int(free0), "mem_free_after_boot": int(free1),
            "firmware": version, "micropython": mp.replace("_", " "), "files": rig.files,
            "boot_ms": int(boot_ms), "largest_free_bytes": largest_free(out)}


async def _measure(rig, n, no_gc=False):
    out = await rig.call("bench_run(%d, %s)" % (n, no_gc), RUN_BASE_S + n * RUN_TICK_S)
    stats = tick_stats(await rig.call("bench_dump()"))
    stats.update(run_line(out))
    if stats["failed"]:
        # Outputs off, the App stepping no more: its figures are of nothing. The
        # RUN line has the text with _ for spaces; asked again, it comes whole.
        text = tagged(await rig.call("print('@FAILED', _APP.failed)"), "FAILED")[0]
        raise RuntimeError("the App failed: " + " ".join(text))
    return stats, out


async def _start(rig, pids):
    out = await rig.call("bench_start(%r, %d)" % (list(pids), UA))
    refused = tagged(out, "REFUSED")
    if refused:
        raise RuntimeError("start refused: %s" % refused)


def answered(out):
    """Console replies (JSON lines) in a run's output."""
    return sum(1 for line in out.splitlines() if line.startswith('{"'))


def fed_counts(state_fields):
    """The pulse engine's per-channel counts of pulses that came out, from a STATE line."""
    return [int(x) for x in state_fields[state_fields.index("fed") + 1:]]


def outputting(state_fields, pids, fed_before=None):
    """Raise unless every channel given a program outputs (RAMPING or RUNNING, level
    above 0) and, given the engine's counts from before the measured ticks, put out
    pulses meanwhile: the figures would otherwise be those of a channel that went off
    or of a train that stalled."""
    fed = fed_counts(state_fields) if fed_before is not None else None
    for ch, pid in enumerate(pids):
        if pid is None:
            continue
        name, _target, out_ua, _faults = state_fields[ch].split(":")
        if name not in ("RAMPING", "RUNNING") or int(out_ua) <= 0:
            raise RuntimeError("ch%d (%s) is %s at %s uA, not outputting" % (
                ch + 1, pid, name, out_ua))
        if fed is not None and fed[ch] <= fed_before[ch]:
            raise RuntimeError("ch%d (%s) is %s at %s uA but no pulse came out (%d before, "
                               "%d after)" % (ch + 1, pid, name, out_ua, fed_before[ch], fed[ch]))


async def _fed(rig):
    return fed_counts(tagged(await rig.call("bench_state()"), "STATE")[0])


async def _check_outputting(rig, pids, fed_before=None):
    fields = tagged(await rig.call("bench_state()"), "STATE")[0]
    try:
        outputting(fields, pids, fed_before)
    except RuntimeError as e:
        # What the controller did since the start says why.
        why = [line for line in (await rig.call("bench_events()")).splitlines()
               if line.startswith(("@EVENT", "@WHY"))]
        raise RuntimeError("%s; since the start:\n%s" % (e, "\n".join(why))) from None
    return " ".join(fields)


async def _ticks_session(rig, n, heap_ticks):
    res = {"boot": await _boot(rig)}
    cases = res["cases"] = {}
    cases["idle"], _ = await _measure(rig, n)
    await _start(rig, ("mod", "alt"))
    fed = await _fed(rig)
    cases["ramping (mod + alt)"], _ = await _measure(rig, 300)
    await _check_outputting(rig, ("mod", "alt"), fed)
    cases["running mod + alt 30 mA"], _ = await _measure(rig, n)
    stim = Stimulus(rig.dev, rig.board, keys=True)
    cases["+ key press every 200 ms"], _ = await _measure(rig, n)
    stim.status = True
    presses = stim.presses
    both, out = await _measure(rig, n)
    both["status_sent"] = stim.lines
    both["status_answered"] = answered(out)
    both["key_presses"] = stim.presses - presses
    cases["+ keys + status every 100 ms"] = both
    stim.keys = stim.status = False
    done = 300 + 3 * n
    if heap_ticks > done:
        longrun, _ = await _measure(rig, heap_ticks - done)
        res["heap_after_%d_ticks" % heap_ticks] = longrun["mem_free"]
        res["running_on"] = longrun
    out = await rig.call("bench_state()\nbench_heap()")
    res["state"] = " ".join(tagged(out, "STATE")[0])
    res["mem_free_after_collect"] = int(tagged(out, "HEAP")[0][0])
    return res


async def _alloc_session(rig, n):
    res = {"boot": await _boot(rig)}
    per = res["presets"] = {}
    for pid in PRESETS:
        await _start(rig, (pid, pid))
        await _measure(rig, 100)
        fed = await _fed(rig)
        stats, _ = await _measure(rig, n, no_gc=True)
        state = await _check_outputting(rig, (pid, pid), fed)
        per[pid] = {"ticks": stats["ticks"], "bytes_allocated": stats["bytes_allocated"],
                    "state_after": state,
                    "bytes_per_1000_ticks": round(stats["bytes_allocated"] * 1000 / stats["ticks"]),
                    "median_ms": stats["median_ms"], "max_ms": stats["max_ms"]}
        await rig.call("bench_stop()")
        await _measure(rig, 150)
    return res


def train_files():
    return {"programs.json": json.dumps(TRAIN_PROGRAMS).encode()}


async def _train_session(rig, seconds):
    res = {"boot": await _boot(rig)}
    await _start(rig, ("t150", None))
    fed = await _fed(rig)
    await _measure(rig, 300)            # the start ramp
    await _check_outputting(rig, ("t150", None), fed)
    rig.pulses.edges[0].clear()
    rig.pulses.fifo_at_a[0].clear()
    stim = Stimulus(rig.dev, rig.board, keys=True, status=True)
    stats, out = await _measure(rig, seconds * 100)
    rises = [t for t, role, v in rig.pulses.edges[0] if role == "A" and v == 1]
    gaps = [(b - a) / 1000 for a, b in zip(rises, rises[1:], strict=False)]
    period = (1000000 + TRAIN_HZ - 1) // TRAIN_HZ
    fifo = rig.pulses.fifo_at_a[0]
    res.update({"seconds": seconds, "pulses": len(rises), "period_us": period,
                "interval_min_us": min(gaps) if gaps else None,
                "interval_max_us": max(gaps) if gaps else None,
                "gaps": sum(1 for g in gaps if g > 1.5 * period),
                # a pulse later than its period (+1 us): the FIFO ran dry
                "late": sum(1 for g in gaps if g > period + 1),
                "fifo_min": min(fifo) if fifo else None, "ticks": stats,
                "status_sent": stim.lines, "key_presses": stim.presses,
                "status_answered": answered(out)})
    return res


async def _on_rig(body, uf2, image, pace_ns, more):
    # The emulator stopped however the session ends: the pool's worker goes on
    # to the next session, and a device left running would take its core.
    rig = Rig(uf2, image, pace_ns)
    try:
        return await body(rig, *more)
    finally:
        rig.dev.stop()


def _session(name, args):
    t0 = time.monotonic()
    uf2, image = args["uf2"], args["images"][name]
    body, more = {"ticks": (_ticks_session, (args["n"], args["heap_ticks"])),
                  "alloc": (_alloc_session, (args["alloc_ticks"],)),
                  "train": (_train_session, (args["train_s"],))}[name]
    pace = TRAIN_PACE_NS if name == "train" else PACE_NS
    try:
        res = asyncio.run(_on_rig(body, uf2, image, pace, more))
    except Exception as e:      # noqa: BLE001 - reported; the other sessions' figures are kept
        return name, {"error": "%s: %s" % (type(e).__name__, e),
                      "wall_s": round(time.monotonic() - t0, 1)}
    res["wall_s"] = round(time.monotonic() - t0, 1)
    return name, res


def _fmt(v):
    return "-" if v is None else ("%.2f" % v if isinstance(v, float) else str(v))


def table(result):
    lines = ["uStim %s on an emulated RP2040 (rp2040py), %s" % (
        result["firmware"], result["micropython"]), "",
        "| case | ticks | min ms | median ms | p99 ms | max ms | display B/tick max | "
        "heap growth B (gc on) |", "|---|---|---|---|---|---|---|---|"]
    for name, c in result.get("ticks", {}).get("cases", {}).items():
        lines.append("| %s | %d | %s | %s | %s | %s | %d | %d |" % (
            name, c["ticks"], _fmt(c["min_ms"]), _fmt(c["median_ms"]), _fmt(c["p99_ms"]),
            _fmt(c["max_ms"]), c["display_bytes_per_tick_max"], c["bytes_allocated"]))
    lines.append("")
    for name, c in result.get("ticks", {}).get("cases", {}).items():
        if c.get("longest"):
            lines.append("longest ticks, %s: %s" % (name, "; ".join(
                "%s ms (tick %d, %d display bytes, %d replies)" % (
                    _fmt(x["ms"]), x["tick"], x["display_bytes"], x["replies"])
                for x in c["longest"])))
    lines.append("")
    for row in result["rows"]:
        met = "-" if row["met"] is None else ("yes" if row["met"] else "NO")
        lines.append("%-58s %14s %-6s budget %-10s %s" % (
            row["figure"], _fmt(row["value"]), row["unit"], row["budget"], met))
    return "\n".join(lines)


def rows_for(result):
    rows = []

    def row(name, value, unit, budget, met):
        rows.append({"figure": name, "value": value, "unit": unit, "budget": budget,
                     "met": met})

    t = result.get("ticks")
    if t:
        row("rp2 free heap after boot, display on", t["boot"]["mem_free_after_boot"], "bytes",
            ">= 122880", t["boot"]["mem_free_after_boot"] >= 122880)
        row("rp2 largest free piece of the heap after boot", t["boot"].get("largest_free_bytes"),
            "bytes", "-", None)
        row("rp2 boot: imports, board checks, hardware, App", t["boot"].get("boot_ms"), "ms",
            "-", None)
        for k, v in t.items():
            if k.startswith("heap_after_"):
                row("rp2 free heap after %s running" % k[len("heap_after_"):].replace("_", " "),
                    v, "bytes", "-", None)
        c = t["cases"]["+ keys + status every 100 ms"]
        row("rp2 tick, running + keys + console: worst", c["max_ms"], "ms", "<= 5.0",
            c["max_ms"] <= 5.0)
        row("rp2 tick, running + keys + console: median", c["median_ms"], "ms", "<= 2.5",
            c["median_ms"] <= 2.5)
        row("rp2 status lines answered", "%d / %d" % (c["status_answered"], c["status_sent"]),
            "lines", "all", c["status_answered"] >= c["status_sent"] - 1)
    a = result.get("alloc")
    if a:
        worst = max(p["bytes_per_1000_ticks"] for p in a["presets"].values())
        row("rp2 bytes allocated per 1000 running ticks, worst preset", worst, "bytes", "0",
            worst == 0)
    tr = result.get("train")
    if tr:
        row("rp2 150 Hz train, %d s with UI + console: gaps" % tr["seconds"], tr["gaps"],
            "gaps", "0", tr["gaps"] == 0 and tr["pulses"] > 0)
        row("rp2 150 Hz train: pulses later than their period", "%d of %d (longest %s us)" % (
            tr["late"], tr["pulses"], _fmt(tr["interval_max_us"])), "pulses", "0",
            tr["late"] == 0)
        row("rp2 150 Hz train: smallest TX FIFO level at a pulse", tr["fifo_min"], "words",
            "> 0", (tr["fifo_min"] or 0) > 0)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tools.perf.bench_rp2", description=__doc__.split(
        "\n")[0])
    ap.add_argument("--uf2", required=True, help="MicroPython RPI_PICO firmware (.uf2)")
    ap.add_argument("--ticks", type=int, default=1000, help="ticks per timed case (1000)")
    ap.add_argument("--heap-ticks", type=int, default=10000,
                    help="running ticks before the heap figure (10000)")
    ap.add_argument("--alloc-ticks", type=int, default=1000,
                    help="ticks per preset with gc disabled (1000)")
    ap.add_argument("--train-s", type=int, default=60, help="150 Hz train length, s (60)")
    ap.add_argument("--sessions", default="ticks,alloc,train")
    ap.add_argument("--jobs", type=int, default=1, help="sessions run at once (1)")
    ap.add_argument("--quick", action="store_true", help="short runs: a smoke test")
    args = ap.parse_args(argv)
    uf2 = Path(args.uf2)
    if not uf2.is_file():
        print("bench-rp2: no firmware file %s (give UF2=path/to/RPI_PICO .uf2)" % uf2,
              file=sys.stderr)
        return 2
    if args.quick:
        args.ticks, args.heap_ticks, args.alloc_ticks, args.train_s = 100, 0, 100, 2
    names = [s for s in args.sessions.split(",") if s]
    bad = [s for s in names if s not in ("ticks", "alloc", "train")]
    if bad:
        print("bench-rp2: unknown session %s (ticks, alloc, train)" % ",".join(bad),
              file=sys.stderr)
        return 2
    t0 = time.monotonic()
    # The images are made here, once, before the sessions start: staging a deploy
    # rewrites build/deploy, which sessions building at once would trip over.
    plain = rp2_image.image_for("pico")
    images = {"ticks": plain, "alloc": plain}
    if "train" in names:
        images["train"] = rp2_image.image_for("pico", train_files())
    images = {k: (str(v[0]), v[1]) for k, v in images.items()}
    params = {"uf2": str(uf2.resolve()), "images": images, "n": args.ticks,
              "heap_ticks": args.heap_ticks, "alloc_ticks": args.alloc_ticks,
              "train_s": args.train_s}
    result = {"uf2": uf2.name, "firmware": "?", "micropython": "?"}
    errors = {}
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for name, res in pool.map(_session, names, [params] * len(names)):
            if "error" in res:
                errors[name] = res["error"]
            else:
                result[name] = res
                result["firmware"] = res["boot"]["firmware"]
                result["micropython"] = res["boot"]["micropython"]
    if errors:
        result["errors"] = errors
    result["rows"] = rows_for(result)
    result["wall_s"] = round(time.monotonic() - t0, 1)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "rp2.json").write_text(json.dumps(result, indent=1) + "\n")
    bench = OUT / "bench.json"
    if bench.exists():
        whole = json.loads(bench.read_text())
        whole["rp2"] = result
        bench.write_text(json.dumps(whole, indent=1) + "\n")
    print(table(result))
    for name, text in errors.items():
        print("\nbench-rp2: the %s session failed: %s" % (name, text), file=sys.stderr)
    print("\nwrote %s (%.0f s)" % (OUT / "rp2.json", result["wall_s"]))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
