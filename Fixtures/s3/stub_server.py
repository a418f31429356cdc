#!/usr/bin/env python3
"""A deliberately broken S3 endpoint for S3ResponseCheckTests: answers by the key's last path component
(short body, wrong Content-Range, 5xx, non-XML). Prints its port, then serves until killed."""
import http.server, socketserver, sys, time
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def send(self, status, headers, body, declared=None):
        self.send_response(status)
        for name, value in headers: self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) if declared is None else declared))
        self.send_header("ETag", '"stub"')
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        if declared is not None: self.close_connection = True
    def do_GET(self):
        path = self.path.split("?")[0]
        if path.endswith("/short"): self.send(200, [], b"0123456789", declared=100)
        elif path.endswith("/wrong-range"): self.send(206, [("Content-Range", "bytes 0-9/100")], b"0123456789")
        elif path.endswith("/range-count"): self.send(206, [("Content-Range", "bytes 50-99/100")], b"0123456789")
        elif path.endswith("/error500"):
            self.send(500, [], b"<Error><Code>InternalError</Code><Message>boom</Message><RequestId>R1</RequestId></Error>")
        elif path.endswith("/trickle"):
            # Headers at once, then one byte every half second: only cancellation ends this early.
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.5)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
        elif path.endswith("/slowdown"): self.send(503, [], b"<Error><Code>SlowDown</Code></Error>")
        else: self.send(200, [], b"this is not XML")
class Server(socketserver.ThreadingMixIn, http.server.HTTPServer): daemon_threads = True
server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
