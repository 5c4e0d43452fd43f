package dev.claudemesh.broker.core.topic;

import dev.claudemesh.broker.core.crypto.CryptoBox;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.crypto.Hex;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/** The creator's sealed copy of a new topic's key (PROTOCOL-MESH §8.7), opened as a libsodium client opens it. */
class TopicKeysTest {

    @Test
    void shouldSealA32ByteKeyThatTheCreatorOpensWithItsMemberKey() {
        Ed25519.KeyPair creator = Ed25519.generate();

        TopicKeys.Bundle b = TopicKeys.create(creator.publicKeyHex());

        byte[] blob = Base64.getDecoder().decode(b.creatorKey().encryptedKey());
        byte[] nonce = Base64.getDecoder().decode(b.creatorKey().nonce());
        assertThat(nonce).hasSize(24);
        assertThat(blob).hasSize(32 + 16 + 32);
        byte[] senderPk = Arrays.copyOf(blob, 32);
        assertThat(Hex.encode(senderPk)).isEqualTo(b.encryptedKeyPubkeyHex());
        byte[] topicKey = CryptoBox.boxOpenEasy(Arrays.copyOfRange(blob, 32, blob.length), nonce, senderPk,
                CryptoBox.ed25519SeedToX25519(creator.seed()));
        assertThat(topicKey).hasSize(32);
        // another topic gets another key and another ephemeral sender key
        TopicKeys.Bundle other = TopicKeys.create(creator.publicKeyHex());
        assertThat(other.encryptedKeyPubkeyHex()).isNotEqualTo(b.encryptedKeyPubkeyHex());
    }

    @Test
    void shouldStoreNoCopyForAKeyThatIsNotAnEd25519Point() {
        TopicKeys.Bundle b = TopicKeys.create("00".repeat(32));
        assertThat(b.creatorKey()).isNull();
        assertThat(b.encryptedKeyPubkeyHex()).hasSize(64);
        assertThat(TopicKeys.create("not hex").creatorKey()).isNull();
    }
}
