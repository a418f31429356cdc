"""A TCP proxy that makes a local S3 server behave like a distant bucket: every request reaches the server
`--delay-ms` later (one-way delay on the client→server direction, order kept, so each round trip costs that much
more), optionally with each connection's responses paced to `--stream-mbps` megabytes per second (a single
S3 GET stream tops out near 90 MB/s; parallel connections add up), and it counts requests and response bytes.
Transparent to SigV4: bytes pass unchanged.
Usage: latency_proxy.py LISTEN_PORT TARGET_PORT --delay-ms 20 [--stream-mbps 90] --stats FILE [--trace FILE]
(stats written on SIGTERM/SIGINT; --trace appends one line per request as it arrives: milliseconds since the proxy
started, connection number, method and path — where a cold read's round trips go)
"""
import argparse
import asyncio
import json
import signal

STATS = {"connections": 0, "requests": 0, "request_bytes": 0, "response_bytes": 0}
TRACE = {"file": None, "started": 0.0}
METHODS = (b"GET ", b"HEAD ", b"PUT ", b"POST ", b"DELETE ")


async def pump(reader, writer, delay, upstream, rate=0, connection=0):
    """Copies reader to writer, each chunk `delay` seconds late, and at most `rate` bytes/s when rate > 0."""
    queue = asyncio.Queue()
    paced_until = 0.0

    async def forward():
        while True:
            due, chunk = await queue.get()
            if chunk is None:
                break
            wait = due - asyncio.get_running_loop().time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(chunk)
            await writer.drain()
        writer.close()

    task = asyncio.create_task(forward())
    try:
        while True:
            chunk = await reader.read(1 << 16)
            if not chunk:
                break
            if upstream:
                STATS["request_bytes"] += len(chunk)
                if chunk.startswith(METHODS):
                    STATS["requests"] += 1
                    if TRACE["file"]:
                        elapsed = (asyncio.get_running_loop().time() - TRACE["started"]) * 1000
                        line = chunk.split(b"\r\n", 1)[0].decode(errors="replace").rsplit(" ", 1)[0]
                        TRACE["file"].write(f"{elapsed:10.1f} {connection:4d} {line}\n")
                        TRACE["file"].flush()
            else:
                STATS["response_bytes"] += len(chunk)
            due = asyncio.get_running_loop().time() + delay
            if rate > 0:
                paced_until = max(paced_until, due) + len(chunk) / rate
                due = paced_until
            await queue.put((due, chunk))
    finally:
        await queue.put((0, None))
        await task


async def handle(client_reader, client_writer, target, delay, rate):
    STATS["connections"] += 1
    connection = STATS["connections"]
    server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target)
    await asyncio.gather(
        pump(client_reader, server_writer, delay, True, connection=connection),
        pump(server_reader, client_writer, 0, False, rate),
        return_exceptions=True)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("listen", type=int)
    parser.add_argument("target", type=int)
    parser.add_argument("--delay-ms", type=float, default=20)
    parser.add_argument("--stream-mbps", type=float, default=0, help="per-connection response rate (0: unpaced)")
    parser.add_argument("--stats", required=True)
    parser.add_argument("--trace", help="append one line per request to this file")
    args = parser.parse_args()
    TRACE["started"] = asyncio.get_running_loop().time()
    if args.trace:
        TRACE["file"] = open(args.trace, "a")
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, args.target, args.delay_ms / 1000, args.stream_mbps * 1e6), "127.0.0.1",
        args.listen)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    # SIGUSR1 resets the counters (between phases); SIGUSR2 writes them.
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, lambda: STATS.update({k: 0 for k in STATS}))
    asyncio.get_running_loop().add_signal_handler(
        signal.SIGUSR2, lambda: open(args.stats, "w").write(json.dumps(STATS)))
    async with server:
        await stop.wait()
    with open(args.stats, "w") as f:
        json.dump(STATS, f)


if __name__ == "__main__":
    asyncio.run(main())
