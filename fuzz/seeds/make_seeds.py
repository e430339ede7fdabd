"""Writes seeds for the decoder fuzz targets into fuzz/corpus/ (not committed; run this
once before `cargo fuzz run`): python3 fuzz/seeds/make_seeds.py

decode_payload's input is [spec, limit, depth, messages...], each message a little-endian
u16 length then its bytes (see fuzz_targets/decode_payload.rs, whose SPECS list the first
byte indexes). Among the seeds are decompression bombs (16 MiB of zeros packed into about
16 KiB, far past the target's largest limit of 64 KiB), which must stop with TooLarge, and
a zlib-stream of three messages sharing one context. Python's standard library only.
"""

import gzip
import json
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "corpus")

# Indexes into decode_payload.rs's SPECS.
SPEC = {name: i for i, name in enumerate([
    "auto", "msgpack", "cbor", "protobuf", "protobuf-raw", "gzip", "zlib", "deflate",
    "zlib-stream", "json", "gzip+json", "zlib+msgpack", "deflate+cbor", "zlib-stream+json",
    "zlib-stream+msgpack", "gzip+zlib+json", "gzip+protobuf",
])}

TICK = json.dumps({"seq": 1, "symbol": "BTC-USD", "price": 43125.5, "bids": [[1, 2], [3, 4]],
                   "trade_id": "9e3779b97f4a7c15"}).encode()


def seed(spec, messages, limit=12, depth=126):
    out = bytes([SPEC[spec], limit, depth])
    for message in messages:
        assert len(message) < 65536
        out += struct.pack("<H", len(message)) + message
    return out


def deflate_raw(data):
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def stream(messages):
    packer = zlib.compressobj()
    return [packer.compress(m) + packer.flush(zlib.Z_SYNC_FLUSH) for m in messages]


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def main():
    zeros = bytes(16 << 20)
    bombs = {
        "gzip": gzip.compress(zeros, 9),
        "zlib": zlib.compress(zeros, 9),
        "deflate": deflate_raw(zeros),
    }
    for kind, bomb in bombs.items():
        for spec in (kind, "auto", "gzip+json" if kind == "gzip" else kind):
            write("decode_payload", f"bomb-{kind}-{spec}", seed(spec, [bomb]))
    write("decode_payload", "bomb-zlib-stream",
          seed("zlib-stream", stream([zeros[: 8 << 20]])))
    write("decode_payload", "stream-3", seed("zlib-stream+json", stream([TICK, TICK, TICK])))
    write("decode_payload", "gzip-json", seed("gzip+json", [gzip.compress(TICK)]))
    write("decode_payload", "json", seed("json", [TICK], limit=4))
    write("decode_payload", "auto-zlib", seed("auto", [zlib.compress(TICK)]))
    # MessagePack {"a": [1, 2.5, b"\x00"]} and CBOR {"a": [1, h'00']}, and a Protobuf Tick.
    write("decode_payload", "msgpack", seed("msgpack", [b"\x81\xa1a\x93\x01\xcb\x40\x04\x00\x00\x00\x00\x00\x00\xc4\x01\x00"]))
    write("decode_payload", "cbor", seed("cbor", [b"\xa1\x61a\x82\x01\x41\x00"]))
    write("decode_payload", "protobuf", seed("protobuf", [b"\x0a\x03BTC\x11\x00\x00\x00\x00\x00\x10\xe5\x40\x22\x02\x01\x02"]))
    write("encode_value", "tick", TICK)
    write("encode_value", "mixed", json.dumps(
        [{"$bytes": "00ff"}, {"$float": "NaN"}, -9223372036854775808, 18446744073709551615,
         1e300, "\u00e9\U0001F600", {"": None}]).encode())
    write("protobuf_schema", "demo", open(os.path.join(HERE, "..", "..", "saved_sessions",
                                                       "demo.proto"), "rb").read())
    write("protobuf_schema", "reference", open(os.path.join(
        HERE, "..", "..", "tests", "fixtures", "decode", "reference.proto"), "rb").read())


if __name__ == "__main__":
    main()
