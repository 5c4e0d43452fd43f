package dev.claudemesh.broker.core.moderation;

import java.util.Objects;

/** What a {@code ban} or {@code unban} did ({@link ModerationStore}). Immutable. */
public sealed interface BanOutcome {

    /**
     * Done and committed: the member {@code memberId} is banned (or, for an unban, no longer).
     *
     * @param name   the member's display name ({@code ban_ack.banned}, {@code unban_ack.unbanned})
     * @param pubkey its member key
     */
    record Done(String memberId, String name, String pubkey) implements BanOutcome {
        public Done {
            Objects.requireNonNull(memberId, "memberId");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(pubkey, "pubkey");
        }
    }

    /**
     * Refused; nothing changed.
     *
     * @param code    the error code of the reply ({@code forbidden}, {@code invalid}, {@code not_found},
     *                {@code ambiguous_target})
     * @param message the error message of the reply
     */
    record Refused(String code, String message) implements BanOutcome {
        public Refused {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(message, "message");
        }
    }
}
