"""The tamper-evident audit log: hash chains per client, RFC 6962 Merkle checkpoints over their
heads, Ed25519-signed, verifiable by a third party with only the public key."""
