"""Prometheus metrics (prometheus-client), one registry per app so tests can build many apps."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# Latency buckets from 5 ms (TextRank) to 2 minutes (beam search on long articles).
_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "newsum_requests",
            "HTTP requests by endpoint, method and status.",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "newsum_request_seconds",
            "HTTP request latency by endpoint and method.",
            ["endpoint", "method"],
            buckets=_SECONDS,
            registry=self.registry,
        )
        self.stage = Histogram(
            "newsum_stage_seconds",
            "Time per pipeline stage: segmentation, textrank, generation, attribution, comparison.",
            ["stage"],
            buckets=_SECONDS,
            registry=self.registry,
        )
        # Queues are a fixed set (text, embeddings, model): bounded label values.
        self.queue_depth = Gauge(
            "newsum_queue_depth",
            "Jobs waiting in an owner's queue: text work, embeddings, the model.",
            ["queue"],
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "newsum_in_flight",
            "Jobs an owner's threads are running now.",
            ["queue"],
            registry=self.registry,
        )
        self.owner_restarts = Counter(
            "newsum_owner_restarts",
            "Owner threads that died and were replaced.",
            ["queue"],
            registry=self.registry,
        )
        self.model_loaded = Gauge(
            "newsum_model_loaded",
            "1 when the model is loaded and warmed, else 0.",
            ["engine", "model"],
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "newsum_batch_size",
            "Articles per generation batch (micro-batching across requests).",
            buckets=(1, 2, 3, 4, 6, 8, 12, 16),
            registry=self.registry,
        )
        self.batch_wait = Histogram(
            "newsum_batch_wait_seconds",
            "Time a generation waited for its batch to start.",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.rejected = Counter(
            "newsum_rejected",
            "Requests refused before any work: overloaded, rate_limited, payload_too_large, "
            "headers_too_large, uri_too_long, request_timeout (head or body late), "
            "connections_full, idle_connection (closed: nothing sent in time).",
            ["reason"],
            registry=self.registry,
        )

        self.connections = Gauge(
            "newsum_connections_open",
            "HTTP connections open now (NEWSUM_MAX_CONNECTIONS caps them).",
            registry=self.registry,
        )

    def observe_stages(self, timings_ms: dict[str, float]) -> None:
        for stage, milliseconds in timings_ms.items():
            self.stage.labels(stage).observe(milliseconds / 1000)

    def render(self) -> bytes:
        return generate_latest(self.registry)
