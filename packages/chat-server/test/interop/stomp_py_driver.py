"""Drives Debian's python3-stomp (stomp.py 8) for the client matrix: STOMP over TCP.

Reads one JSON command per stdin line ({"op": "connect" | "subscribe" | "send" | "disconnect"})
and writes one JSON event per stdout line ("connected", "receipt", "message", "error",
"disconnected", "heartbeat_timeout"). Heart-beats and their timeout are stomp.py's own,
with its default tolerance (heart_beat_receive_scale 1.5).
Usage: stomp_py_driver.py HOST PORT TOKEN HEARTBEAT_MS
"""
import json
import os
import sys
import threading

import stomp

# Set when stomp.py reports the connection closed (its receiver thread calls on_disconnected).
closed = threading.Event()


def emit(event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


class Listener(stomp.ConnectionListener):
    def on_connected(self, frame):
        emit({"ev": "connected", "version": frame.headers.get("version")})

    def on_receipt(self, frame):
        emit({"ev": "receipt", "id": frame.headers.get("receipt-id")})

    def on_message(self, frame):
        emit({"ev": "message", "body": frame.body})

    def on_error(self, frame):
        emit({"ev": "error", "message": frame.headers.get("message")})

    def on_disconnected(self):
        emit({"ev": "disconnected"})
        closed.set()

    def on_heartbeat_timeout(self):
        emit({"ev": "heartbeat_timeout"})


def main():
    host, port, token, heartbeat = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    conn = stomp.Connection12([(host, port)], heartbeats=(heartbeat, heartbeat), reconnect_attempts_max=1)
    conn.set_listener("matrix", Listener())
    for line in sys.stdin:
        cmd = json.loads(line)
        op = cmd["op"]
        if op == "connect":
            conn.connect(headers={"Authorization": "Bearer " + token}, wait=False)
        elif op == "subscribe":
            headers = {"receipt": cmd["receipt"]}
            if cmd.get("since") is not None:
                headers["since"] = str(cmd["since"])
            conn.subscribe(cmd["destination"], id=cmd["id"], ack="auto", headers=headers)
        elif op == "send":
            conn.send(cmd["destination"], cmd["body"], content_type="application/json", headers={"receipt": cmd["receipt"]})
        elif op == "disconnect":
            conn.disconnect()
            break
    if conn.is_connected():
        conn.disconnect()
    closed.wait(5)


if __name__ == "__main__":
    main()
    # stomp.py's receiver and heart-beat threads are daemons: leaving through interpreter
    # shutdown while one of them writes to stdout aborts Python ("could not acquire lock for
    # <stdout> at interpreter shutdown"). Its events are all written by now; leave at once.
    sys.stdout.flush()
    os._exit(0)
