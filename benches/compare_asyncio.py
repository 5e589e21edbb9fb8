"""asyncio and uvloop, as reference rows for tether's comparison harness.

The harness (`cargo run --release -p tether-compare`) runs this script as a
worker process, exactly as it runs its Rust workers:

    python3 benches/compare_asyncio.py <workload> <asyncio|uvloop> <size>

and reads one line of `key=value` metrics (for the TCP echo workloads, an
`addr=` line first; the harness's own client then talks to the server).
`python3 benches/compare_asyncio.py setup` reports whether uvloop can be
imported, installing it with pip first if it is missing.

Python's garbage collector stays on: that is what users run.
"""

import asyncio
import queue
import resource
import socket
import subprocess
import sys
import threading
import time


def peak_rss_mib():
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def new_loop(kind):
    if kind == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def background_loop(kind):
    """A loop running forever on a thread of its own."""
    loop = new_loop(kind)
    threading.Thread(target=loop.run_forever, daemon=True).start()
    return loop


def remote_callback(kind, n):
    loop = background_loop(kind)
    done = threading.Event()
    start = time.perf_counter()
    noop = lambda: None
    for _ in range(n - 1):
        loop.call_soon_threadsafe(noop)
    loop.call_soon_threadsafe(done.set)
    done.wait()
    elapsed = time.perf_counter() - start
    return {"ns_per_op": elapsed * 1e9 / n, "peak_rss_mib": peak_rss_mib()}


def summarize_us(samples):
    samples.sort()
    mean = sum(samples) / len(samples) * 1e6
    at = lambda q: samples[round((len(samples) - 1) * q)] * 1e6
    return mean, at(0.5), at(0.99)


def threads_roundtrip(n):
    requests = queue.SimpleQueue()

    def serve():
        while True:
            reply = requests.get()
            if reply is None:
                return
            reply.put(1)

    server = threading.Thread(target=serve)
    server.start()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        reply = queue.SimpleQueue()
        requests.put(reply)
        reply.get()
        samples.append(time.perf_counter() - start)
    requests.put(None)
    server.join()
    return samples


def remote_roundtrip(kind, n):
    threads_mean, _, _ = summarize_us(threads_roundtrip(n))
    loop = background_loop(kind)

    async def answer(i):
        return i

    samples = []
    for i in range(n):
        start = time.perf_counter()
        assert asyncio.run_coroutine_threadsafe(answer(i), loop).result() == i
        samples.append(time.perf_counter() - start)
    mean, p50, p99 = summarize_us(samples)
    return {
        "vs_threads": mean / threads_mean,
        "mean_us": mean,
        "p50_us": p50,
        "p99_us": p99,
        "threads_mean_us": threads_mean,
    }


def echo_server(kind, conns):
    async def serve():
        done = asyncio.Event()
        open_conns = 0
        accepted = 0

        async def handle(reader, writer):
            nonlocal open_conns, accepted
            open_conns += 1
            accepted += 1
            writer.get_extra_info("socket").setsockopt(
                socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
            )
            try:
                while True:
                    data = await reader.read(64)
                    if not data:
                        break
                    writer.write(data)
                    await writer.drain()
            except ConnectionError:
                pass
            finally:
                writer.close()
                open_conns -= 1
                if accepted == conns and open_conns == 0:
                    done.set()

        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        host, port = server.sockets[0].getsockname()[:2]
        print(f"addr={host}:{port}", flush=True)
        await done.wait()
        server.close()

    loop = new_loop(kind)
    loop.run_until_complete(serve())
    return None


def setup():
    try:
        import uvloop  # noqa: F401

        print("uvloop=yes")
        return
    except ImportError:
        pass
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "uvloop"],
        capture_output=True,
        text=True,
    )
    try:
        import importlib

        importlib.invalidate_caches()
        import uvloop  # noqa: F401

        print("uvloop=yes")
    except ImportError:
        reason = (install.stderr or install.stdout).strip().splitlines()
        print("uvloop=no " + (reason[-1] if reason else "pip install uvloop failed"))


def main():
    if sys.argv[1] == "setup":
        setup()
        return
    workload, kind, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if workload == "remote_callback":
        metrics = remote_callback(kind, size)
    elif workload == "remote_roundtrip":
        metrics = remote_roundtrip(kind, size)
    elif workload.startswith("tcp_echo_"):
        metrics = echo_server(kind, int(workload.rsplit("_", 1)[1]))
    else:
        raise SystemExit(f"compare_asyncio.py: no workload {workload}")
    if metrics is not None:
        print(" ".join(f"{k}={v}" for k, v in metrics.items()), flush=True)


if __name__ == "__main__":
    main()
