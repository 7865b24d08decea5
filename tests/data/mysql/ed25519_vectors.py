#!/usr/bin/env python3
"""Vectors for tests/unit/test_mysql_ed25519.c, computed independently of
conndoctor's C code (and of libsodium): a pure-Python Ed25519 written from
RFC 8032 section 5.1 (big integers, extended coordinates), Python's hashlib
for SHA-512 and PBKDF2-HMAC-SHA512. Run it to print the C arrays again.

client_ed25519 (MariaDB "Authentication Plugin - ed25519"): RFC 8032
signing where the 32-byte secret key is replaced by the password itself,
hashed with SHA-512 whatever its length.
PARSEC (MariaDB "Authentication Plugin - PARSEC"): seed = PBKDF2-HMAC-
SHA512(password, salt, 1024 << factor, 32), then stock Ed25519 over
server nonce + client nonce; the answer is client nonce + signature.
"""
import base64
import hashlib

p = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
d = -121665 * pow(121666, p - 2, p) % p
Gy = 4 * pow(5, p - 2, p) % p


def recover_x(y, sign):
    x2 = (y * y - 1) * pow(d * y * y + 1, p - 2, p)
    x = pow(x2, (p + 3) // 8, p)
    if (x * x - x2) % p != 0:
        x = x * pow(2, (p - 1) // 4, p) % p
    if x % 2 != sign:
        x = p - x
    return x


G = (recover_x(Gy, 0), Gy, 1, recover_x(Gy, 0) * Gy % p)


def add(P, Q):
    A = (P[1] - P[0]) * (Q[1] - Q[0]) % p
    B = (P[1] + P[0]) * (Q[1] + Q[0]) % p
    C = 2 * P[3] * Q[3] * d % p
    D = 2 * P[2] * Q[2] % p
    E, F, G_, H = B - A, D - C, D + C, B + A
    return (E * F % p, G_ * H % p, F * G_ % p, E * H % p)


def mul(s, P):
    Q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            Q = add(Q, P)
        P = add(P, P)
        s >>= 1
    return Q


def enc(P):
    zi = pow(P[2], p - 2, p)
    x, y = P[0] * zi % p, P[1] * zi % p
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def sha512(b):
    return hashlib.sha512(b).digest()


def sign_with_hash(h, msg):
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    A = enc(mul(a, G))
    r = int.from_bytes(sha512(h[32:] + msg), "little") % L
    R = enc(mul(r, G))
    k = int.from_bytes(sha512(R + A + msg), "little") % L
    return A, R + ((r + k * a) % L).to_bytes(32, "little")


def mariadb_ed25519(pw, msg):
    return sign_with_hash(sha512(pw), msg)


def parsec(pw, salt, factor, snonce, cnonce):
    seed = hashlib.pbkdf2_hmac("sha512", pw, salt, 1024 << factor, 32)
    A, sig = sign_with_hash(sha512(seed), snonce + cnonce)
    return A, cnonce + sig


def carr(name, b):
    print(f"static const uint8_t {name}[{len(b)}] = {{")
    for i in range(0, len(b), 12):
        print("\t" + ", ".join(f"0x{x:02x}" for x in b[i:i + 12]) + ",")
    print("};")


if __name__ == "__main__":
    nonce = bytes(range(0x20, 0x40))  # 32 bytes " !\"#...?"
    for name, pw in (("secret", b"secret"), ("empty", b""),
                     ("long", b"x" * 100)):
        A, sig = mariadb_ed25519(pw, nonce)
        carr(f"ed_pk_{name}", A)
        carr(f"ed_sig_{name}", sig)
        print(f"/* authentication_string: {base64.b64encode(A).decode().rstrip('=')} */")
    cnonce = bytes(range(0x80, 0xa0))
    salt = bytes(range(1, 19))  # 18 bytes, MariaDB's salt length
    A, resp = parsec(b"secret", salt, 0, nonce, cnonce)
    carr("parsec_pk", A)
    carr("parsec_resp", resp)
    A, resp = parsec(b"secret", salt, 2, nonce, cnonce)
    carr("parsec_resp_f2", resp)
