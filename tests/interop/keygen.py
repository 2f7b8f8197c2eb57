"""Makes the RSA key of the interoperability tests' consumer.

Writes a 2048-bit private key as PKCS#8 PEM to the path given as the only argument, and prints
its public half as a SubjectPublicKeyInfo PEM, the form the consumer REST resource accepts.
"""

import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def main():
    (path,) = sys.argv[1:]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with open(path, "wb") as private_file:
        private_file.write(private_pem)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo,
    )
    sys.stdout.write(public_pem.decode("ascii"))


if __name__ == "__main__":
    main()
