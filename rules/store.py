"""The Redis rule store: immutable, numbered ruleset versions and one active pointer.

A stored version is the ruleset's *bundle* (exactly the files in ``RuleSet.files``),
msgpack-encoded and split into chunks of a few MB, plus a meta hash. Replicas
rebuild it as a :class:`rules.source.BundleSource` and parse it with the very same
``load_ruleset`` as a directory, so validation and errors are identical.

Keys (``ns`` is the namespace, default ``interceptor``)::

    ns:seq                   INCR counter that numbers versions
    ns:v:{n}:chunk:{i}       payload bytes, chunk i (staged with a TTL, persisted on publish)
    ns:v:{n}:meta            hash: version, digest, payload_sha256, created_at, author,
                             message, counts (json), chunks, size, name, files
    ns:versions              zset of kept versions (score = version number)
    ns:active                the active version number
    ns:events                pub/sub channel: "activated {n}" after every change
    ns:replicas              zset replica id -> last heartbeat (unix time)
    ns:replica:{id}          hash: what that replica runs (expires when it stops beating)

Publishing is two-phase: chunks are written first with a TTL (invisible: no meta
names them), then ONE ``MULTI/EXEC`` persists the chunks, writes the meta, indexes
the version, sets it active and publishes the notification. If Redis goes away in
between, nothing was activated and the staged chunks expire on their own.

>>> store = RuleStore.from_url("redis://127.0.0.1:6379/0")      # doctest: +SKIP
>>> info = store.publish(load_ruleset("rules/default"), author="ops")  # doctest: +SKIP
>>> store.active_version() == info.version                    # doctest: +SKIP
True
"""

from __future__ import annotations

import getpass
import hashlib
import json
import socket
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import msgpack
import redis
from redis.typing import EncodableT, FieldT

from rules.errors import StoreError, VersionNotFound
from rules.model import RuleSet
from rules.parse import bundle_digest
from rules.source import BundleSource, FileSource

DEFAULT_NAMESPACE = "interceptor"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
#: Versions kept besides the active one (older ones are deleted after each publish).
DEFAULT_KEEP = 20
#: 4 MiB chunks: far below Redis' 512 MB value limit, small enough that no single
#: command blocks Redis for long, and a 10 M-number bundle (~130 MB) is ~33 chunks.
CHUNK_BYTES = 4 * 1024 * 1024
#: Staged chunks of a push that never got activated vanish after this many seconds.
STAGING_TTL = 3600
#: Shrink guard: a push is refused when a count drops by more than this fraction ...
SHRINK_RATIO = 0.5
#: ... and by at least this many entries (so tiny lists can be edited freely).
SHRINK_MIN_ENTRIES = 10
SHRINK_KINDS = ("rules", "numbers", "number_prefixes", "domains", "keywords")
PAYLOAD_FORMAT = 1
REDIS_ERRORS = (redis.ConnectionError, redis.TimeoutError)


class StoreUnavailable(StoreError):
    """Redis could not be reached (or timed out); retrying later may succeed."""


class ShrinkRefused(StoreError):
    """A push was refused by the shrink guard (lists lost most of their entries)."""


@dataclass(frozen=True)
class VersionInfo:
    """The meta of one stored version (what ``rules history`` lists)."""

    version: int
    digest: str
    payload_sha256: str
    created_at: float
    author: str
    message: str
    counts: dict[str, int]
    chunks: int
    size: int
    name: str = ""
    files: int = 0

    def to_redis(self) -> dict[FieldT, EncodableT]:
        out: dict[FieldT, EncodableT] = {k: str(v) for k, v in asdict(self).items()}
        out["counts"] = json.dumps(self.counts, sort_keys=True)
        return out

    @classmethod
    def from_redis(cls, raw: Mapping[bytes, bytes], version: int) -> VersionInfo:
        """Decode a meta hash; :class:`StoreError` if a field is missing or malformed."""
        m = {k.decode(): v.decode() for k, v in raw.items()}
        try:
            return cls(version=int(m["version"]), digest=m["digest"],
                       payload_sha256=m["payload_sha256"], created_at=float(m["created_at"]),
                       author=m.get("author", ""), message=m.get("message", ""),
                       counts={str(k): int(v) for k, v in json.loads(m["counts"]).items()},
                       chunks=int(m["chunks"]), size=int(m["size"]), name=m.get("name", ""),
                       files=int(m.get("files", "0")))
        except (KeyError, ValueError, TypeError, AttributeError) as e:
            raise StoreError(f"version {version}: meta is corrupt ({type(e).__name__}: {e})") from e


@dataclass(frozen=True)
class ReplicaInfo:
    """What one live replica reported in its last heartbeat."""

    replica_id: str
    version: str
    digest: str = ""
    host: str = ""
    pid: int = 0
    started_at: float = 0.0
    heartbeat_at: float = 0.0
    redis_active: str = ""
    last_error: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def redact_url(url: str) -> str:
    """``url`` without its password, for logs and status.

    >>> redact_url("rediss://alice:s3cret@cache:6380/0")
    'rediss://alice:***@cache:6380/0'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def connect(url: str, timeout: float = 10.0) -> redis.Redis:
    """A client for ``url`` (``redis://[user:pass@]host:port/db``, ``rediss://`` for TLS).

    TLS options ride in the query string, e.g. ``rediss://h:6380/0?ssl_cert_reqs=required
    &ssl_ca_certs=/etc/ca.pem``. Timeouts are set so a dead server is noticed, not waited on.
    """
    try:
        return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=5.0,
                                    socket_keepalive=True, health_check_interval=30)
    except ValueError as e:
        raise StoreError(f"bad Redis URL {redact_url(url)!r}: {e}") from e


def default_author() -> str:
    """``$USER@host``: who pushed, when ``--author`` is not given."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def encode_bundle(files: Mapping[str, bytes]) -> bytes:
    """The payload of a version: ``{"format": 1, "files": {relpath: bytes}}`` as msgpack."""
    payload: bytes = msgpack.packb({"format": PAYLOAD_FORMAT, "files": dict(files)},
                                   use_bin_type=True)
    return payload


def decode_bundle(payload: bytes | bytearray, label: str) -> dict[str, bytes]:
    """Inverse of :func:`encode_bundle`; :class:`StoreError` naming ``label`` if malformed."""
    try:
        obj = msgpack.unpackb(payload, raw=False, strict_map_key=True,
                              max_bin_len=len(payload), max_str_len=1 << 20)
    except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError) as e:
        raise StoreError(f"{label}: payload does not decode ({type(e).__name__}: {e})") from e
    if not isinstance(obj, dict) or obj.get("format") != PAYLOAD_FORMAT:
        raise StoreError(f"{label}: payload is not a format-{PAYLOAD_FORMAT} ruleset bundle")
    files = obj.get("files")
    if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, bytes) for k, v in files.items()):
        raise StoreError(f"{label}: payload 'files' must map paths to bytes")
    return files


def shrink_problems(old: Mapping[str, int], new: Mapping[str, int]) -> list[str]:
    """Counts that dropped suspiciously (more than half, and by at least 10 entries).

    >>> shrink_problems({"numbers": 1000}, {"numbers": 10})
    ['numbers: 1000 -> 10 (-99%)']
    >>> shrink_problems({"numbers": 8}, {"numbers": 0})
    []
    """
    out = []
    for kind in SHRINK_KINDS:
        before, after = old.get(kind, 0), new.get(kind, 0)
        if before - after >= SHRINK_MIN_ENTRIES and after < before * (1 - SHRINK_RATIO):
            out.append(f"{kind}: {before} -> {after} ({(after - before) * 100 // before}%)")
    return out


class RuleStore:
    """Versions of rulesets in one Redis namespace. Every method raises :class:`StoreError`
    (never a raw redis exception) with a message that says what failed."""

    def __init__(self, client: redis.Redis, namespace: str = DEFAULT_NAMESPACE,
                 url: str = "") -> None:
        self.r = client
        self.ns = namespace
        self.url = redact_url(url)

    @classmethod
    def from_url(cls, url: str, namespace: str = DEFAULT_NAMESPACE,
                 timeout: float = 30.0) -> RuleStore:
        return cls(connect(url, timeout), namespace, url)

    # -- key names ----------------------------------------------------------------------

    def key(self, *parts: object) -> str:
        return ":".join([self.ns, *map(str, parts)])

    @property
    def channel(self) -> str:
        return self.key("events")

    def chunk_key(self, version: int, index: int) -> str:
        return self.key("v", version, "chunk", index)

    # -- reading ------------------------------------------------------------------------

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one redis call; translate connection trouble into StoreError."""
        try:
            return fn(*args, **kwargs)
        except REDIS_ERRORS as e:
            raise StoreUnavailable(f"Redis at {self.url or 'the given URL'} unreachable while "
                             f"{what}: {e}") from e
        except redis.RedisError as e:
            raise StoreError(f"Redis refused {what}: {e}") from e

    def active_version(self) -> int | None:
        """The active version number, or None when nothing was ever published."""
        raw = self._call("reading the active version", self.r.get, self.key("active"))
        if raw is None:
            return None
        try:
            return int(raw)
        except ValueError:
            raise StoreError(f"{self.key('active')} holds {raw!r}, not a version number") from None

    def info(self, version: int) -> VersionInfo:
        """The meta of ``version``; :class:`VersionNotFound` if it is not stored."""
        raw = self._call(f"reading version {version}", self.r.hgetall,
                         self.key("v", version, "meta"))
        if not raw:
            kept = self.versions()
            hint = f"kept versions: {kept[0]}..{kept[-1]}" if kept else "no version is stored"
            raise VersionNotFound(f"version {version} does not exist ({hint})")
        return VersionInfo.from_redis(raw, version)

    def versions(self) -> list[int]:
        """Kept version numbers, oldest first."""
        raw = self._call("listing versions", self.r.zrange, self.key("versions"), 0, -1)
        return sorted(int(v) for v in raw)

    def history(self) -> list[VersionInfo]:
        """Meta of every kept version, newest first (unreadable metas are skipped)."""
        out = []
        for version in reversed(self.versions()):
            try:
                out.append(self.info(version))
            except VersionNotFound:
                continue  # pruned between the listing and the read
        return out

    def fetch(self, info: VersionInfo) -> dict[str, bytes]:
        """Download and verify a version's files (chunk count, size, sha256, digest).

        Chunks are copied one at a time into one preallocated buffer, so the peak is
        the payload plus the decoded files, never several copies of the payload.
        """
        label = f"version {info.version}"
        buf = bytearray(info.size)
        sha = hashlib.sha256()
        pos = 0
        for i in range(info.chunks):
            chunk = self._call(f"fetching {label}", self.r.get, self.chunk_key(info.version, i))
            if chunk is None:
                raise StoreError(f"{label}: chunk {i} of {info.chunks} is missing")
            if pos + len(chunk) > info.size:
                raise StoreError(f"{label}: chunks hold more than the {info.size} bytes "
                                 "recorded in its meta (corrupt)")
            buf[pos:pos + len(chunk)] = chunk
            sha.update(chunk)
            pos += len(chunk)
            del chunk
        if pos != info.size:
            raise StoreError(f"{label}: truncated: {pos} of {info.size} bytes present")
        if sha.hexdigest() != info.payload_sha256:
            raise StoreError(f"{label}: payload sha256 mismatch (corrupt)")
        files = decode_bundle(buf, label)
        del buf
        digest = bundle_digest(BundleSource(files), list(files))
        if digest != info.digest:
            raise StoreError(f"{label}: content digest {digest[:12]} does not match the "
                             f"recorded {info.digest[:12]} (corrupt)")
        return files

    # -- writing ------------------------------------------------------------------------

    def publish(self, ruleset: RuleSet, source: FileSource, *, author: str = "",
                message: str = "", allow_shrink: bool = False,
                keep: int = DEFAULT_KEEP) -> VersionInfo:
        """Store ``ruleset`` (read from ``source``) as a new version and activate it.

        The caller has already parsed and compiled ``ruleset``. Raises
        :class:`StoreError` for a refused shrink, a ruleset that changed on disk while
        being pushed, a concurrent push, or Redis trouble; nothing is activated then.
        """
        files = {rel: source.read(rel) for rel in ruleset.files}
        if bundle_digest(BundleSource(files), list(files)) != ruleset.digest:
            raise StoreError(f"{source.name}: files changed while being pushed; push again")
        payload = encode_bundle(files)
        del files
        active_key = self.key("active")
        old = self.active_version()
        if old is not None and not allow_shrink:
            shrunk = shrink_problems(self.info(old).counts, ruleset.counts())
            if shrunk:
                raise ShrinkRefused(f"refused: the new ruleset loses most entries of the active "
                                    f"version {old} ({'; '.join(shrunk)}); push with "
                                    "--allow-shrink if this is intended")
        version = int(self._call("allocating a version number", self.r.incr, self.key("seq")))
        chunks = max(1, -(-len(payload) // CHUNK_BYTES))
        for i in range(chunks):
            self._call(f"writing version {version}", self.r.set, self.chunk_key(version, i),
                       payload[i * CHUNK_BYTES:(i + 1) * CHUNK_BYTES], ex=STAGING_TTL)
        info = VersionInfo(version=version, digest=ruleset.digest,
                           payload_sha256=hashlib.sha256(payload).hexdigest(),
                           created_at=time.time(), author=author or default_author(),
                           message=message, counts=ruleset.counts(), chunks=chunks,
                           size=len(payload), name=ruleset.name, files=len(ruleset.files))
        del payload

        def activate(pipe: redis.client.Pipeline) -> None:
            if pipe.get(active_key) != (None if old is None else str(old).encode()):
                raise StoreError("another push or rollback changed the active version "
                                 "meanwhile; nothing was activated; push again")
            pipe.multi()
            for i in range(chunks):
                pipe.persist(self.chunk_key(version, i))
            pipe.hset(self.key("v", version, "meta"), mapping=info.to_redis())
            pipe.zadd(self.key("versions"), {str(version): version})
            pipe.set(active_key, version)
            pipe.publish(self.channel, f"activated {version}")

        self._transaction(f"activating version {version}", activate, active_key)
        self.prune(keep)
        return info

    def rollback(self, version: int) -> VersionInfo:
        """Make an existing, intact ``version`` active again (atomic) and notify replicas.

        :class:`VersionNotFound` if it is not kept; :class:`StoreError` if its data is
        missing or corrupt (checked before anything changes).
        """
        info = self.info(version)
        self.fetch(info)
        self.activate(version)
        return info

    def activate(self, version: int) -> None:
        """Point ``active`` at an existing ``version`` and notify, in one MULTI/EXEC.

        Does not verify the data: :meth:`rollback` does (and the admin CLI also parses
        and compiles it before calling this).
        """
        meta_key = self.key("v", version, "meta")

        def body(pipe: redis.client.Pipeline) -> None:
            if not pipe.exists(meta_key):
                raise VersionNotFound(f"version {version} does not exist (deleted meanwhile?)")
            pipe.multi()
            pipe.set(self.key("active"), version)
            pipe.publish(self.channel, f"activated {version}")

        self._transaction(f"activating version {version}", body, meta_key)

    def _transaction(self, what: str, body: Any, *watch: str) -> None:
        """Run ``body`` as one WATCHed MULTI/EXEC: all of it happens, or none of it."""
        try:
            with self.r.pipeline() as pipe:
                pipe.watch(*watch)  # type: ignore[no-untyped-call]
                body(pipe)
                pipe.execute()
        except redis.WatchError:
            raise StoreError(f"{what}: the store changed concurrently; nothing was "
                             "activated; try again") from None
        except REDIS_ERRORS as e:
            raise StoreUnavailable(f"Redis at {self.url} unreachable while {what}: {e}; "
                             "nothing was activated") from e
        except redis.RedisError as e:
            raise StoreError(f"Redis refused {what}: {e}") from e

    def prune(self, keep: int = DEFAULT_KEEP) -> list[int]:
        """Delete all but the newest ``keep`` versions (never the active one)."""
        versions = self.versions()
        active = self.active_version()
        doomed = [v for v in versions[:max(0, len(versions) - keep)] if v != active]
        for version in doomed:
            try:
                chunks = int(self.r.hget(self.key("v", version, "meta"), "chunks") or 0)
            except (ValueError, redis.RedisError):
                chunks = 0
            keys = [self.key("v", version, "meta"), *(self.chunk_key(version, i)
                                                      for i in range(chunks))]
            with self.r.pipeline() as pipe:  # index first: a listed version always has data
                pipe.zrem(self.key("versions"), str(version))
                pipe.delete(*keys)
                self._call("pruning old versions", pipe.execute)
        return doomed

    # -- replicas -----------------------------------------------------------------------

    def replicas(self) -> list[ReplicaInfo]:
        """Live replicas (those whose heartbeat has not expired), by id."""
        ids = self._call("listing replicas", self.r.zrange, self.key("replicas"), 0, -1)
        out = []
        for raw_id in ids:
            rid = raw_id.decode()
            h = {k.decode(): v.decode() for k, v in
                 self._call("reading replicas", self.r.hgetall, self.key("replica", rid)).items()}
            if not h:  # heartbeat expired: the replica is gone
                self._call("pruning replicas", self.r.zrem, self.key("replicas"), rid)
                continue
            known = {"version", "digest", "host", "pid", "started_at", "heartbeat_at",
                     "redis_active", "last_error"}
            out.append(ReplicaInfo(
                replica_id=rid, version=h.get("version", ""), digest=h.get("digest", ""),
                host=h.get("host", ""), pid=int(h.get("pid", "0") or 0),
                started_at=float(h.get("started_at", "0") or 0),
                heartbeat_at=float(h.get("heartbeat_at", "0") or 0),
                redis_active=h.get("redis_active", ""), last_error=h.get("last_error", ""),
                extra={k: v for k, v in h.items() if k not in known}))
        return out

    def heartbeat(self, replica_id: str, fields: Mapping[FieldT, EncodableT],
                  ttl: float) -> None:
        """Record what ``replica_id`` runs; it disappears ``ttl`` seconds after its last beat."""
        key = self.key("replica", replica_id)
        with self.r.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=dict(fields))
            pipe.pexpire(key, int(ttl * 1000))
            pipe.zadd(self.key("replicas"), {replica_id: time.time()})
            self._call("sending a heartbeat", pipe.execute)
