package dev.claudemesh.broker.core.crypto;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link CryptoBox} against NaCl's published test vectors (the {@code box}/{@code core1} tests of the NaCl
 * distribution, which libsodium's test suite carries) and round trips; interoperability with libsodium-wrappers itself
 * is shown by broker-netty's Node test ({@code topics.mjs}).
 */
class CryptoBoxTest {

    // NaCl tests/box.c: Alice's secret key, Bob's public key, the nonce, and the 131-byte message
    private static final byte[] ALICE_SK = Hex.decode(
            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    private static final byte[] BOB_PK = Hex.decode(
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    private static final byte[] NONCE = Hex.decode("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37");
    private static final byte[] MESSAGE = Hex.decode(
            "be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffce5ecbaaf33bd751a1ac728d45e6c6129"
                    + "6cdc3c01233561f41db66cce314adb310e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde"
                    + "048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f937763848645e0705");
    // NaCl tests/box.out: the box (after the 16 zero bytes of the original API), i.e. crypto_box_easy's output
    private static final byte[] BOX = Hex.decode(
            "f3ffc7703f9400e52a7dfb4b3d3305d98e993b9f48681273c29650ba32fc76ce48332ea7164d96a4476fb8c531a1186a"
                    + "c0dfc17c98dce87b4da7f011ec48c97271d2c20f9b928fe2270d6fb863d51738b48eeee314a7cc8ab932164548e526ae"
                    + "90224368517acfeabd6bb3732bc0e9da99832b61ca01b6de56244a9e88d5f9b37973f622a43d14a6599b1f654cb45a74"
                    + "e355a5");

    @Test
    void shouldProduceNaClsBox() {
        assertThat(CryptoBox.boxEasy(MESSAGE, NONCE, BOB_PK, ALICE_SK)).isEqualTo(BOX);
    }

    @Test
    void shouldOpenNaClsBoxAndRefuseATamperedOne() {
        byte[] bobSk = Hex.decode("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        byte[] alicePk = Hex.decode("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        assertThat(CryptoBox.boxOpenEasy(BOX, NONCE, alicePk, bobSk)).isEqualTo(MESSAGE);
        byte[] tampered = BOX.clone();
        tampered[40] ^= 1;
        assertThat(CryptoBox.boxOpenEasy(tampered, NONCE, alicePk, bobSk)).isNull();
        assertThat(CryptoBox.boxOpenEasy(Arrays.copyOf(BOX, 10), NONCE, alicePk, bobSk)).isNull();
    }

    @Test
    void shouldComputeHSalsa20AsNaClsCore1() {
        byte[] shared = Hex.decode("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        assertThat(Hex.encode(CryptoBox.hsalsa20(shared, new byte[16])))
                .isEqualTo("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389");
    }

    @Test
    void shouldRoundTripBetweenConvertedEd25519Keys() {
        Ed25519.KeyPair member = Ed25519.generate();
        byte[] recipient = CryptoBox.ed25519PublicToX25519(Hex.decode(member.publicKeyHex()));
        byte[] recipientSk = CryptoBox.ed25519SeedToX25519(member.seed());
        CryptoBox.KeyPair sender = CryptoBox.keyPair();
        byte[] nonce = CryptoBox.randomBytes(CryptoBox.NONCE_BYTES);
        byte[] m = "topic key".getBytes(StandardCharsets.UTF_8);

        byte[] box = CryptoBox.boxEasy(m, nonce, recipient, sender.secretKey());

        assertThat(box).hasSize(m.length + CryptoBox.MAC_BYTES);
        assertThat(CryptoBox.boxOpenEasy(box, nonce, sender.publicKey(), recipientSk)).isEqualTo(m);
        // the converted public key is the X25519 public key of the converted secret key
        byte[] derived = new byte[32];
        org.bouncycastle.math.ec.rfc7748.X25519.scalarMultBase(recipientSk, 0, derived, 0);
        assertThat(derived).isEqualTo(recipient);
    }

    @Test
    void shouldRefuseKeysThatAreNotEd25519PointsAndWrongLengths() {
        assertThat(CryptoBox.ed25519PublicToX25519(new byte[32])).isNull(); // y = 0: a small-order point
        byte[] identity = new byte[32];
        identity[0] = 1; // y = 1: the neutral element
        assertThat(CryptoBox.ed25519PublicToX25519(identity)).isNull();
        assertThat(CryptoBox.ed25519PublicToX25519(new byte[31])).isNull();
        assertThatThrownBy(() -> CryptoBox.boxEasy(new byte[1], new byte[23], new byte[32], new byte[32]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nonce");
    }

    @Test
    void shouldRoundTripASecretbox() {
        byte[] key = CryptoBox.randomBytes(32);
        byte[] nonce = CryptoBox.randomBytes(24);
        byte[] m = new byte[1000];
        byte[] box = CryptoBox.secretboxEasy(m, nonce, key);
        assertThat(CryptoBox.secretboxOpenEasy(box, nonce, key)).isEqualTo(m);
        assertThat(CryptoBox.secretboxOpenEasy(box, nonce, CryptoBox.randomBytes(32))).isNull();
    }
}
