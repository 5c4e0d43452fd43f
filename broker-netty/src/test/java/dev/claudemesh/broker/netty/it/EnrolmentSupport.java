package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Invites and {@code /join} over the real HTTP API of a {@link BrokerFixture}, as the Enrolment ITs use them. */
final class EnrolmentSupport {

    private EnrolmentSupport() {
    }

    /** An invite as {@code POST /admin/meshes/{id}/invites} answered it. */
    record Invite(String id, String token, String link, long expiresAt) {

        /** The payload JSON the token encodes (what the CLI decodes from the link). */
        String payloadJson() {
            return new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        }
    }

    static Invite createInvite(BrokerFixture broker, String meshId, String body) throws Exception {
        HttpResponse<String> r = broker.admin("POST", "/admin/meshes/" + meshId + "/invites", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return new Invite(BrokerFixture.jsonField(r.body(), "id"), BrokerFixture.jsonField(r.body(), "token"),
                BrokerFixture.jsonField(r.body(), "link"), longField(r.body(), "expiresAt"));
    }

    /** {@code POST /join} with the payload as a JSON object (what the claudemesh CLI sends). */
    static HttpResponse<String> join(BrokerFixture broker, String token, String payloadJson, String pubkey,
                                     String displayName) throws Exception {
        return broker.request("POST", "/join", "{\"invite_token\":\"" + token + "\",\"invite_payload\":" + payloadJson
                + ",\"peer_pubkey\":\"" + pubkey + "\",\"display_name\":\"" + displayName + "\"}", null);
    }

    static HttpResponse<String> join(BrokerFixture broker, Invite invite, Ed25519.KeyPair member) throws Exception {
        return join(broker, invite.token(), invite.payloadJson(), member.publicKeyHex(), "peer");
    }

    static long longField(String json, String name) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\":(-?\\d+)").matcher(json);
        if (!m.find()) {
            throw new AssertionError("no number field " + name + " in " + json);
        }
        return Long.parseLong(m.group(1));
    }

    /** Escapes {@code json} as a JSON string literal's content (the payload-as-string form). */
    static String quoted(String json) {
        return "\"" + json.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
