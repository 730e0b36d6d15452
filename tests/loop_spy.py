"""LoopSpy: records the compiled loops (`_C.Loop`) that fit / evaluate / predict build
and counts their runs, for tests about how often the engine is entered. The C type
cannot be patched, so `_C.Loop` is replaced by a wrapper for the test's duration."""
from pynn import _C


class LoopSpy:
    def __init__(self, monkeypatch):
        self.built, self.runs = [], 0
        real, spy = _C.Loop, self

        class Loop:
            def __init__(self, *args, **kwargs):
                self.loop = real(*args, **kwargs)
                spy.built.append(self.loop)

            def run(self, *args, **kwargs):
                spy.runs += 1
                return self.loop.run(*args, **kwargs)

            def close(self):
                self.loop.close()

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return self.loop.__exit__(*exc)

        monkeypatch.setattr(_C, "Loop", Loop)
