package dev.claudemesh.broker.core.crypto;

import com.google.crypto.tink.subtle.Ed25519Sign;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Ed25519Test {

    /** RFC 8032 §7.1, TEST 1 (empty message). */
    private static final String RFC_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    private static final String RFC_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    private static final String RFC_SIGNATURE = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555f"
            + "b8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

    /** The order of the base point, 2^252 + 27742317777372353535851937790883648493. */
    private static final BigInteger GROUP_ORDER = BigInteger.TWO.pow(252)
            .add(new BigInteger("27742317777372353535851937790883648493"));

    private static final String MESSAGE = "claudemesh-session-hello|mesh|" + "ab".repeat(32) + "|" + "cd".repeat(32)
            + "|1717459200000";

    @Test
    void shouldMatchRfc8032TestVector1() {
        byte[] seed = Hex.decode(RFC_SEED);

        assertThat(Ed25519.fromSeed(seed).publicKeyHex()).isEqualTo(RFC_PUBLIC);
        assertThat(Ed25519.sign(seed, "")).isEqualTo(RFC_SIGNATURE);
        assertThat(Ed25519.verify(RFC_PUBLIC, RFC_SIGNATURE, "")).isTrue();
        assertThat(Ed25519.verify(RFC_PUBLIC.toUpperCase(), RFC_SIGNATURE.toUpperCase(), "")).isTrue();
        assertThat(Ed25519.verify(RFC_PUBLIC, RFC_SIGNATURE, "x")).isFalse();
    }

    @Test
    void shouldVerifyATinkSignatureAndRejectItWithAnyBitFlipped() throws Exception {
        Ed25519Sign.KeyPair tink = Ed25519Sign.KeyPair.newKeyPair();
        String pub = Hex.encode(tink.getPublicKey());
        byte[] sig = new Ed25519Sign(tink.getPrivateKey()).sign(MESSAGE.getBytes(StandardCharsets.UTF_8));

        assertThat(Ed25519.verify(pub, Hex.encode(sig), MESSAGE)).isTrue();
        for (int bit = 0; bit < sig.length * 8; bit++) {
            byte[] flipped = sig.clone();
            flipped[bit / 8] ^= (byte) (1 << (bit % 8));
            assertThat(Ed25519.verify(pub, Hex.encode(flipped), MESSAGE)).as("signature bit %d", bit).isFalse();
        }
        byte[] key = tink.getPublicKey();
        for (int bit = 0; bit < key.length * 8; bit++) {
            byte[] flipped = key.clone();
            flipped[bit / 8] ^= (byte) (1 << (bit % 8));
            assertThat(Ed25519.verify(Hex.encode(flipped), Hex.encode(sig), MESSAGE)).as("key bit %d", bit).isFalse();
        }
        assertThat(Ed25519.verify(pub, Hex.encode(sig), MESSAGE.replace('|', '/'))).isFalse();
    }

    @Test
    void shouldSignAndDeriveKeysExactlyAsTheVerifyingLibraryDoes() {
        // Tink signs and BouncyCastle verifies: both must agree byte for byte (RFC 8032 signing is deterministic).
        Ed25519.KeyPair keys = Ed25519.generate();
        byte[] m = MESSAGE.getBytes(StandardCharsets.UTF_8);
        byte[] bc = new byte[64];
        org.bouncycastle.math.ec.rfc8032.Ed25519.sign(keys.seed(), 0, m, 0, m.length, bc, 0);
        byte[] bcPub = new byte[32];
        org.bouncycastle.math.ec.rfc8032.Ed25519.generatePublicKey(keys.seed(), 0, bcPub, 0);

        assertThat(Ed25519.sign(keys.seed(), MESSAGE)).isEqualTo(Hex.encode(bc));
        assertThat(keys.publicKeyHex()).isEqualTo(Hex.encode(bcPub));
    }

    @Test
    void shouldRejectANonCanonicalS() {
        // S + L verifies the same equation as S; RFC 8032 §5.1.7 requires S < L.
        byte[] sig = Hex.decode(RFC_SIGNATURE);
        byte[] s = littleEndian(littleEndian(sig, 32).add(GROUP_ORDER));
        System.arraycopy(s, 0, sig, 32, 32);

        assertThat(Ed25519.verify(RFC_PUBLIC, Hex.encode(sig), "")).isFalse();
    }

    @Test
    void shouldRejectASmallOrderPublicKey() {
        // The identity point as key, R = identity, S = 0 satisfies [S]B = R + [h]A for every message.
        String identity = "01" + "00".repeat(31);

        assertThat(Ed25519.verify(identity, identity + "00".repeat(32), MESSAGE)).isFalse();
    }

    @Test
    void shouldRejectBadLengthsAndNonHex() {
        assertThat(Ed25519.verify(RFC_PUBLIC.substring(2), RFC_SIGNATURE, "")).isFalse();
        assertThat(Ed25519.verify(RFC_PUBLIC, RFC_SIGNATURE.substring(2), "")).isFalse();
        assertThat(Ed25519.verify(RFC_PUBLIC, RFC_SIGNATURE + "00", "")).isFalse();
        assertThat(Ed25519.verify(RFC_PUBLIC.substring(1), RFC_SIGNATURE, "")).isFalse();
        assertThat(Ed25519.verify("zz" + RFC_PUBLIC.substring(2), RFC_SIGNATURE, "")).isFalse();
        assertThat(Ed25519.verify(RFC_PUBLIC, "zz" + RFC_SIGNATURE.substring(2), "")).isFalse();
        assertThatThrownBy(() -> Ed25519.sign(new byte[31], "")).isInstanceOf(IllegalArgumentException.class);
    }

    private static BigInteger littleEndian(byte[] b, int offset) {
        byte[] bigEndian = new byte[32];
        for (int i = 0; i < 32; i++) {
            bigEndian[i] = b[offset + 31 - i];
        }
        return new BigInteger(1, bigEndian);
    }

    private static byte[] littleEndian(BigInteger v) {
        byte[] bigEndian = v.toByteArray();
        byte[] out = new byte[32];
        for (int i = 0; i < 32 && i < bigEndian.length; i++) {
            out[i] = bigEndian[bigEndian.length - 1 - i];
        }
        return out;
    }
}
