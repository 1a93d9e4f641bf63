"""Generated bad and odd HTTP requests for the fuzz check (deterministic for a seed).

Every case is a :class:`Case`: method, path, headers and raw body bytes, so malformed JSON,
wrong content types and lone surrogates (which no JSON encoder would write) can be sent.
The only acceptable answers are 2xx audio or a 4xx/503 JSON error; never a 5xx, never a
dropped connection.
"""
from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

JSON = {"content-type": "application/json"}


@dataclass
class Case:
    kind: str
    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def raw_json(obj) -> bytes:
    """JSON that may carry NaN/Infinity and lone surrogates (as ``\\udxxx`` escapes)."""
    return json.dumps(obj, ensure_ascii=True, allow_nan=True).encode("ascii")


def post(kind: str, path: str, obj, headers: dict[str, str] | None = None) -> Case:
    return Case(kind, "POST", path, raw_json(obj), dict(headers or JSON))


ODD_VALUES = [
    None, True, False, 0, -1, 1, 2**31, -(2**63), 10**400, 1e308, -1e308, 5e-324, float("nan"), float("inf"),
    float("-inf"), "", " ", "1.0", "abc", [], [1, 2, 3], {}, {"a": 1}, [[[[[]]]]], {"$gt": ""}, "0x10", "１",
]

ODD_STRINGS = [
    "\ud800", "\udfff", "\ud83d", "a\ud800b", "你好\udc00。", "\x00", "你\x00好", "\x07\x1b[31m红\x1b[0m", "\u202e好你\u202c",
    "مرحبا بالعالم", "שלום", "\u200b\u200c\u200d\ufeff", "e\u0301\u0301\u0301", "😀😃🇨🇳👨‍👩‍👧", "你好😀世界",
    "\ufffe\uffff", "𠀀𪚥", "ｆｕｌｌｗｉｄｔｈ", "\t\n\r\v\f", "' OR 1=1 --", "\"; DROP TABLE x; --", "$(rm -rf /)",
    "`id`", "<script>alert(1)</script>", "{{7*7}}", "${jndi:ldap://x/a}", "%s%s%n%x", "../../../../etc/passwd",
    "..\\..\\windows\\win.ini", "/etc/shadow", "file:///etc/passwd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "outputs/../../webui.py", "C:\\Windows\\System32", "\\\\server\\share", "http://127.0.0.1:1/", "a" * 300,
    "还[huan2]书", "[", "]", "[[[[", "你好" * 60,
]

BAD_OVERRIDES = [
    {"还": "zzz9"}, {"": "hao3"}, {"还": ""}, {"还款": "huan2"}, {"还": "huan2 kuan3"}, {"还": "huan9"},
    {"还": "h"}, {"还": "123"}, {"还": "huan2" * 50}, {"\ud800": "hao3"}, {"还": "\ud800"}, {"a": "a1"},
    {"还": "[huan2]"}, {"还" * 300: "huan2"}, {" ": "hao3"}, {"还": "HUAN2"}, {"还": "huan0"}, {"还": "huán"},
]

BAD_INLINE = [
    "[huan2]书", "还[[huan2]]书", "还[huan2 hai2 xx yy]书", "还[huan2书", "还]huan2[书", "还[]书", "还[ ]书",
    "还[huan9]书", "还[zzz9]书", "还[\ud800]书", "还[huan2][hai2]书", "银行[yin2]", "银行[yin2 hang2 xx1]",
    "a[a1]", "[" * 50 + "还", "还[" + "huan2 " * 100 + "]",
]

BAD_BASE64 = [
    "!!!not base64!!!", "AAAA=", "====", "YWJj\n", "%%%%", "\ud800", "a" * 101, base64.b64encode(b"plain text").decode(),
    base64.b64encode(b"RIFF\x00\x00\x00\x00WAVEfmt ").decode(), base64.b64encode(b"\x00" * 64).decode(),
    base64.b64encode(b"ID3\x03\x00" + b"\x00" * 200).decode(), base64.b64encode(b"fLaC" + b"\xff" * 100).decode(),
    base64.b64encode(b"OggS" + b"\x00" * 100).decode(), base64.b64encode(bytes(range(256)) * 4).decode(),
]

MALFORMED = [
    b"", b"{", b"}", b"{not json", b'{"text": }', b'{"text": "\xff\xfe"}', b'{"text": "unterminated', b"null",
    b"[]", b"123", b'"text"', b"{'text': 'x'}", b'{"text": "a",}', b'{"text": "a" "b"}', b"\xef\xbb\xbf{}",
    b'{"text": "\\ud800"}', b'{"text": "\\uZZZZ"}', b'{"text": NaN}', b'{"text": "x", "text": 1}',
    b'{"text":"\\u0000"}', b"\x00\x00\x00", "{\"text\": \"你好\"}".encode("utf-16"), b'{"text": 1e999999}',
    b'{"text": "x", "speed": 1e999}', b'{"text": "x", "seed": 99999999999999999999999999999}',
]

CONTENT_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                 "application/xml", "", "application/json; charset=latin-1", "application/json; charset=utf-16",
                 "image/png", "application/octet-stream", "*/*", "application/json\r\nX-Evil: 1"]

SYN_FIELDS = ["text", "speed", "pitch", "sentence_pause", "comma_pause", "emotion", "intensity", "emotion_vector",
              "voice", "pinyin_overrides", "reference_audio_base64", "reference_strength", "timbre_strength", "seed",
              "format"]
OAI_FIELDS = ["input", "model", "voice", "speed", "response_format"]


def _deep(depth: int, kind: str) -> bytes:
    return (b"[" * depth + b"]" * depth) if kind == "list" else (b'{"a":' * depth + b"1" + b"}" * depth)


def generate(n: int = 1200, seed: int = 0) -> list[Case]:
    """At least ``n`` cases: every systematic family first, then seeded random mixes."""
    cases = list(_systematic())
    rng = random.Random(seed)
    while len(cases) < n:
        cases.append(_random_case(rng))
    return cases


def _systematic() -> Iterator[Case]:
    for f in SYN_FIELDS:  # wrong types and odd numbers in every field
        for v in ODD_VALUES:
            body = {"text": "你好。", f: v} if f != "text" else {"text": v}
            yield post(f"type:{f}", "/synthesize", body)
    for f in OAI_FIELDS:
        for v in ODD_VALUES:
            body = {"input": "你好。", f: v} if f != "input" else {"input": v}
            yield post(f"type:oai.{f}", "/v1/audio/speech", body)
    for s in ODD_STRINGS:  # unicode edge cases, injections and traversal strings in every string field
        for f in ("text", "emotion", "voice", "format"):
            yield post(f"str:{f}", "/synthesize", {"text": "你好。", f: s} if f != "text" else {"text": s})
        yield post("str:pinyin_key", "/synthesize", {"text": "你好。", "pinyin_overrides": {s: "hao3"}})
        yield post("str:pinyin_value", "/synthesize", {"text": "你好。", "pinyin_overrides": {"好": s}})
        yield post("str:emotion_vector", "/synthesize", {"text": "你好。", "emotion_vector": {s: 0.5}})
        for f in OAI_FIELDS:
            if f != "speed":
                yield post(f"str:oai.{f}", "/v1/audio/speech", {"input": "你好。", f: s} if f != "input" else {"input": s})
    for o in BAD_OVERRIDES:
        yield post("override:dict", "/synthesize", {"text": "我去还书。", "pinyin_overrides": o})
    for t in BAD_INLINE:
        yield post("override:inline", "/synthesize", {"text": t})
        yield post("override:inline.oai", "/v1/audio/speech", {"input": t})
    for b in BAD_BASE64:
        yield post("reference", "/synthesize", {"text": "你好。", "reference_audio_base64": b})
    for length in (5001, 20_000):
        for ch in ("好", "😀", "\ud800", "a"):
            yield post("long", "/synthesize", {"text": ch * length})
            yield post("long.oai", "/v1/audio/speech", {"input": ch * length})
    for body in MALFORMED:
        for path in ("/synthesize", "/v1/audio/speech"):
            yield Case("malformed", "POST", path, body, dict(JSON))
    for depth in (50, 1000, 10_000, 100_000):
        for kind in ("list", "dict"):
            yield Case("deep", "POST", "/synthesize", _deep(depth, kind), dict(JSON))
            yield post("deep.field", "/synthesize",
                       {"text": "你好。", "emotion_vector": json.loads(_deep(min(depth, 50), kind))})
    for ct in CONTENT_TYPES:
        headers = {"content-type": ct} if ct and "\r" not in ct else {}
        for path in ("/synthesize", "/v1/audio/speech"):
            yield Case("content-type", "POST", path, raw_json({"text": "你好。", "input": "你好。"}), headers)
    for method in ("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"):
        for path in ("/synthesize", "/v1/audio/speech", "/voices", "/health", "/nope", "/v1/models"):
            if not (method in ("GET", "HEAD") and path in ("/voices", "/health")):
                yield Case("method", method, path)
    for path in ("/gradio_api/file=outputs/x.wav", "/gradio_api/file=../../etc/passwd", "/gradio_api/file=/etc/passwd",
                 "/gradio_api/file=webui.py", "/gradio_api/file=.run/app.pid", "/..%2f..%2fetc/passwd",
                 "/%2e%2e/%2e%2e/etc/passwd", "/synthesize/../webui.py", "/" + "a" * 4000, "/static/../../x",
                 "/gradio_api/file=%00", "/v1/audio/speech?x=" + "%ff" * 50, "/gradio_api/file=cache_hub/baker-zh/config.json"):
        yield Case("traversal", "GET", path)
    yield from _ui_protocol()


def _ui_protocol() -> Iterator[Case]:
    """Malformed requests to the web page's own protocol (Gradio's /gradio_api routes)."""
    file_refs = [{"path": p, "meta": {"_type": "gradio.FileData"}} for p in
                 ("/etc/passwd", "../../webui.py", "@tmp/../../../etc/passwd", "outputs/x.wav", "\ud800", "")]
    for fn in (0, 1, 2, 3, 4, 5, 999, -1, "x", None, 10**12):
        for data in ([], ["你好。"], [None] * 21, ["你好。"] + file_refs[:1] * 20, "notalist"):
            yield post("ui:join", "/gradio_api/queue/join",
                       {"data": data, "fn_index": fn, "session_hash": "fuzz", "trigger_id": 6})
    for ref in file_refs:
        yield post("ui:fileref", "/gradio_api/queue/join",
                   {"data": ["你好。"] + [ref] * 20, "fn_index": 2, "session_hash": "fuzz2", "trigger_id": 6})
    for body, ctype in ((b"garbage", "multipart/form-data; boundary=zz"), (b"garbage", "text/plain"),
                        (b"", "multipart/form-data"), (b"--zz\r\n\r\n--zz--", "multipart/form-data; boundary=zz")):
        yield Case("ui:upload", "POST", "/gradio_api/upload", body, {"content-type": ctype})
    for q in ("", "?session_hash=", "?session_hash=%ff%fe", "?session_hash=nosuch", "?session_hash=" + "x" * 2000):
        yield Case("ui:data", "GET", "/gradio_api/queue/data" + q)
    for path in ("/gradio_api/heartbeat/..%2f..", "/gradio_api/file=@tmp/x", "/gradio_api/file=@tmp/%2e%2e/%2e%2e/x",
                 "/gradio_api/file=@tmp", "/config?x=%ed%a0%80", "/gradio_api/info", "/gradio_api/run/predict"):
        yield Case("ui:route", "GET", path)
    for path in ("/gradio_api/run/predict", "/gradio_api/stream/abc", "/gradio_api/reset", "/gradio_api/api/_generate"):
        yield post("ui:post", path, {"data": [1, {"$x": "\ud800"}], "fn_index": 2})


def _random_case(rng: random.Random) -> Case:
    """A random mix: a mostly valid body with one to three fields made odd."""
    path = rng.choice(["/synthesize", "/synthesize", "/v1/audio/speech"])
    fields = SYN_FIELDS if path == "/synthesize" else OAI_FIELDS
    body = {"text": "你好。"} if path == "/synthesize" else {"input": "你好。"}
    for f in rng.sample(fields, rng.randint(1, 3)):
        pool = rng.choice([ODD_VALUES, ODD_STRINGS, BAD_INLINE])
        body[f] = rng.choice(pool)
    if rng.random() < 0.1:
        body[rng.choice(["extra", "Text", "\ud800", "__proto__"])] = rng.choice(ODD_VALUES)
    return post("random", path, body)
