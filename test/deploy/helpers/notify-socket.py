# Plays systemd's side of sd_notify(3) for tests: binds a Unix datagram socket and prints every datagram it
# receives as one JSON string per line. Exits when stdin closes.
import json, os, socket, sys, threading

path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print(json.dumps("LISTENING"), flush=True)

def watch_stdin():
    sys.stdin.read()
    os._exit(0)

threading.Thread(target=watch_stdin, daemon=True).start()
while True:
    data = s.recv(65536)
    print(json.dumps(data.decode("utf-8", "replace")), flush=True)
