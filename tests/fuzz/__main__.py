"""The long fuzz run, as one command (from the repository root):

    python -m tests.fuzz --calls 100000            # release build, ~100k public calls
    python -m tests.fuzz --calls 2000 --seed 7     # a short run
    python -m tests.fuzz --corpus-only             # every hostile file, every loader

Chunks of cases run in child interpreters (each a Hypothesis run with its own
seed), so a crash or a hang of the interpreter is counted with the case that
caused it, and the run goes on. The report: public calls made, outcomes by
exception type, findings (unclear exception types), deaths and hangs, each
with its case. Exit status 1 when anything was found. --json writes it all."""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _child(args):
    from . import harness
    kinds = args.kinds.split(",")
    harness.run_chunk(args.seed, args.cases, kinds, args.corpus, args.trace, args.result,
                      args.case_timeout, memory_limit=args.memory_limit << 20)


def _corpus_only(corpus_dir):
    """Each corpus file through each loader, in this process."""
    from . import cases, harness
    ctx = harness.Context(corpus_dir, tmp_root=os.path.dirname(corpus_dir))
    stats = harness.Stats()
    for path in ctx.corpus:
        for how in ("load_model", "load_weights", "word_vectors", "idx"):
            case = cases.Case("file", how, {"path": path})
            exc, calls = harness.run_case(case, ctx)
            stats.record(case, exc, calls)
    return stats


def run(calls=100000, cases_per_chunk=1000, seed=0, kinds="op,tensor,layer,model,optimizer,file",
        case_timeout=20, chunk_timeout=900, env=None, log=None, max_chunks=None,
        memory_limit_mb=None, json_path=None):
    """Runs chunks in child interpreters until `calls` public calls are made;
    returns the merged report (a dict)."""
    work = tempfile.mkdtemp(prefix="pynn-fuzz-run-")
    corpus_dir = os.path.join(work, "corpus")
    sys.path.insert(0, ROOT)
    from . import corpus
    corpus.build(corpus_dir)
    report = {"calls": 0, "cases": 0, "outcomes": {}, "findings": {}, "deaths": [], "hangs": [],
              "chunks": 0, "command": " ".join(sys.argv)}
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("PYNN_NUM_THREADS", "1")  # a fuzz run is a guest on a shared machine
    asan = "asan" in env.get("LD_PRELOAD", "")
    if memory_limit_mb is None:  # ASan maps terabytes of shadow memory: no rlimit there...
        memory_limit_mb = 0 if asan else 3072
    if asan and "max_allocation_size_mb" not in env.get("ASAN_OPTIONS", ""):
        # ...but its allocator can refuse big requests itself: malloc returns NULL,
        # which the engine must turn into MemoryError (a huge valid request is no bug)
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + \
            ":allocator_may_return_null=1:max_allocation_size_mb=3072"

    chunk = 0
    t0 = time.time()
    while report["calls"] < calls and (max_chunks is None or chunk < max_chunks):
        result, trace = os.path.join(work, f"r{chunk}.json"), os.path.join(work, f"t{chunk}.txt")
        cmd = [sys.executable, "-m", "tests.fuzz", "--child", "--seed", str(seed + chunk),
               "--cases", str(cases_per_chunk), "--kinds", kinds, "--corpus", corpus_dir,
               "--trace", trace, "--result", result, "--case-timeout", str(case_timeout),
               "--memory-limit", str(memory_limit_mb)]
        try:
            proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                                  timeout=chunk_timeout)
            rc, err = proc.returncode, proc.stderr
        except subprocess.TimeoutExpired as e:
            rc, err = "timeout", (e.stderr or b"").decode(errors="replace") \
                if isinstance(e.stderr, bytes) else (e.stderr or "")
        part = json.load(open(result)) if os.path.exists(result) else \
            {"cases": 0, "calls": 0, "outcomes": {}, "findings": {}}
        report["calls"] += part["calls"]
        report["cases"] += part["cases"]
        for k, v in part["outcomes"].items():
            report["outcomes"][k] = report["outcomes"].get(k, 0) + v
        for k, f in part["findings"].items():
            if k in report["findings"]:
                report["findings"][k]["count"] += f["count"]
            else:
                report["findings"][k] = dict(f, seed=seed + chunk)
        if rc != 0:
            case = open(trace).read() if os.path.exists(trace) else "?"
            hang = rc == "timeout" or rc == -signal.SIGALRM
            entry = {"seed": seed + chunk, "case": case[:1500],
                     "status": rc if isinstance(rc, str) else
                     (f"signal {signal.Signals(-rc).name}" if rc < 0 else f"exit {rc}"),
                     "stderr": err[-3000:]}
            report["hangs" if hang else "deaths"].append(entry)
        report["chunks"] += 1
        chunk += 1
        if json_path:  # after every chunk: a long run stopped early still reports
            report["seconds"] = round(time.time() - t0, 1)
            with open(json_path, "w") as f:
                json.dump(report, f, indent=1)
        if log:
            log(f"[{time.time() - t0:7.0f}s] chunk {chunk}: calls {report['calls']}, "
                f"findings {len(report['findings'])}, deaths {len(report['deaths'])}, "
                f"hangs {len(report['hangs'])}")
    report["seconds"] = round(time.time() - t0, 1)
    shutil.rmtree(work, ignore_errors=True)
    return report


def summary(report):
    lines = [f"calls: {report['calls']:,} public API calls in {report['cases']:,} cases, "
             f"{report['chunks']} chunks, {report.get('seconds', 0)} s",
             "outcomes: " + ", ".join(f"{k} {v:,}" for k, v in
                                      sorted(report["outcomes"].items(), key=lambda kv: -kv[1])),
             f"findings: {len(report['findings'])}, deaths: {len(report['deaths'])}, "
             f"hangs: {len(report['hangs'])}"]
    for k, f in report["findings"].items():
        lines.append(f"  FINDING x{f['count']} {k}\n    at {f['where']}\n    case {f['case'][:400]}")
    for kind in ("deaths", "hangs"):
        for d in report[kind]:
            lines.append(f"  {kind[:-1].upper()} ({d['status']}, seed {d['seed']}): "
                         f"{d['case'][:400]}")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--calls", type=int, default=100000, help="public API calls to make")
    p.add_argument("--cases", type=int, default=1000, help="cases per child interpreter")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--kinds", default="op,tensor,layer,model,optimizer,file")
    p.add_argument("--case-timeout", type=int, default=20, help="seconds before a case is a hang")
    p.add_argument("--memory-limit", type=int, default=None,
                   help="address-space limit of a child in MB (default 3072; 0 = none, "
                        "as needed under ASan)")
    p.add_argument("--json", help="write the full report here")
    p.add_argument("--corpus-only", action="store_true")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--corpus", help=argparse.SUPPRESS)
    p.add_argument("--trace", help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        args.memory_limit = args.memory_limit or 0
        _child(args)
        return 0
    if args.corpus_only:
        from . import corpus
        work = tempfile.mkdtemp(prefix="pynn-fuzz-")
        try:
            folder = os.path.join(work, "corpus")
            corpus.build(folder)
            stats = _corpus_only(folder)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        report = dict(stats.to_json(), deaths=[], hangs=[], chunks=1)
    else:
        report = run(args.calls, args.cases, args.seed, args.kinds, args.case_timeout,
                     log=lambda s: print(s, file=sys.stderr, flush=True),
                     memory_limit_mb=args.memory_limit, json_path=args.json)
    print(summary(report))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 1 if report["findings"] or report["deaths"] or report["hangs"] else 0


if __name__ == "__main__":
    sys.exit(main())
