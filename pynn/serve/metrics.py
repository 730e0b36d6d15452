"""Request counters and a latency histogram in Prometheus' text format (0.0.4),
without a client library: the format is a few lines of text."""
import threading

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self, model_name, backend):
        self.model, self.backend = model_name, backend
        self._lock = threading.Lock()
        self._requests = {}        # (route, code) -> count
        self._latency = {}         # route -> [bucket counts..., sum, count]
        self._instances = 0

    def observe(self, route, code, seconds, instances=0):
        with self._lock:
            key = (route, str(code))
            self._requests[key] = self._requests.get(key, 0) + 1
            h = self._latency.setdefault(route, [0] * len(BUCKETS) + [0.0, 0])
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    h[i] += 1
            h[-2] += seconds
            h[-1] += 1
            self._instances += instances

    def render(self):
        lab = f'model="{self.model}",backend="{self.backend}"'
        lines = ["# HELP pynn_serve_requests_total HTTP requests by route and status code.",
                 "# TYPE pynn_serve_requests_total counter"]
        with self._lock:
            for (route, code), n in sorted(self._requests.items()):
                lines.append(f'pynn_serve_requests_total{{{lab},route="{route}",code="{code}"}} '
                             f'{n}')
            lines += ["# HELP pynn_serve_request_duration_seconds Time from request to response.",
                      "# TYPE pynn_serve_request_duration_seconds histogram"]
            for route, h in sorted(self._latency.items()):
                for bound, n in zip(BUCKETS, h):
                    lines.append(f'pynn_serve_request_duration_seconds_bucket'
                                 f'{{{lab},route="{route}",le="{bound}"}} {n}')
                lines.append(f'pynn_serve_request_duration_seconds_bucket{{{lab},route="{route}",'
                             f'le="+Inf"}} {h[-1]}')
                lines.append(f'pynn_serve_request_duration_seconds_sum{{{lab},route="{route}"}} '
                             f'{h[-2]:.6f}')
                lines.append(f'pynn_serve_request_duration_seconds_count{{{lab},route="{route}"}} '
                             f'{h[-1]}')
            lines += ["# HELP pynn_serve_predicted_instances_total Instances predicted.",
                      "# TYPE pynn_serve_predicted_instances_total counter",
                      f"pynn_serve_predicted_instances_total{{{lab}}} {self._instances}"]
        return "\n".join(lines) + "\n"
