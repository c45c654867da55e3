"""A tiny ttrpc client with a hand-written protobuf codec, for tests that
need to reach what ctr does not: malformed frames, oversize messages,
unknown methods, pipelined and out-of-order replies."""
import socket
import struct

TASK = "containerd.task.v2.Task"


def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, value):
    """Encode one field: int/bool -> varint, str/bytes -> length-delimited."""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return varint(num << 3) + varint(value)
    if isinstance(value, str):
        value = value.encode()
    return varint((num << 3) | 2) + varint(len(value)) + value


def msg(*fields):
    return b"".join(field(n, v) for n, v in fields if v is not None)


def decode(data):
    """-> {field number: [values]} (varints as int, the rest as bytes)."""
    out = {}
    i = 0
    while i < len(data):
        key, i = _read_varint(data, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _read_varint(data, i)
        elif wt == 2:
            ln, i = _read_varint(data, i)
            v = data[i:i + ln]
            i += ln
        elif wt == 1:
            v = data[i:i + 8]
            i += 8
        elif wt == 5:
            v = data[i:i + 4]
            i += 4
        else:
            raise ValueError("bad wire type %d" % wt)
        out.setdefault(num, []).append(v)
    return out


def _read_varint(data, i):
    shift = n = 0
    while True:
        b = data[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def first(d, num, default=None):
    v = d.get(num)
    return v[0] if v else default


class Reply:
    def __init__(self, stream, raw):
        self.stream = stream
        d = decode(raw)
        st = decode(first(d, 1, b""))
        self.code = first(st, 1, 0)
        self.message = first(st, 2, b"").decode()
        self.payload = first(d, 2, b"")

    def fields(self):
        return decode(self.payload)


class Client:
    def __init__(self, path, ns="default", timeout=30):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.ns = ns
        self.next_stream = 1

    def close(self):
        self.sock.close()

    def frame(self, payload, stream, mtype=1, flags=0, length=None):
        ln = len(payload) if length is None else length
        return struct.pack(">IIBB", ln, stream, mtype, flags) + payload

    def request_bytes(self, service, method, payload=b""):
        meta = msg((1, "containerd-namespace-ttrpc"), (2, self.ns))
        return msg((1, service), (2, method), (3, payload), (5, meta))

    def send(self, service, method, payload=b""):
        stream = self.next_stream
        self.next_stream += 2
        self.sock.sendall(self.frame(self.request_bytes(service, method, payload), stream))
        return stream

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("closed by peer")
            buf += chunk
        return buf

    def recv(self):
        ln, stream, mtype, _ = struct.unpack(">IIBB", self.recv_exact(10))
        assert mtype == 2, "expected a response frame"
        return Reply(stream, self.recv_exact(ln))

    def call(self, method, payload=b"", service=TASK):
        stream = self.send(service, method, payload)
        r = self.recv()
        assert r.stream == stream
        return r
