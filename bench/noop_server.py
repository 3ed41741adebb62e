"""A no-op ``interceptor.v1.Interceptor`` on the same gRPC stack: the baseline for ``loadgen``.

Same proto, same server options (``server.grpc_server``), same thread pool; every RPC
returns empty Decisions without converting or deciding anything, so the difference
between it and ``server.py`` is the cost of the service itself::

    python bench/noop_server.py --port 50052
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import server
from engine.affinity import AUTO, parse_cpus_option, pin_process
from proto.interceptor.v1 import interceptor_pb2 as pb
from proto.interceptor.v1 import interceptor_pb2_grpc as pb_grpc


class NoopServicer(pb_grpc.InterceptorServicer):
    """Answers every RPC with empty messages (one Decision per event)."""

    def CheckCall(self, request: pb.CallEvent, context: grpc.ServicerContext) -> pb.Decision:
        return pb.Decision()

    def CheckMessage(self, request: pb.MessageEvent, context: grpc.ServicerContext) -> pb.Decision:
        return pb.Decision()

    def ReportCallEnded(
        self, request: pb.CallEndedEvent, context: grpc.ServicerContext
    ) -> pb.Decision:
        return pb.Decision()

    def CheckBatch(
        self, request: pb.CheckBatchRequest, context: grpc.ServicerContext
    ) -> pb.CheckBatchResponse:
        response = pb.CheckBatchResponse()
        add = response.decisions.add
        for _ in range(len(request.events)):
            add()
        return response

    def CheckStream(
        self, request_iterator: Iterator[pb.Event], context: grpc.ServicerContext
    ) -> Iterator[pb.Decision]:
        for _ in request_iterator:
            yield pb.Decision()

    def GetStatus(self, request: pb.GetStatusRequest, context: grpc.ServicerContext) -> pb.Status:
        return pb.Status(ruleset_version="noop", serving=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=50052)
    parser.add_argument("--max-concurrent", type=int, default=server.ServeConfig().max_concurrent)
    parser.add_argument("--cpus", default=AUTO,
                        help="pin to these CPUs, as server.py --cpus (default auto; none)")
    args = parser.parse_args(argv)
    cpus = server.ServeConfig(cpus=parse_cpus_option(args.cpus)).worker_cpus(0)
    if cpus:
        pin_process(cpus)  # as server.py does, before gRPC's threads
    config = server.ServeConfig(host=args.host, port=args.port, max_concurrent=args.max_concurrent)
    grpc_server = server.grpc_server(config)
    pb_grpc.add_InterceptorServicer_to_server(NoopServicer(), grpc_server)
    health_servicer = health.HealthServicer()
    health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, grpc_server)
    grpc_server.add_insecure_port(f"{config.host}:{config.port}")
    grpc_server.start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    grpc_server.stop(2.0).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
