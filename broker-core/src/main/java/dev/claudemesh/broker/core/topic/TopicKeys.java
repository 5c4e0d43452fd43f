package dev.claudemesh.broker.core.topic;

import dev.claudemesh.broker.core.crypto.CryptoBox;
import dev.claudemesh.broker.core.crypto.Hex;

import java.util.Arrays;
import java.util.Base64;

/**
 * A new topic's key material as the broker makes it (PROTOCOL-MESH §8.7): a random 32-byte topic key and an ephemeral
 * X25519 key pair; the creator's copy is {@code crypto_box_easy} of the topic key from the ephemeral secret to the
 * creator's member key converted to X25519, stored as {@code encrypted_key} = base64(ephemeral public key || box) and
 * {@code nonce} = base64(24-byte nonce). The topic key and the ephemeral secret exist only inside {@link #create} and
 * are zeroed before it returns; the broker never stores or logs them. Stateless.
 */
public final class TopicKeys {

    /** What a new topic gets: the ephemeral public key (hex) and the creator's sealed copy (null when none). */
    public record Bundle(String encryptedKeyPubkeyHex, TopicStore.SealedKey creatorKey) {
    }

    private TopicKeys() {
    }

    /**
     * Makes a topic key and seals it for {@code creatorMemberPubkeyHex}. The copy is null when that key cannot be
     * converted to X25519 (not a valid ed25519 point), as in the original.
     */
    public static Bundle create(String creatorMemberPubkeyHex) {
        byte[] topicKey = CryptoBox.randomBytes(CryptoBox.KEY_BYTES);
        CryptoBox.KeyPair sender = CryptoBox.keyPair();
        try {
            byte[] recipient = creatorMemberPubkeyHex == null || !Hex.isHex(creatorMemberPubkeyHex, 64) ? null
                    : CryptoBox.ed25519PublicToX25519(Hex.decode(creatorMemberPubkeyHex));
            TopicStore.SealedKey copy = null;
            if (recipient != null) {
                byte[] nonce = CryptoBox.randomBytes(CryptoBox.NONCE_BYTES);
                byte[] box = CryptoBox.boxEasy(topicKey, nonce, recipient, sender.secretKey());
                byte[] blob = new byte[CryptoBox.KEY_BYTES + box.length];
                System.arraycopy(sender.publicKey(), 0, blob, 0, CryptoBox.KEY_BYTES);
                System.arraycopy(box, 0, blob, CryptoBox.KEY_BYTES, box.length);
                Base64.Encoder b64 = Base64.getEncoder();
                copy = new TopicStore.SealedKey(b64.encodeToString(blob), b64.encodeToString(nonce));
            }
            return new Bundle(Hex.encode(sender.publicKey()), copy);
        } finally {
            Arrays.fill(topicKey, (byte) 0);
            Arrays.fill(sender.secretKey(), (byte) 0);
        }
    }
}
