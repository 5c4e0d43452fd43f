/** Ed25519 keys and signatures (Tink to sign, BouncyCastle to verify strictly) and hex helpers. Thread-safe. */
package dev.claudemesh.broker.core.crypto;
