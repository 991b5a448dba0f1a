"""eegen runtime helpers for applications: progress, timers, results, MLCommons log lines.

Standard library only, Python 3.8+. Copy this file next to your app or put its folder on
PYTHONPATH. Nothing here raises because reporting failed: a run must not die because its
progress could not be written. The formats are described in eegen's docs/formats.md.

    from eegen_runtime import progress, StopWatch, result, mllog

    StopWatch.start("training")
    for epoch in range(1, 7):
        ...
        progress(100 * epoch / 6, msg=f"epoch {epoch}/6")
    StopWatch.stop("training")
    result({"accuracy": 0.91, "loss": 0.23})
    StopWatch.benchmark()
"""
import csv
import datetime
import getpass
import io
import json
import math
import os
import platform
import sys
import tempfile
import time

__all__ = ["progress", "event", "StopWatch", "result", "mllog", "gpu_energy_mj", "energy_mark"]


def _utc_now_iso():
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _plain(value):
    """JSON-ready copy: NaN/inf -> None, tuples/sets -> lists, numpy scalars/arrays -> Python values."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    for method in ("tolist", "item"):
        if hasattr(value, method):
            try:
                return _plain(getattr(value, method)())
            except Exception:
                pass
    return str(value)


def _json(value, **kwargs):
    return json.dumps(_plain(value), ensure_ascii=False, allow_nan=False, **kwargs)


_KEY_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def _kv_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)) and math.isfinite(value):
        return repr(value)
    text = value if isinstance(value, str) else _json(value)
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"')
               .replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t"))
    return '"' + escaped + '"'


def _status_line(name, fields):
    parts = ["# eegen"]
    if name != "progress":
        parts.append("event=" + _kv_value(name))
    for key, value in fields.items():
        if key and key[0] not in "0123456789.-" and set(key) <= _KEY_CHARS:
            parts.append(key + "=" + _kv_value(value))
    return " ".join(parts)


def event(name, **fields):
    """Record an event: a JSON line appended to $EEGEN_EVENTS, or a `# eegen` line on stdout.

    Fields whose value is None are left out.
    """
    fields = {k: v for k, v in fields.items() if v is not None}
    path = os.environ.get("EEGEN_EVENTS")
    if path:
        record = {"ts": _utc_now_iso(), "event": name}
        record.update(fields)
        line = (_json(record, separators=(",", ":")) + "\n").encode("utf-8")
        try:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            # One write with O_APPEND: lines from several processes never interleave.
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
            return
        except OSError:
            pass
    try:
        print(_status_line(name, fields), flush=True)
    except Exception:
        pass


def progress(percent, msg=None, **fields):
    """Report progress (0-100) and an optional message."""
    event("progress", progress=percent, msg=msg, **fields)


def _bundle_dir():
    """The bundle: parent of eegen-run/ when $EEGEN_EVENTS points there, else the working directory."""
    events = os.environ.get("EEGEN_EVENTS")
    if events:
        run_dir = os.path.dirname(os.path.abspath(events))
        if os.path.basename(run_dir) == "eegen-run":
            return os.path.dirname(run_dir)
    return os.getcwd()


def result(data, path=None):
    """Write `data` (a dict) as result.json in the bundle, atomically. Returns the path."""
    if path is None:
        path = os.path.join(_bundle_dir(), "result.json")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".result.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(_json(data, indent=2) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def mllog(key, value=None, *, event_type="POINT_IN_TIME", namespace="", **metadata):
    """Print an MLCommons `:::MLLOG {json}` line; metadata gets the caller's file and line."""
    if "file" not in metadata or "lineno" not in metadata:
        caller = sys._getframe(1)
        metadata.setdefault("file", caller.f_code.co_filename)
        metadata.setdefault("lineno", caller.f_lineno)
    record = {"namespace": namespace, "time_ms": int(time.time() * 1000), "event_type": event_type,
              "key": key, "value": value, "metadata": metadata}
    print(":::MLLOG " + _json(record), flush=True)


def gpu_energy_mj():
    """{gpu index: millijoules} from the NVML total-energy counters (exact; Volta and newer).

    Indices are NVML's, the same as nvidia-smi's (CUDA_VISIBLE_DEVICES does not renumber
    them). Returns {} where there is no NVIDIA driver or the GPU has no counter.
    """
    try:
        import ctypes
        lib = ctypes.CDLL("libnvidia-ml.so.1")
    except Exception:
        return {}
    readings = {}
    try:
        if lib.nvmlInit_v2() != 0:
            return {}
        try:
            count = ctypes.c_uint(0)
            if lib.nvmlDeviceGetCount_v2(ctypes.byref(count)) != 0:
                return {}
            for index in range(count.value):
                handle = ctypes.c_void_p()
                if lib.nvmlDeviceGetHandleByIndex_v2(ctypes.c_uint(index), ctypes.byref(handle)) != 0:
                    continue
                energy = ctypes.c_ulonglong(0)
                if lib.nvmlDeviceGetTotalEnergyConsumption(handle, ctypes.byref(energy)) == 0:
                    readings[index] = energy.value
        finally:
            lib.nvmlShutdown()
    except Exception:
        return {}
    return readings


def energy_mark(label):
    """Record one `energy` event per GPU with its counter now; label `start`/`end` or a phase name."""
    readings = gpu_energy_mj()
    for gpu, mj in sorted(readings.items()):
        event("energy", label=label, gpu=gpu, mJ=mj)
    return readings


def _one_line(text):
    return "" if text is None else str(text).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


class StopWatch:
    """Named timers, as cloudmesh-common's StopWatch: class-level, so any module can time a phase.

    benchmark() prints a table and `# csv,` lines that eegen reads. Unlike the old writer,
    fields are CSV-quoted, so a message may contain commas and quotes.
    """

    _timers = {}
    HEADER = ["timer", "status", "time", "sum", "start", "tag", "msg",
              "uname.node", "user", "uname.system", "platform.version"]

    @classmethod
    def _timer(cls, name):
        return cls._timers.setdefault(name, {"started": None, "t0": None, "seconds": None, "sum": 0.0,
                                              "status": "running", "msg": None, "tag": None})

    @classmethod
    def start(cls, name, msg=None, tag=None):
        t = cls._timer(name)
        if t["started"] is None:
            t["started"] = datetime.datetime.now(datetime.timezone.utc)
        t["t0"] = time.perf_counter()
        t["status"] = "running"
        if msg is not None:
            t["msg"] = msg
        if tag is not None:
            t["tag"] = tag

    @classmethod
    def stop(cls, name, status="ok", msg=None):
        t = cls._timer(name)
        if t["t0"] is not None:
            t["seconds"] = time.perf_counter() - t["t0"]
            t["sum"] += t["seconds"]
            t["t0"] = None
        t["status"] = status
        if msg is not None:
            t["msg"] = msg

    @classmethod
    def event(cls, name, msg=None, tag=None):
        """A zero-length timer that marks a moment, with a message."""
        cls.start(name, msg=msg, tag=tag)
        t = cls._timer(name)
        t["t0"], t["seconds"], t["status"] = None, 0.0, "ok"

    @classmethod
    def get(cls, name):
        t = cls._timers.get(name)
        return None if t is None else t["seconds"]

    @classmethod
    def clear(cls):
        cls._timers.clear()

    @staticmethod
    def _sysinfo():
        try:
            user = getpass.getuser()
        except Exception:
            user = os.environ.get("USER", "")
        return [platform.node(), user, platform.system(), platform.version()]

    @classmethod
    def rows(cls, tag=None):
        """One list of values per timer, in HEADER order."""
        info = cls._sysinfo()
        out = []
        for name, t in cls._timers.items():
            started = "" if t["started"] is None else t["started"].strftime("%Y-%m-%d %H:%M:%S")
            seconds = "" if t["seconds"] is None else "%.3f" % t["seconds"]
            out.append([name, t["status"], seconds, "%.3f" % t["sum"], started,
                        _one_line(t["tag"] if t["tag"] is not None else tag), _one_line(t["msg"])] + info)
        return out

    @classmethod
    def csv_lines(cls, tag=None):
        """The `# csv,` lines: header first, RFC 4180 quoting where a field needs it."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["# csv"] + cls.HEADER)
        for row in cls.rows(tag):
            writer.writerow(["# csv"] + [_one_line(v) for v in row])
        return buf.getvalue().splitlines()

    @classmethod
    def benchmark(cls, tag=None, file=None):
        """Print the timer table, then the `# csv,` lines."""
        out = file or sys.stdout
        rows = cls.rows(tag)
        shown = [["Name", "Status", "Time", "Sum", "Start", "tag", "msg"]] + [r[:7] for r in rows]
        widths = [max(len(str(r[i])) for r in shown) for i in range(7)]
        for i, r in enumerate(shown):
            print("| " + " | ".join(str(v).ljust(w) for v, w in zip(r, widths)) + " |", file=out)
            if i == 0:
                print("|" + "|".join("-" * (w + 2) for w in widths) + "|", file=out)
        print(file=out)
        for line in cls.csv_lines(tag):
            print(line, file=out)
        out.flush()
