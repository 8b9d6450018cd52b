"""snarkjs's phase-2 transcript (section 10 of a .zkey): contributions, beacons and their checks.

Section 10 holds the circuit hash (64 bytes, blake2b-512 of the initial key, see ceremony.py), a
u32 count, then per contribution: δ after it ([δ]₁), the contributor's public key g1_s, g1_sx = k·g1_s
(G1) and g2_spx = k·g2_sp (G2), its 64-byte transcript, a u32 type (0 contribution, 1 beacon) and
u32-length-prefixed parameters (1 name, 2 iteration exponent, 3 beacon hash; in that order).

The chain rules every verifier (ours, snarkjs's `zkey verify`) applies:
    transcript_i = blake2b(circuit hash ‖ pubkey_0 ‖ … ‖ pubkey_{i−1} ‖ g1_s ‖ g1_sx)
    g2_sp = hash_to_g2(transcript_i)               (so the G2 half is bound to everything before)
    e(g1_s, g2_spx) = e(g1_sx, g2_sp)              (g1_sx/g1_s = g2_spx/g2_sp = k)
    e(δ_{i−1}, g2_spx) = e(δ_i, g2_sp)             (δ_i = k·δ_{i−1})
a pubkey being δ_i ‖ g1_s ‖ g1_sx ‖ g2_spx ‖ transcript, points as 64/128-byte uncompressed
big-endian encodings (zeros for infinity; ours are EIP-196/197's, which coincide). A beacon's k and
g1_s come from a public seed, so anyone re-derives them. Interoperability needs snarkjs's exact
randomness-to-point maps (ChaCha20 from ffjavascript, field and point sampling), written here from
their description: a value drawn from the stream is taken as a Montgomery representation.
"""

from __future__ import annotations

import hashlib
import secrets
import struct
from collections.abc import Iterator
from dataclasses import dataclass, replace

from .. import field
from ..curve import G1, G2
from ..errors import InvalidEncoding
from ..kernels import curve as kc
from ..pairing import pairing_check
from ..params import B1, B2, P, R
from .snarkjs import _g1_point, _g2_point, _mont_point_bytes

MONT_INV_P = pow(1 << 256, -1, P)
MONT_INV_R = pow(1 << 256, -1, R)
G2_COFACTOR = 0x30644E72E131A029B85045B68181585E06CEECDA572A2489345F2299C0F9FA8D
CONTRIBUTION = 0
BEACON = 1
MAX_NAME_BYTES = 64  # snarkjs keeps the first 64 characters of a name
BEACON_MIN_EXP, BEACON_MAX_EXP = 10, 63


# --- ffjavascript's ChaCha20 stream and sampling ------------------------------------------------

_MASK32 = 0xFFFFFFFF


def _rotl(x: int, n: int) -> int:
    return ((x << n) | (x >> (32 - n))) & _MASK32


def _quarter(s: list[int], a: int, b: int, c: int, d: int) -> None:
    s[a] = (s[a] + s[b]) & _MASK32
    s[d] = _rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & _MASK32
    s[b] = _rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & _MASK32
    s[d] = _rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & _MASK32
    s[b] = _rotl(s[b] ^ s[c], 7)


class ChaCha:
    """ChaCha20 keyed by eight u32 words, nonce zero, 64-bit block counter from 0; u32 words in order."""

    def __init__(self, seed: list[int]):
        self._state = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574, *seed, 0, 0, 0, 0]
        self._words: Iterator[int] = iter(())

    @classmethod
    def from_hash(cls, digest: bytes) -> ChaCha:
        """Seeded with the first 32 bytes of a hash read as eight big-endian u32 words."""
        return cls(list(struct.unpack(">8I", digest[:32])))

    def _block(self) -> list[int]:
        s = list(self._state)
        for _ in range(10):
            _quarter(s, 0, 4, 8, 12)
            _quarter(s, 1, 5, 9, 13)
            _quarter(s, 2, 6, 10, 14)
            _quarter(s, 3, 7, 11, 15)
            _quarter(s, 0, 5, 10, 15)
            _quarter(s, 1, 6, 11, 12)
            _quarter(s, 2, 7, 8, 13)
            _quarter(s, 3, 4, 9, 14)
        out = [(x + y) & _MASK32 for x, y in zip(s, self._state)]
        counter = (self._state[12] | self._state[13] << 32) + 1
        self._state[12], self._state[13] = counter & _MASK32, (counter >> 32) & _MASK32
        return out

    def u32(self) -> int:
        for word in self._words:
            return word
        self._words = iter(self._block())
        return next(self._words)

    def u64(self) -> int:
        return self.u32() << 32 | self.u32()

    def boolean(self) -> bool:
        return self.u32() & 1 == 1

    def element(self, modulus: int, mont_inv: int) -> int:
        """Four u64 words, little-endian, masked to the modulus's bit length, rejected until below it,
        then read as a Montgomery representation (ffjavascript's fromRng): the value is v·2⁻²⁵⁶."""
        mask = (1 << modulus.bit_length()) - 1
        while True:
            v = sum(self.u64() << (64 * i) for i in range(4)) & mask
            if v < modulus:
                return v * mont_inv % modulus

    def scalar(self) -> int:
        return self.element(R, MONT_INV_R)

    def fq(self) -> int:
        return self.element(P, MONT_INV_P)

    def g1(self) -> G1:
        """A point of G1: x from the stream until x³ + 3 is a square, y's sign from the stream."""
        while True:
            x = self.fq()
            larger = self.boolean()
            y = field.fq_sqrt((x * x * x + B1) % P)
            if y is not None:
                break
        if larger != (y > (P - 1) // 2):
            y = -y % P
        return G1._unchecked(x, y)

    def g2(self) -> G2:
        """A point of G2: a point of the twist sampled like g1, times the twist's cofactor."""
        while True:
            x = (self.fq(), self.fq())
            larger = self.boolean()
            y = field.fq2_sqrt(field.fq2_add(field.fq2_mul(field.fq2_mul(x, x), x), B2))
            if y is not None:
                break
        sign_part = y[1] if y[1] else y[0]
        if larger != (sign_part > (P - 1) // 2):
            y = field.fq2_neg(y)
        return _times_large(G2._unchecked(x, y), G2_COFACTOR)


def _times_large(point: G2, k: int) -> G2:
    """k·point for k ≥ r (the group operator reduces scalars mod r, which is wrong off the subgroup)."""
    acc = G2.infinity()
    for bit in bin(k)[2:]:
        acc = acc.double()
        if bit == "1":
            acc = acc + point
    return G2.from_affine(acc.x, acc.y)  # now in the subgroup: validated


def hash_to_g2(transcript: bytes) -> G2:
    return ChaCha.from_hash(transcript).g2()


# --- the transcript -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Contribution:
    delta_after: G1
    g1_s: G1
    g1_sx: G1
    g2_spx: G2
    transcript: bytes  # 64 bytes
    kind: int = CONTRIBUTION
    name: str = ""
    beacon_hash: bytes = b""
    iterations_exp: int = 0

    def public_key_bytes(self) -> bytes:
        return b"".join(p.to_bytes() for p in (self.delta_after, self.g1_s, self.g1_sx, self.g2_spx)) + self.transcript

    @property
    def hash(self) -> bytes:
        """The contribution hash a contributor publishes (snarkjs prints it as 4 lines of 4 words)."""
        return hashlib.blake2b(self.public_key_bytes(), digest_size=64).digest()


@dataclass(frozen=True, slots=True)
class Transcript:
    circuit_hash: bytes
    contributions: tuple[Contribution, ...] = ()

    def to_bytes(self) -> bytes:
        out = [self.circuit_hash, struct.pack("<I", len(self.contributions))]
        for c in self.contributions:
            out.append(_lem(c))
            out.append(c.transcript + struct.pack("<I", c.kind))
            params = b""
            if c.name:
                name = _truncated_name(c.name)
                params += bytes([1, len(name)]) + name
            if c.kind == BEACON:
                params += bytes([2, c.iterations_exp, 3, len(c.beacon_hash)]) + c.beacon_hash
            out.append(struct.pack("<I", len(params)) + params)
        return b"".join(out)


def _truncated_name(name: str) -> bytes:
    return name[:MAX_NAME_BYTES].encode("utf-8")


def _lem(c: Contribution) -> bytes:
    """The four points as a .zkey stores them (Montgomery, little-endian)."""
    return b"".join(_mont_point_bytes(p) for p in (c.delta_after, c.g1_s, c.g1_sx, c.g2_spx))


def parse_transcript(data: bytes) -> Transcript:
    """Section 10 of a .zkey; InvalidEncoding on any malformed part (points are validated)."""
    try:
        if len(data) < 68:
            raise InvalidEncoding("zkey: the contributions section is too short")
        circuit_hash = data[:64]
        (n,) = struct.unpack_from("<I", data, 64)
        pos, contributions = 68, []
        for i in range(n):
            if pos + 64 * 3 + 128 + 64 + 8 > len(data):
                raise InvalidEncoding(f"zkey: contribution {i} is truncated")
            points = (_g1_point(data, pos), _g1_point(data, pos + 64), _g1_point(data, pos + 128))
            g2_spx = _g2_point(data, pos + 192)
            pos += 320
            transcript = data[pos : pos + 64]
            kind, length = struct.unpack_from("<II", data, pos + 64)
            pos += 72
            params, pos = data[pos : pos + length], pos + length
            if len(params) != length or kind not in (CONTRIBUTION, BEACON):
                raise InvalidEncoding(f"zkey: contribution {i} has bad parameters")
            name, beacon_hash, exp, at, last = "", b"", 0, 0, 0
            while at < len(params):
                tag = params[at]
                if tag <= last or tag > 3 or at + 2 > len(params):
                    raise InvalidEncoding(f"zkey: contribution {i} has bad parameters")
                last = tag
                if tag == 2:
                    exp, at = params[at + 1], at + 2
                    continue
                value = params[at + 2 : at + 2 + params[at + 1]]
                if len(value) != params[at + 1]:
                    raise InvalidEncoding(f"zkey: contribution {i} has bad parameters")
                at += 2 + len(value)
                if tag == 1:
                    name = value.decode("utf-8", errors="replace")
                else:
                    beacon_hash = value
            contributions.append(Contribution(*points, g2_spx, transcript, kind, name, beacon_hash, exp))
        if pos != len(data):
            raise InvalidEncoding("zkey: trailing bytes after the contributions")
    except struct.error:
        raise InvalidEncoding("zkey: the contributions section is truncated") from None
    return Transcript(circuit_hash, tuple(contributions))


def _hasher(transcript: Transcript):
    h = hashlib.blake2b(digest_size=64)
    h.update(transcript.circuit_hash)
    for c in transcript.contributions:
        h.update(c.public_key_bytes())
    return h


def _next_contribution(transcript: Transcript, delta: G1, rng: ChaCha) -> tuple[int, Contribution]:
    """k and the public record of δ ↦ k·δ, drawn from rng in snarkjs's order (k, then g1_s)."""
    k = rng.scalar()
    g1_s = rng.g1()
    g1_sx = g1_s * k
    h = _hasher(transcript)
    h.update(g1_s.to_bytes() + g1_sx.to_bytes())
    digest = h.digest()
    g2_spx = hash_to_g2(digest) * k
    return k, Contribution(delta * k, g1_s, g1_sx, g2_spx, digest)


def entropy_rng(typed: str = "") -> ChaCha:
    """64 bytes from the OS plus the contributor's typed text, hashed into a ChaCha seed."""
    return ChaCha.from_hash(hashlib.blake2b(secrets.token_bytes(64) + typed.encode("utf-8"), digest_size=64).digest())


def beacon_rng(beacon_hash: bytes, iterations_exp: int) -> ChaCha:
    """sha256 applied 2^iterations_exp times to the public beacon value: anyone can redo it, nobody
    could have steered it if the value was unknown until shortly before (e.g. a future block hash)."""
    if not beacon_hash or len(beacon_hash) > 255:
        raise InvalidEncoding("the beacon value must be 1 to 255 bytes")
    if not BEACON_MIN_EXP <= iterations_exp <= BEACON_MAX_EXP:
        raise InvalidEncoding(f"the beacon iteration exponent must be in {BEACON_MIN_EXP}..{BEACON_MAX_EXP}")
    digest = beacon_hash
    for _ in range(1 << iterations_exp):
        digest = hashlib.sha256(digest).digest()
    return ChaCha.from_hash(digest)


def apply_contribution(pk, k: int, contribution: Contribution):
    """The key with δ ← k·δ and every L (C) and H point divided by k; the transcript extended."""
    transcript = parse_transcript(pk.contributions)
    k_inv = field.to_limbs(pow(k, -1, R))
    extended = replace(transcript, contributions=transcript.contributions + (contribution,))
    return replace(
        pk,
        vk=replace(pk.vk, delta_g2=pk.vk.delta_g2 * k),
        delta_g1=contribution.delta_after,
        c_g1=kc.scale_affine(pk.c_g1, k_inv),
        h_g1=kc.scale_affine(pk.h_g1, k_inv),
        contributions=extended.to_bytes(),
    )


def contribute(pk, name: str, rng: ChaCha):
    """(new key, its contribution) for a contributor whose secret k comes from rng (then forgotten)."""
    transcript = parse_transcript(pk.contributions)
    k, c = _next_contribution(transcript, pk.delta_g1, rng)
    c = replace(c, name=name)
    return apply_contribution(pk, k, c), c


def beacon(pk, name: str, beacon_hash: bytes, iterations_exp: int):
    """The final, public-randomness step: (new key, its contribution)."""
    transcript = parse_transcript(pk.contributions)
    k, c = _next_contribution(transcript, pk.delta_g1, beacon_rng(beacon_hash, iterations_exp))
    c = replace(c, kind=BEACON, name=name, beacon_hash=beacon_hash, iterations_exp=iterations_exp)
    return apply_contribution(pk, k, c), c


def check_chain(transcript: Transcript) -> tuple[G1, list[str]]:
    """(δ after the last contribution, problems); δ starts at the generator, as in a fresh key.

    Beacons are re-derived from their public value, which costs 2^exp sha256 evaluations.
    """
    problems: list[str] = []
    delta = G1.generator()
    for i, c in enumerate(transcript.contributions):
        who = f"contribution {i + 1}" + (f" ({c.name})" if c.name else "")
        h = _hasher(replace(transcript, contributions=transcript.contributions[:i]))
        h.update(c.g1_s.to_bytes() + c.g1_sx.to_bytes())
        if h.digest() != c.transcript:
            problems.append(f"{who}: its transcript hash does not follow from the contributions before it")
            break
        g2_sp = hash_to_g2(c.transcript)
        if any(p.is_infinity for p in (c.g1_s, c.g1_sx, c.g2_spx, c.delta_after)):
            problems.append(f"{who}: a public key point is the point at infinity")
            break
        if not pairing_check([(c.g1_s, c.g2_spx), (-c.g1_sx, g2_sp)]):
            problems.append(f"{who}: its G1 and G2 public keys do not use the same secret")
            break
        if not pairing_check([(delta, c.g2_spx), (-c.delta_after, g2_sp)]):
            problems.append(f"{who}: δ after it is not δ before it times the contributor's secret")
            break
        if c.kind == BEACON:
            try:
                rng = beacon_rng(c.beacon_hash, c.iterations_exp)
            except InvalidEncoding as e:
                problems.append(f"{who}: {e}")
                break
            k = rng.scalar()
            g1_s = rng.g1()
            if (g1_s, g1_s * k) != (c.g1_s, c.g1_sx):
                problems.append(f"{who}: the beacon's key does not follow from its public value")
                break
        delta = c.delta_after
    return delta, problems


def format_hash(digest: bytes) -> str:
    """A 64-byte hash as snarkjs prints it: four lines of four 8-hex-digit words."""
    words = [digest[i : i + 4].hex() for i in range(0, 64, 4)]
    return "\n".join(" ".join(words[r * 4 : r * 4 + 4]) for r in range(4))
