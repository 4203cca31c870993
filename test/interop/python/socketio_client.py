"""Drives a parley server with the official python-socketio client (Debian's python3-socketio).

Usage: socketio_client.py URL TRANSPORT   (TRANSPORT: polling | websocket | upgrade)
Prints one JSON object with what the client observed, then exits 0; exits 1 on any failure.
"""
import json
import sys
import threading

import socketio

url, transport = sys.argv[1], sys.argv[2]
transports = {"polling": ["polling"], "websocket": ["websocket"], "upgrade": ["polling", "websocket"]}[transport]

observed = {}
got_news = threading.Event()
got_binary = threading.Event()
got_question = threading.Event()
disconnected = threading.Event()

sio = socketio.Client(reconnection=False)


@sio.on("news", namespace="/python")
def on_news(headline, extra):
    observed["news"] = [headline, extra]
    got_news.set()


@sio.on("binary-back", namespace="/python")
def on_binary(data):
    observed["binary"] = list(data)
    got_binary.set()


@sio.on("question", namespace="/python")
def on_question(text):
    observed["question"] = text
    got_question.set()
    return "answer to " + text


@sio.event(namespace="/python")
def disconnect():
    disconnected.set()


sio.connect(url, namespaces=["/python"], transports=transports, auth={"lang": "python"}, wait_timeout=5)
observed["sid"] = sio.get_sid(namespace="/python")
observed["ack"] = sio.call("echo", {"n": 1, "s": "é"}, namespace="/python", timeout=5)
sio.emit("binary", b"\x01\x02\x03", namespace="/python")
sio.emit("ask", namespace="/python")
ok = got_news.wait(5) and got_binary.wait(5) and got_question.wait(5)
observed["transport"] = sio.transport()
sio.emit("bye", namespace="/python")
observed["server_disconnect"] = disconnected.wait(5)
sio.disconnect()
print(json.dumps(observed))
sys.exit(0 if ok else 1)
