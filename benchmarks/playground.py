"""Playground: frames per second and step latency, for one session and for 20 at once, on loopback.

    python -m benchmarks.playground [--seconds 5] [--sessions 20] [--quick]

The server runs in its own process, as `scratchgrad playground` runs it; each simulated
tab is a thread with its own WebSocket that does what the page does while playing: ask for
one epoch, wait for the frame, ask again. The network is the issue's reference: 2 features
-> [8, 8] -> 1 on 500 points (250 for training, batches of 10, so one frame = one epoch =
25 steps), plus the 64 x 64 boundary and every neuron's heatmap. "In-process" times the
same frame with no network and no client: the server's share of the work.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import threading
import time

SETTINGS = {"dataset": "circle", "n_points": 500, "train_fraction": 0.5, "hidden": [8, 8], "batch_size": 10,
            "features": ["x1", "x2"], "activation": "tanh", "optimizer": "sgd", "lr": 0.03}


def in_process(seconds):
    from scratchgrad.playground.protocol import handle
    from scratchgrad.playground.session import Session

    session = Session()
    session.configure(SETTINGS)
    message = json.dumps({"type": "train", "epochs": 1})
    times = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        json.dumps(handle(session, message))
        times.append(time.perf_counter() - start)
    return times


# the server as `scratchgrad playground --no-browser` starts it, but without the per-tab message
# rate limit (100/s): this measures what the server can do, not what the page asks (<= 60/s)
SERVER = ("from scratchgrad.playground.server import serve; from scratchgrad.playground.settings import Limits; "
          "serve(open_browser=False, limits=Limits(messages_per_second=1e9, message_burst=10**9))")


def start_server():
    process = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    url = re.search(r"http://[\d.]+:\d+/", process.stdout.readline())[0]
    return process, url.replace("http://", "ws://") + "ws"


def play(url, seconds, latencies, frames, ready, go):
    """One tab pressing play: train one epoch, wait for its frame, repeat until time is up."""
    from websockets.sync.client import connect

    with connect(url, max_size=None) as socket:
        for _ in range(3):  # welcome, setup, frame
            socket.recv()
        socket.send(json.dumps({"type": "configure", "settings": SETTINGS}))
        socket.recv(), socket.recv()
        for _ in range(5):  # warm up
            socket.send(json.dumps({"type": "train", "epochs": 1}))
            socket.recv()
        ready.release()
        go.wait()
        mine, count = [], 0
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            start = time.perf_counter()
            socket.send(json.dumps({"type": "train", "epochs": 1}))
            frame = json.loads(socket.recv())
            mine.append(time.perf_counter() - start)
            assert frame["type"] == "frame", frame
            count += 1
        latencies.extend(mine)
        frames.append(count / seconds)


def concurrent(url, sessions, seconds):
    latencies, frames = [], []
    ready, go = threading.Semaphore(0), threading.Event()
    threads = [threading.Thread(target=play, args=(url, seconds, latencies, frames, ready, go))
               for _ in range(sessions)]
    for thread in threads:
        thread.start()
    for _ in threads:
        ready.acquire()
    go.set()
    for thread in threads:
        thread.join()
    return latencies, frames


def milliseconds(values, q):
    return 1000 * statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else 1000 * values[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measuring time per case")
    parser.add_argument("--sessions", type=int, default=20, help="tabs in the concurrent case")
    parser.add_argument("--quick", action="store_true", help="1 second per case")
    args = parser.parse_args(argv)
    seconds = 1.0 if args.quick else args.seconds

    times = in_process(seconds)
    rows = [("in-process (no network)", 1, 1 / statistics.median(times), statistics.median(times) * 1000,
             milliseconds(times, 95))]
    process, url = start_server()
    try:
        for sessions in (1, args.sessions):
            latencies, frames = concurrent(url, sessions, seconds)
            rows.append((f"{sessions} tab{'s' if sessions > 1 else ''} over loopback", sessions,
                         statistics.median(frames), statistics.median(latencies) * 1000, milliseconds(latencies, 95)))
    finally:
        process.terminate()
        process.wait(timeout=30)

    print("2 -> [8, 8] -> 1, 500 points, one epoch (25 steps of 10) + 64x64 boundary + 16 heatmaps per frame")
    print()
    print("| case | tabs | frames/s per tab | frames/s in all | latency median (ms) | latency p95 (ms) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, sessions, fps, median, p95 in rows:
        print(f"| {name} | {sessions} | {fps:.1f} | {fps * sessions:.1f} | {median:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
