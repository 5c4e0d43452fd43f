package dev.claudemesh.broker.core.mesh;

import java.util.Objects;

/**
 * A send the broker makes on a member's behalf (the scheduler, PROTOCOL-MESH §7.3 with the §7.10 [fix]): it goes
 * through the core {@code send} path — the member's rate limit, the size check, validity, grants, queueing, the audit
 * event {@code message_sent} and the fan-out — as if the member had sent it, without a socket. The sender is the
 * lease {@code presenceId} when it is still attached (live or in grace) and belongs to the member (its session key
 * and lease name), else the member itself (its member key and {@code memberName}); a send never goes out as another
 * member. No lease counts as "the sender's own socket", so a DM to one of the member's own keys reaches the member's
 * leases. Immutable.
 *
 * @param memberId     the member the send is made for
 * @param memberPubkey its member key
 * @param memberName   its member name ({@code member.display_name}), used when no lease of it is attached
 * @param presenceId   the lease preferred as the sender when still attached, or null
 * @param targetSpec   the core target ({@code 64-hex key}, {@code *}, {@code @all}, {@code @group}) or
 *                     {@code #<topicId>} (the topic service stores it under {@code messageId})
 * @param ciphertext   the push's {@code ciphertext}: base64 text as US-ASCII bytes (the nonce is empty)
 * @param priority     the send's priority
 * @param subtype      the push's {@code subtype} (e.g. {@code reminder}), or null for none
 * @param toOwnMember  true when {@code targetSpec} is the member's own member key: the DM is then queued for it even
 *                     when none of its leases is connected, for the next one to drain
 * @param messageId    the message id to use (the caller may record it first, to recognise the message later)
 */
public record OnBehalfSend(String memberId, String memberPubkey, String memberName, String presenceId,
                           String targetSpec, byte[] ciphertext, Priority priority, String subtype,
                           boolean toOwnMember, String messageId) {

    public OnBehalfSend {
        Objects.requireNonNull(memberId, "memberId");
        Objects.requireNonNull(memberPubkey, "memberPubkey");
        Objects.requireNonNull(memberName, "memberName");
        Objects.requireNonNull(targetSpec, "targetSpec");
        Objects.requireNonNull(ciphertext, "ciphertext");
        Objects.requireNonNull(priority, "priority");
        Objects.requireNonNull(messageId, "messageId");
    }
}
