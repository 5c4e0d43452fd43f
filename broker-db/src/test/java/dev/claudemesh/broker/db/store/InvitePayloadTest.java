package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.crypto.Ed25519;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class InvitePayloadTest {

    private static final Ed25519.KeyPair OWNER = Ed25519.fromSeed(new byte[32]);

    private static InvitePayload signed() {
        return InvitePayload.sign("m".repeat(32), "conf", "ws://127.0.0.1:7900/ws", 1_900_000_000L,
                "cm9vdA", "member", OWNER.publicKeyHex(), OWNER.seed());
    }

    @Test
    void shouldSignTheCanonicalStringOfPayloadV1() {
        InvitePayload p = signed();

        assertThat(p.canonical()).isEqualTo("1|" + "m".repeat(32) + "|conf|ws://127.0.0.1:7900/ws|1900000000|cm9vdA|member|"
                + OWNER.publicKeyHex());
        assertThat(p.signature()).matches("[0-9a-f]{128}");
        assertThat(Ed25519.verify(OWNER.publicKeyHex(), p.signature(), p.canonical())).isTrue();
        assertThat(p.signatureValid()).isTrue();
    }

    @Test
    void shouldEncodeTheTokenAsBase64UrlOfTheJsonInFieldOrder() {
        InvitePayload p = signed();

        String json = new String(Base64.getUrlDecoder().decode(p.token()), StandardCharsets.UTF_8);

        assertThat(p.token()).doesNotContain("=", "+", "/");
        assertThat(json).isEqualTo("{\"v\":1,\"mesh_id\":\"" + "m".repeat(32) + "\",\"mesh_slug\":\"conf\","
                + "\"broker_url\":\"ws://127.0.0.1:7900/ws\",\"expires_at\":1900000000,\"mesh_root_key\":\"cm9vdA\","
                + "\"role\":\"member\",\"owner_pubkey\":\"" + OWNER.publicKeyHex() + "\",\"signature\":\""
                + p.signature() + "\"}");
        assertThat(p.link()).isEqualTo("ic://join/" + p.token());
    }

    @Test
    void shouldRejectATamperedPayload() {
        InvitePayload p = signed();
        InvitePayload admin = new InvitePayload(p.v(), p.meshId(), p.meshSlug(), p.brokerUrl(), p.expiresAt(),
                p.meshRootKey(), "admin", p.ownerPubkey(), p.signature());
        InvitePayload badHex = new InvitePayload(p.v(), p.meshId(), p.meshSlug(), p.brokerUrl(), p.expiresAt(),
                p.meshRootKey(), p.role(), p.ownerPubkey(), "zz" + p.signature().substring(2));

        assertThat(admin.signatureValid()).isFalse();
        assertThat(badHex.signatureValid()).isFalse();
    }

    @Test
    void shouldReadAPayloadFromParsedJsonAndRefuseMalformedOnes() {
        InvitePayload p = signed();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("v", 1.0); // JSON.parse gives numbers; 1.0 prints as 1 in JavaScript
        m.put("mesh_id", p.meshId());
        m.put("mesh_slug", p.meshSlug());
        m.put("broker_url", p.brokerUrl());
        m.put("expires_at", p.expiresAt());
        m.put("mesh_root_key", p.meshRootKey());
        m.put("role", p.role());
        m.put("owner_pubkey", p.ownerPubkey());
        m.put("signature", p.signature());

        assertThat(InvitePayload.fromMap(m)).isEqualTo(p);
        assertThat(InvitePayload.fromMap(m).signatureValid()).isTrue();

        m.put("expires_at", "1900000000");
        assertThat(InvitePayload.fromMap(m)).isNull();
        m.put("expires_at", 1.5);
        assertThat(InvitePayload.fromMap(m)).isNull();
        m.put("expires_at", p.expiresAt());
        m.remove("signature");
        assertThat(InvitePayload.fromMap(m)).isNull();
        assertThat(InvitePayload.fromMap(null)).isNull();
    }
}
