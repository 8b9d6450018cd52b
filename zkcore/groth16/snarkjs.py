"""snarkjs's binary files, read and written: iden3 `.r1cs` constraint systems, `.wtns` witnesses and
Groth16 `.zkey` proving keys.

Both are iden3 "binfile" containers: 4-byte magic, u32 version, u32 section count, then
sections of (u32 type, u64 size, bytes). In a .zkey, points are little-endian Montgomery
coordinates with R = 2²⁵⁶ (the kernels' own convention, so point arrays load as they are) and
coefficient values are stored as v·R² mod r; a .wtns holds plain little-endian values.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import field
from ..curve import G1, G2
from ..errors import InvalidEncoding
from ..params import P, R
from ..r1cs import ConstraintSystem, LinearCombination
from .keys import VerifyingKey

_U32 = struct.Struct("<I")


def _sections(data: bytes, magic: bytes, what: str) -> dict[int, list[bytes]]:
    if len(data) < 12 or data[:4] != magic:
        raise InvalidEncoding(f"not a {what} file (bad magic)")
    (n_sections,) = _U32.unpack_from(data, 8)
    sections: dict[int, list[bytes]] = {}
    off = 12
    for _ in range(n_sections):
        if off + 12 > len(data):
            raise InvalidEncoding(f"{what}: truncated section header")
        kind, size = struct.unpack_from("<IQ", data, off)
        off += 12
        if off + size > len(data):
            raise InvalidEncoding(f"{what}: section {kind} runs past the end of the file")
        sections.setdefault(kind, []).append(data[off : off + size])
        off += size
    return sections


def _one(sections: dict[int, list[bytes]], kind: int, what: str) -> bytes:
    found = sections.get(kind)
    if not found or len(found) != 1:
        raise InvalidEncoding(f"{what}: expected exactly one section {kind}")
    return found[0]


def _field_header(buf: bytes, off: int, modulus: int, what: str) -> int:
    (n8,) = _U32.unpack_from(buf, off)
    if n8 != 32 or int.from_bytes(buf[off + 4 : off + 36], "little") != modulus:
        raise InvalidEncoding(f"{what}: not a BN254 file")
    return off + 36


def read_wtns(path: str | Path) -> list[int]:
    """The witness values (wire 0 is the constant 1)."""
    what = "wtns"
    sections = _sections(Path(path).read_bytes(), b"wtns", what)
    header = _one(sections, 1, what)
    off = _field_header(header, 0, R, what)
    (n,) = _U32.unpack_from(header, off)
    body = _one(sections, 2, what)
    if len(body) != 32 * n:
        raise InvalidEncoding("wtns: witness section size does not match its header")
    values = field.array_to_ints(np.frombuffer(body, dtype="<u8").reshape(n, 4))
    if any(v >= R for v in values):
        raise InvalidEncoding("wtns: a witness value is not below r")
    if n == 0 or values[0] != 1:
        raise InvalidEncoding("wtns: wire 0 must be 1")
    return values


@dataclass(frozen=True, slots=True, eq=False, weakref_slot=True)
class ProvingKey:
    """Groth16 proving key. Point arrays are affine, Montgomery limbs, (0, 0) for infinity."""

    vk: VerifyingKey
    beta_g1: G1  # [β]₁
    delta_g1: G1  # [δ]₁
    n_vars: int
    n_public: int
    log_domain: int
    a_g1: np.ndarray  # [u_i(τ)]₁, i = 0..m
    b_g1: np.ndarray  # [v_i(τ)]₁
    b_g2: np.ndarray  # [v_i(τ)]₂
    c_g1: np.ndarray  # [(βu_i + αv_i + w_i)/δ]₁ for private wires i > ℓ
    h_g1: np.ndarray  # snarkjs's H bases, for quotient evaluations on the coset ω_2n·⟨ω_n⟩
    coef_matrix: np.ndarray  # per non-zero entry of A (0) and B (1): matrix,
    coef_constraint: np.ndarray  # constraint index,
    coef_signal: np.ndarray  # wire index,
    coef_value: np.ndarray  # value (Montgomery Fr, (k, 4))
    contributions: bytes = b""  # snarkjs's phase-2 transcript (section 10), kept verbatim
    provenance: str = "snarkjs .zkey"  # where the key came from; a single-party setup says so


def _g1_point(buf: bytes, off: int) -> G1:
    x = field.fq_from_kernel(field_array(buf, off, 1)[0])
    y = field.fq_from_kernel(field_array(buf, off + 32, 1)[0])
    return G1.from_affine(x, y)


def _g2_point(buf: bytes, off: int) -> G2:
    c = [field.fq_from_kernel(field_array(buf, off + 32 * i, 1)[0]) for i in range(4)]
    return G2.from_affine((c[0], c[1]), (c[2], c[3]))


def field_array(buf: bytes, off: int, count: int) -> np.ndarray:
    return np.frombuffer(buf, dtype="<u8", count=4 * count, offset=off).reshape(count, 4).astype(np.uint64)


def _points(buf: bytes, count: int, g2: bool, what: str) -> np.ndarray:
    shape = (count, 2, 2, 4) if g2 else (count, 2, 4)
    words = int(np.prod(shape))
    if len(buf) != 8 * words:
        raise InvalidEncoding(f"zkey: {what} section has the wrong size")
    arr = np.frombuffer(buf, dtype="<u8").reshape(shape).astype(np.uint64)
    _check_montgomery_coordinates(arr, what)
    return arr


def _check_montgomery_coordinates(arr: np.ndarray, what: str) -> None:
    """Every coordinate must be a canonical Montgomery residue (< p)."""
    flat = arr.reshape(-1, 4)
    hi = flat[:, 3]
    p3 = np.uint64(P >> 192)
    if np.any(hi > p3):
        raise InvalidEncoding(f"zkey: {what} has a coordinate ≥ p")
    suspects = np.nonzero(hi == p3)[0]
    if any(field.from_limbs(flat[i]) >= P for i in suspects):
        raise InvalidEncoding(f"zkey: {what} has a coordinate ≥ p")


def read_zkey(path: str | Path) -> ProvingKey:
    """A Groth16 proving key from a snarkjs .zkey file (header points validated, arrays range-checked)."""
    what = "zkey"
    sections = _sections(Path(path).read_bytes(), b"zkey", what)
    if _U32.unpack_from(_one(sections, 1, what), 0)[0] != 1:
        raise InvalidEncoding("zkey: not a Groth16 key")
    h = _one(sections, 2, what)
    off = _field_header(h, 0, P, what)
    off = _field_header(h, off, R, what)
    n_vars, n_public, domain = struct.unpack_from("<III", h, off)
    off += 12
    if domain & (domain - 1) or not domain or n_public + 1 > n_vars:
        raise InvalidEncoding("zkey: bad sizes in the header")
    alpha1, beta1 = _g1_point(h, off), _g1_point(h, off + 64)
    beta2, gamma2 = _g2_point(h, off + 128), _g2_point(h, off + 256)
    delta1, delta2 = _g1_point(h, off + 384), _g2_point(h, off + 448)
    ic_buf = _one(sections, 3, what)
    if len(ic_buf) != 64 * (n_public + 1):
        raise InvalidEncoding("zkey: IC section has the wrong size")
    ic = tuple(_g1_point(ic_buf, 64 * i) for i in range(n_public + 1))
    vk = VerifyingKey(alpha1, beta2, gamma2, delta2, ic)

    coefs = _one(sections, 4, what)
    (n_coefs,) = _U32.unpack_from(coefs, 0)
    if len(coefs) != 4 + 44 * n_coefs:
        raise InvalidEncoding("zkey: coefficient section has the wrong size")
    records = np.frombuffer(coefs, dtype=np.uint8, offset=4).reshape(n_coefs, 44)
    ints = records[:, :12].copy().view("<u4").reshape(n_coefs, 3)
    matrix, constraint, signal = (ints[:, i].astype(np.int64) for i in range(3))
    if np.any(matrix > 1) or np.any(constraint >= domain) or np.any(signal >= n_vars):
        raise InvalidEncoding("zkey: a coefficient points outside the key")
    stored = records[:, 12:].copy().view("<u8").reshape(n_coefs, 4).astype(np.uint64)
    # stored = v·R² (standard form) is the Montgomery form of v·R: one reduction gives v·R, v's Montgomery form.
    values = field.from_montgomery(stored, R)

    return ProvingKey(
        vk=vk,
        beta_g1=beta1,
        delta_g1=delta1,
        n_vars=n_vars,
        n_public=n_public,
        log_domain=domain.bit_length() - 1,
        a_g1=_points(_one(sections, 5, what), n_vars, False, "A"),
        b_g1=_points(_one(sections, 6, what), n_vars, False, "B1"),
        b_g2=_points(_one(sections, 7, what), n_vars, True, "B2"),
        c_g1=_points(_one(sections, 8, what), n_vars - n_public - 1, False, "C"),
        h_g1=_points(_one(sections, 9, what), domain, False, "H"),
        coef_matrix=matrix,
        coef_constraint=constraint,
        coef_signal=signal,
        coef_value=values,
        contributions=sections.get(10, [b""])[0],
    )


# --- writers ------------------------------------------------------------------------------------


def _binfile(magic: bytes, version: int, sections: list[tuple[int, bytes]]) -> bytes:
    out = [magic, struct.pack("<II", version, len(sections))]
    for kind, body in sections:
        out.append(struct.pack("<IQ", kind, len(body)))
        out.append(body)
    return b"".join(out)


def _field_header_bytes(modulus: int) -> bytes:
    return _U32.pack(32) + modulus.to_bytes(32, "little")


def write_wtns(path: str | Path, witness: list[int]) -> None:
    """Write a witness in iden3's .wtns format (version 2)."""
    for x in witness:
        field.check_scalar(x, "witness value")
    header = _field_header_bytes(R) + _U32.pack(len(witness))
    body = np.ascontiguousarray(field.ints_to_array(witness), dtype="<u8").tobytes()
    Path(path).write_bytes(_binfile(b"wtns", 2, [(1, header), (2, body)]))


def _mont_point_bytes(p: G1 | G2) -> bytes:
    return np.ascontiguousarray(np.array(p._kernel(), dtype=np.uint64), dtype="<u8").tobytes()


def write_zkey(path: str | Path, pk: ProvingKey) -> None:
    """Write a Groth16 .zkey that snarkjs reads and proves with; a key read from a .zkey is written
    back byte for byte (its contribution transcript included)."""
    Path(path).write_bytes(zkey_bytes(pk))


def zkey_bytes(pk: ProvingKey) -> bytes:
    """The .zkey encoding of a proving key."""
    vk = pk.vk
    header = b"".join(
        [
            _field_header_bytes(P),
            _field_header_bytes(R),
            struct.pack("<III", pk.n_vars, pk.n_public, 1 << pk.log_domain),
            *(
                _mont_point_bytes(p)
                for p in (vk.alpha_g1, pk.beta_g1, vk.beta_g2, vk.gamma_g2, pk.delta_g1, vk.delta_g2)
            ),
        ]
    )
    ic = b"".join(_mont_point_bytes(p) for p in vk.ic_g1)
    n = pk.coef_matrix.shape[0]
    records = np.zeros((n, 44), dtype=np.uint8)
    ints = np.stack([pk.coef_matrix, pk.coef_constraint, pk.coef_signal], axis=1).astype("<u4")
    records[:, :12] = ints.view(np.uint8).reshape(n, 12)
    # Stored as v·R² in standard form, which is the Montgomery form of v's Montgomery form.
    stored = field.to_montgomery(pk.coef_value, R)
    records[:, 12:] = np.ascontiguousarray(stored, dtype="<u8").view(np.uint8).reshape(n, 32)
    coefs = _U32.pack(n) + records.tobytes()

    def arr(a: np.ndarray) -> bytes:
        return np.ascontiguousarray(a, dtype="<u8").tobytes()

    sections = [
        (1, _U32.pack(1)),
        (2, header),
        (3, ic),
        (4, coefs),
        (5, arr(pk.a_g1)),
        (6, arr(pk.b_g1)),
        (7, arr(pk.b_g2)),
        (8, arr(pk.c_g1)),
        (9, arr(pk.h_g1)),
        (10, pk.contributions),
    ]
    return _binfile(b"zkey", 1, sections)


# --- .r1cs -----------------------------------------------------------------------------------------


def _lc_bytes(lc: LinearCombination) -> bytes:
    terms = sorted(lc.terms.items())
    return _U32.pack(len(terms)) + b"".join(_U32.pack(w) + c.to_bytes(32, "little") for w, c in terms)


def write_r1cs(path: str | Path, cs: ConstraintSystem) -> None:
    """iden3's .r1cs (version 1): all public wires counted as public inputs, labels = wire indices."""
    Path(path).write_bytes(r1cs_bytes(cs))


def r1cs_bytes(cs: ConstraintSystem) -> bytes:
    """The .r1cs encoding (terms sorted by wire): what snarkjs reads, and what a key's circuit digest hashes."""
    header = _field_header_bytes(R) + struct.pack(
        "<IIIIQI", cs.n_wires, 0, cs.n_public, cs.n_private_inputs, cs.n_wires, len(cs.constraints)
    )
    constraints = b"".join(_lc_bytes(a) + _lc_bytes(b) + _lc_bytes(c) for a, b, c in cs.constraints)
    labels = struct.pack(f"<{cs.n_wires}Q", *range(cs.n_wires))
    return _binfile(b"r1cs", 1, [(1, header), (2, constraints), (3, labels)])


def read_r1cs(path: str | Path) -> ConstraintSystem:
    what = "r1cs"
    sections = _sections(Path(path).read_bytes(), b"r1cs", what)
    header = _one(sections, 1, what)
    off = _field_header(header, 0, R, what)
    if len(header) != off + 28:
        raise InvalidEncoding("r1cs: header has the wrong size")
    n_wires, n_out, n_in, n_private, _, n_constraints = struct.unpack_from("<IIIIQI", header, off)
    if 1 + n_out + n_in + n_private > n_wires:
        raise InvalidEncoding("r1cs: more inputs than wires")
    body, pos = _one(sections, 2, what), 0
    cs = ConstraintSystem(n_public=n_out + n_in, n_wires=n_wires, n_private_inputs=n_private)
    try:
        for k in range(n_constraints):
            lcs = []
            for _ in range(3):
                (n_terms,) = _U32.unpack_from(body, pos)
                pos += 4
                terms = {}
                for _ in range(n_terms):
                    (wire,) = _U32.unpack_from(body, pos)
                    coeff = int.from_bytes(body[pos + 4 : pos + 36], "little")
                    if wire >= n_wires or coeff >= R or len(body) < pos + 36:
                        raise InvalidEncoding(f"r1cs: constraint {k} has a bad term")
                    terms[wire] = coeff
                    pos += 36
                lcs.append(LinearCombination(terms))
            cs.add(*lcs, f"r1cs constraint {k}")
    except struct.error:
        raise InvalidEncoding("r1cs: constraint section is truncated") from None
    if pos != len(body):
        raise InvalidEncoding("r1cs: trailing bytes after the constraints")
    return cs
