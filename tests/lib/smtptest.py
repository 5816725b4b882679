"""smtptest: what the Python clients of the test suites share.

    import sys, os
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
    import smtptest

or from bash (tests/lib/common.bash):  python3 tests/lib/smtptest.py free-port [HOST]

- free_port(): a free TCP port on 127.0.0.1;
- spawn(): smtpd or lmtpd over pipes, as one connection (stdin/stdout),
  its log appended to a file;
- read_until(): a server's output up to a marker, bounded in time;
- Replies: complete (multi-line) SMTP/LMTP replies from any byte source.

Only the standard library: the suites run on a plain Debian 12 with
python3 (.ci/deps.sh).
"""
import os
import select
import socket
import subprocess
import sys
import time


def free_port(host='127.0.0.1'):
    """A TCP port nobody listens on now (the kernel's choice)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def spawn(binary, conf, log=None, peer=None, args=(), env=None):
    """BINARY -c CONF --log=stderr over pipes: one session, the client on
    stdin/stdout.  LOG (a path) gets its stderr, appended; PEER sets
    REMOTE_ADDR (the peer address the server sees on a pipe)."""
    e = dict(os.environ if env is None else env)
    if peer is not None:
        e['REMOTE_ADDR'] = peer
    err = open(log, 'ab') if log else None
    try:
        return subprocess.Popen([binary, '-c', conf, '--log=stderr', *args],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=err, env=e)
    finally:
        if err:
            err.close()


def read_until(stream, want, timeout=20):
    """Read STREAM (a pipe or socket file object, or an fd) until WANT
    (bytes) has arrived; returns everything read.  RuntimeError on EOF or
    after TIMEOUT seconds."""
    fd = stream if isinstance(stream, int) else stream.fileno()
    buf = b''
    end = time.monotonic() + timeout
    while want not in buf:
        r, _, _ = select.select([fd], [], [], max(0, end - time.monotonic()))
        if not r:
            raise RuntimeError('no %r from the server: %r' % (want, buf))
        chunk = os.read(fd, 65536)
        if not chunk:
            raise RuntimeError('the server closed early: %r' % buf)
        buf += chunk
    return buf


class Replies:
    """Complete replies (RFC 5321 §4.2: "CODE-text" lines, then "CODE text")
    from READ, a function returning the next bytes (b'' at EOF)."""

    def __init__(self, read):
        self.read = read
        self.buf = b''

    def next(self):
        """(code, text): text is every line of the reply, CRLF-joined."""
        while True:
            lines = self.buf.split(b'\r\n')
            for i, line in enumerate(lines[:-1]):
                if len(line) >= 4 and line[3:4] == b' ':
                    text = b'\r\n'.join(lines[:i + 1]).decode('utf-8', 'replace')
                    self.buf = b'\r\n'.join(lines[i + 1:])
                    return int(line[:3]), text
            data = self.read()
            if not data:
                raise EOFError('the server closed in the middle of a reply: %r' % self.buf)
            self.buf += data


if __name__ == '__main__':
    if sys.argv[1:2] == ['free-port'] and len(sys.argv) <= 3:
        print(free_port(*sys.argv[2:]))
    else:
        sys.exit('usage: smtptest.py free-port [HOST]')
