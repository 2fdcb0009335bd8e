"""SM2 / SM3 helpers (GB/T 32918, GB/T 32905) shared by the seal code.

`cryptography` has SM3 but no SM2 curve, so SM2 signing and verification use gmssl's point arithmetic.
gmssl is used carefully: its constructor strips a leading "04" from public keys with `lstrip` (which eats
any leading 0/4 digits of X), and its own signing picks the nonce with `random`. We therefore set the
public key attribute ourselves, compute the Z value ourselves, and always pass a nonce from `secrets`.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

from asn1crypto import algos, core, keys, x509
from cryptography.hazmat.primitives import hashes

SM2_CURVE_OID = "1.2.156.10197.1.301"
SM2_SIGN_OID = "1.2.156.10197.1.301.1"
SM3_OID = "1.2.156.10197.1.401"
SM2_WITH_SM3_OID = "1.2.156.10197.1.501"
DEFAULT_USER_ID = b"1234567812345678"

# GB/T 32918.5 recommended curve parameters (sm2p256v1).
_P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
_A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
_B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
_GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
_GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0

_registered = False


def _register_oid(cls: type[core.ObjectIdentifier], oid: str, name: str) -> None:
    cls._map.setdefault(oid, name)
    if cls._reverse_map is not None:
        cls._reverse_map.setdefault(cls._map[oid], oid)


def register_oids() -> None:
    """Teach asn1crypto the SM OIDs (the one place that does it; idempotent).

    After this, SM2 certificates and algorithm identifiers parse with readable names
    (`sm3`, `sm2_sm3`, `sm2`, curve `sm2p256v1`).
    """
    global _registered
    if _registered:
        return
    _register_oid(algos.DigestAlgorithmId, SM3_OID, "sm3")
    _register_oid(algos.SignedDigestAlgorithmId, SM2_WITH_SM3_OID, "sm2_sm3")
    _register_oid(algos.SignedDigestAlgorithmId, SM2_SIGN_OID, "sm2")
    if SM2_CURVE_OID not in keys.NamedCurve._map:
        keys.NamedCurve.register("sm2p256v1", SM2_CURVE_OID, 32)
    _registered = True


def sm3(data: bytes) -> bytes:
    """SM3 digest (32 bytes)."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


# --- points ---------------------------------------------------------------------------------------
def _on_curve(x: int, y: int) -> bool:
    return 0 <= x < _P and 0 <= y < _P and (y * y - (x * x * x + _A * x + _B)) % _P == 0


def normalise_public_point(point: bytes) -> bytes:
    """Any SM2 public point encoding (04||X||Y, bare X||Y, compressed 02/03||X) as 04||X||Y.

    Raises ValueError when the bytes are no point on the SM2 curve.
    """
    if len(point) == 65 and point[0] == 4:
        x, y = int.from_bytes(point[1:33], "big"), int.from_bytes(point[33:], "big")
    elif len(point) == 64:
        x, y = int.from_bytes(point[:32], "big"), int.from_bytes(point[32:], "big")
    elif len(point) == 33 and point[0] in (2, 3):
        x = int.from_bytes(point[1:], "big")
        y = pow((x * x * x + _A * x + _B) % _P, (_P + 1) // 4, _P)  # p = 3 mod 4
        if y % 2 != point[0] % 2:
            y = _P - y
    else:
        raise ValueError(f"not an SM2 public point ({len(point)} bytes)")
    if not _on_curve(x, y):
        raise ValueError("the point is not on the SM2 curve")
    return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")


class _RawSpki(core.Sequence):
    """SubjectPublicKeyInfo read without asn1crypto's algorithm-specific key parsing."""

    _fields = [("algorithm", core.Any), ("public_key", core.OctetBitString)]


def sm2_public_point_from_cert(cert_der: bytes) -> bytes:
    """The certificate's public key as a 65-byte uncompressed point 04||X||Y (ValueError if none)."""
    try:
        cert = x509.Certificate.load(cert_der)
        spki = _RawSpki.load(cert["tbs_certificate"]["subject_public_key_info"].dump())
        key_bytes = bytes(spki["public_key"])
    except Exception as exc:  # asn1crypto raises several types for damaged input
        raise ValueError(f"unreadable certificate: {exc}") from exc
    return normalise_public_point(key_bytes)


def _crypt(public_point_hex: str = "", private_hex: str = ""):
    from gmssl import sm2  # only needed for SM2 operations

    crypt = sm2.CryptSM2(private_key=private_hex, public_key="")
    crypt.public_key = public_point_hex  # set directly: the constructor's lstrip("04") is wrong
    return crypt


def _z_value(public_point: bytes, user_id: bytes) -> bytes:
    entl = (len(user_id) * 8).to_bytes(2, "big")
    fields = b"".join(v.to_bytes(32, "big") for v in (_A, _B, _GX, _GY))
    return sm3(entl + user_id + fields + public_point[1:])


def z_value(public_point: bytes, user_id: bytes = DEFAULT_USER_ID) -> bytes:
    """Z = SM3(ENTL || ID || a || b || Gx || Gy || Px || Py) of an SM2 public point (any encoding)."""
    return _z_value(normalise_public_point(public_point), user_id)


@functools.lru_cache(maxsize=256)
def is_sm2_certificate(cert_der: bytes) -> bool:
    """Whether the certificate's key is SM2 (id-ecPublicKey on the SM2 curve, or the SM2 key OID).

    Cached: the city server and the log check ask it for every record of the same few certificates."""
    try:
        spki = _RawSpki.load(x509.Certificate.load(cert_der)["tbs_certificate"]["subject_public_key_info"].dump())
        algorithm = algos.AlgorithmIdentifier.load(spki["algorithm"].dump())
        oid = algorithm["algorithm"].dotted
        params = algorithm["parameters"]
        curve = core.ObjectIdentifier.load(params.dump()).dotted if params.native is not None else None
    except Exception:  # damaged or foreign encodings: not a certificate we can treat as SM2
        return False
    return oid == SM2_CURVE_OID or (oid == "1.2.840.10045.2.1" and curve == SM2_CURVE_OID)


def _digest_e(public_point: bytes, data: bytes, user_id: bytes) -> bytes:
    return sm3(_z_value(public_point, user_id) + data)


def _decode_signature(signature_der: bytes) -> tuple[int, int]:
    sig = algos.DSASignature.load(signature_der, strict=True)
    return sig["r"].native, sig["s"].native


def encode_signature(r: int, s: int) -> bytes:
    """DER SEQUENCE { r INTEGER, s INTEGER }."""
    return algos.DSASignature({"r": r, "s": s}).dump()


def sm2_verify(
    public_point: bytes, data: bytes, signature_der: bytes, user_id: bytes = DEFAULT_USER_ID
) -> bool:
    """SM2-with-SM3 verification of `data` (Z value included); False for any bad or malformed input."""
    try:
        point = normalise_public_point(public_point)
        r, s = _decode_signature(signature_der)
    except Exception:
        return False
    if not (1 <= r < _N and 1 <= s < _N) or (r + s) % _N == 0:
        return False
    e = _digest_e(point, data, user_id)
    return _verify_e(point, int.from_bytes(e, "big"), r, s)


# --- verification arithmetic: Jacobian coordinates and Shamir's trick, ~6x faster than gmssl's ------
# (gmssl computes s*G and t*P separately over hex strings; a PDF with 10 SM2 signatures, their chains and
# seals needs ~50 verifications, which took ~1 s. Verification handles public data only: no constant time
# needed.) Points are (X, Y, Z) with x = X/Z^2, y = Y/Z^3; None is the point at infinity.
def _jdouble(pt):
    if pt is None:
        return None
    x, y, z = pt
    if y == 0:
        return None
    yy = y * y % _P
    zz = z * z % _P
    m = 3 * (x - zz) * (x + zz) % _P  # a = -3
    sv = 4 * x * yy % _P
    x3 = (m * m - 2 * sv) % _P
    y3 = (m * (sv - x3) - 8 * yy * yy) % _P
    return x3, y3, 2 * y * z % _P


def _jadd(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    z1z1, z2z2 = z1 * z1 % _P, z2 * z2 % _P
    u1, u2 = x1 * z2z2 % _P, x2 * z1z1 % _P
    s1, s2 = y1 * z2 * z2z2 % _P, y2 * z1 * z1z1 % _P
    h, rr = (u2 - u1) % _P, (s2 - s1) % _P
    if h == 0:
        return _jdouble(p1) if rr == 0 else None
    hh = h * h % _P
    hhh = h * hh % _P
    v = u1 * hh % _P
    x3 = (rr * rr - hhh - 2 * v) % _P
    y3 = (rr * (v - x3) - s1 * hhh) % _P
    return x3, y3, z1 * z2 * h % _P


def _affine_x(pt) -> int | None:
    if pt is None:
        return None
    x, _, z = pt
    return x * pow(z * z % _P, -1, _P) % _P


@functools.lru_cache(maxsize=512)
def _verify_e(point: bytes, e: int, r: int, s: int) -> bool:
    """SM2 verification (GB/T 32918.2 7.1) of r, s over the digest e; cached, since chains and seals repeat."""
    t = (r + s) % _N
    if t == 0:
        return False
    g = (_GX, _GY, 1)
    q = (int.from_bytes(point[1:33], "big"), int.from_bytes(point[33:], "big"), 1)
    gq = _jadd(g, q)
    acc = None
    for bit in range(max(s.bit_length(), t.bit_length()) - 1, -1, -1):
        acc = _jdouble(acc)
        pick = ((s >> bit) & 1, (t >> bit) & 1)
        if pick == (1, 1):
            acc = _jadd(acc, gq)
        elif pick == (1, 0):
            acc = _jadd(acc, g)
        elif pick == (0, 1):
            acc = _jadd(acc, q)
    x1 = _affine_x(acc)
    return x1 is not None and (e + x1) % _N == r


def generate_private_key() -> int:
    """A new SM2 private scalar in [1, n-2] from `secrets`."""
    return secrets.randbelow(_N - 2) + 1


def sm2_public_point_from_private(private_key: int) -> bytes:
    """The public point 04||X||Y of an SM2 private scalar."""
    if not 1 <= private_key < _N - 1:
        raise ValueError("the SM2 private key is out of range")
    crypt = _crypt()
    return b"\x04" + bytes.fromhex(crypt._kg(private_key, crypt.ecc_table["g"]))


def sm2_sign(private_key: int, data: bytes, user_id: bytes = DEFAULT_USER_ID) -> bytes:
    """SM2-with-SM3 signature of `data` as DER r,s; the nonce comes from `secrets`."""
    point = sm2_public_point_from_private(private_key)
    e = _digest_e(point, data, user_id)
    crypt = _crypt(point[1:].hex(), f"{private_key:064x}")
    while True:
        k = secrets.randbelow(_N - 1) + 1
        raw = crypt.sign(e, f"{k:064x}")
        if raw:
            return encode_signature(int(raw[:64], 16), int(raw[64:], 16))


# --- PKCS#12 --------------------------------------------------------------------------------------
def _pkcs12_kdf(password: bytes, salt: bytes, iterations: int, purpose: int, size: int, hash_name: str) -> bytes:
    """RFC 7292 appendix B.2 key derivation (password as BMPString with its terminator)."""
    u = hashlib.new(hash_name).digest_size
    v = hashlib.new(hash_name).block_size
    pwd = password.decode("utf-8").encode("utf-16-be") + b"\x00\x00"

    def stretch(value: bytes) -> bytes:
        if not value:
            return b""
        length = v * ((len(value) + v - 1) // v)
        return (value * (length // len(value) + 1))[:length]

    block = stretch(salt) + stretch(pwd)
    out = b""
    diversifier = bytes([purpose]) * v
    while len(out) < size:
        a = hashlib.new(hash_name, diversifier + block).digest()
        for _ in range(iterations - 1):
            a = hashlib.new(hash_name, a).digest()
        out += a
        b = int.from_bytes((a * (v // u + 1))[:v], "big")
        block = b"".join(
            ((int.from_bytes(block[j : j + v], "big") + b + 1) % (1 << (v * 8))).to_bytes(v, "big")
            for j in range(0, len(block), v)
        )
    return out[:size]


def _pbe_decrypt(algorithm, ciphertext: bytes, password: bytes) -> bytes:
    """Decrypt PKCS#12 PBE (SHA-1 3DES / RC2) or PBES2 (PBKDF2 + AES/3DES) content."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, modes

    name = algorithm["algorithm"].native
    if name == "pbes2":
        from cryptography.hazmat.primitives.ciphers import algorithms
        from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

        cipher_name = algorithm.encryption_cipher
        key_length = algorithm.key_length
        prf = algorithm["parameters"]["key_derivation_func"]["parameters"]["prf"]["algorithm"].native
        hash_cls = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha512": hashes.SHA512}[prf.replace("hmac_", "")]
        key = PBKDF2HMAC(hash_cls(), key_length, algorithm.kdf_salt, algorithm.kdf_iterations).derive(password)
        iv = algorithm.encryption_iv
        if cipher_name == "aes":
            cipher = algorithms.AES(key)
        elif cipher_name == "tripledes":
            from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES

            cipher = TripleDES(key)
        else:
            raise ValueError(f"unsupported PKCS#12 cipher {cipher_name}")
        decryptor = Cipher(cipher, modes.CBC(iv)).decryptor()
        padded = decryptor.update(ciphertext) + decryptor.finalize()
        unpadder = padding.PKCS7(cipher.block_size).unpadder()
        return unpadder.update(padded) + unpadder.finalize()

    salt, iterations = algorithm.kdf_salt, algorithm.kdf_iterations
    key = _pkcs12_kdf(password, salt, iterations, 1, algorithm.key_length, "sha1")
    iv = _pkcs12_kdf(password, salt, iterations, 2, 8, "sha1")
    if name in ("pkcs12_sha1_tripledes_3key", "pkcs12_sha1_tripledes_2key"):
        from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES

        decryptor = Cipher(TripleDES(key), modes.CBC(iv)).decryptor()
        padded = decryptor.update(ciphertext) + decryptor.finalize()
    elif name in ("pkcs12_sha1_rc2_40", "pkcs12_sha1_rc2_128"):
        # cryptography's RC2 accepts only 128-bit keys; pycryptodomex (gmssl's own dependency) does RC2-40.
        from Cryptodome.Cipher import ARC2

        padded = ARC2.new(key, ARC2.MODE_CBC, iv=iv, effective_keylen=len(key) * 8).decrypt(ciphertext)
    else:
        raise ValueError(f"unsupported PKCS#12 encryption {name}")
    unpadder = padding.PKCS7(64).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def _check_mac(pfx, password: bytes, content: bytes) -> None:
    mac_data = pfx["mac_data"]
    if not mac_data.native:
        return
    hash_name = mac_data["mac"]["digest_algorithm"]["algorithm"].native
    size = hashlib.new(hash_name).digest_size
    key = _pkcs12_kdf(password, mac_data["mac_salt"].native, mac_data["iterations"].native, 3, size, hash_name)
    expected = hmac.new(key, content, hash_name).digest()
    if not hmac.compare_digest(expected, mac_data["mac"]["digest"].native):
        raise ValueError("wrong PKCS#12 password or damaged file")


def _private_scalar(private_key_info_der: bytes) -> int:
    info = keys.PrivateKeyInfo.load(private_key_info_der)
    ec_key = keys.ECPrivateKey.load(info["private_key"].contents)
    return ec_key["private_key"].native


def load_sm2_p12(data: bytes, password: bytes) -> tuple[int, bytes]:
    """(private scalar, certificate DER) from an SM2 PKCS#12 key store.

    `cryptography` refuses the SM2 curve, so the PKCS#12 is walked with asn1crypto and decrypted here
    (legacy SHA-1 PBE with 3DES or RC2-40, or PBES2). Raises ValueError for a wrong password or a store
    without an SM2 key and certificate; when several certificates are present, the one matching the key
    is returned.
    """
    from asn1crypto import pkcs12

    register_oids()
    pfx = pkcs12.Pfx.load(data)
    auth_safe = pfx["auth_safe"]
    if auth_safe["content_type"].native != "data":
        raise ValueError("PKCS#12 stores protected by public keys are not supported")
    content = auth_safe["content"].native
    _check_mac(pfx, password, content)

    scalars: list[int] = []
    certs: list[bytes] = []

    def walk_bags(safe_contents_der: bytes) -> None:
        for bag in pkcs12.SafeContents.load(safe_contents_der):
            bag_id = bag["bag_id"].native
            value = bag["bag_value"]
            if bag_id == "pkcs8_shrouded_key_bag":
                plain = _pbe_decrypt(value["encryption_algorithm"], value["encrypted_data"].native, password)
                scalars.append(_private_scalar(plain))
            elif bag_id == "key_bag":
                scalars.append(_private_scalar(value.dump()))
            elif bag_id == "cert_bag" and value["cert_id"].native == "x509":
                certs.append(value["cert_value"].parsed.dump())
            elif bag_id == "safe_contents":
                walk_bags(value.dump())

    for info in pkcs12.AuthenticatedSafe.load(content):
        kind = info["content_type"].native
        if kind == "data":
            walk_bags(info["content"].native)
        elif kind == "encrypted_data":
            enc = info["content"]["encrypted_content_info"]
            walk_bags(_pbe_decrypt(enc["content_encryption_algorithm"], enc["encrypted_content"].native, password))
    if not scalars or not certs:
        raise ValueError("the PKCS#12 store holds no private key with a certificate")
    scalar = scalars[0]
    point = sm2_public_point_from_private(scalar)
    for cert in certs:
        try:
            if sm2_public_point_from_cert(cert) == point:
                return scalar, cert
        except ValueError:
            continue
    raise ValueError("no certificate in the PKCS#12 store matches its SM2 private key")
