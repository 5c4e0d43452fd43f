package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.model.GroupRole;
import org.jooq.JSONB;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an invite gives the members it enrols (PROTOCOL §9 {@code preset}); every part optional. Immutable.
 *
 * @param displayName the member's display name, instead of the one the joining client sends; null: the client's
 * @param roleTag     the member's role tag; null: none
 * @param groups      the member's default groups; never null (empty: none)
 * @param messageMode {@code push}, {@code inbox} or {@code off}; null: {@code push}
 */
public record InvitePreset(String displayName, String roleTag, List<GroupRole> groups, String messageMode) {

    /** No preset: the client's display name, no role tag, no groups, push. */
    public static final InvitePreset NONE = new InvitePreset(null, null, List.of(), null);

    public InvitePreset {
        groups = groups == null ? List.of() : List.copyOf(groups);
    }

    /** True when nothing is preset. */
    public boolean isEmpty() {
        return displayName == null && roleTag == null && groups.isEmpty() && messageMode == null;
    }

    /** {@code {"displayName","roleTag","groups":[{"name","role"?}],"messageMode"}} with the unset parts left out. */
    JSONB toJsonb() {
        Map<String, Object> m = new LinkedHashMap<>();
        if (displayName != null) {
            m.put("displayName", displayName);
        }
        if (roleTag != null) {
            m.put("roleTag", roleTag);
        }
        if (!groups.isEmpty()) {
            List<Object> gs = new ArrayList<>(groups.size());
            for (GroupRole g : groups) {
                Map<String, Object> gm = new LinkedHashMap<>();
                gm.put("name", g.name());
                if (g.role() != null) {
                    gm.put("role", g.role());
                }
                gs.add(gm);
            }
            m.put("groups", gs);
        }
        if (messageMode != null) {
            m.put("messageMode", messageMode);
        }
        return JSONB.valueOf(AuditChain.canonicalJson(m));
    }

    /** Reads what {@link #toJsonb()} stored; null or unreadable parts are left unset. */
    static InvitePreset fromJsonb(JSONB json) {
        if (json == null || json.data() == null) {
            return NONE;
        }
        Map<String, Object> m = AuditOutbox.parseObject(json.data());
        List<GroupRole> groups = new ArrayList<>();
        if (m.get("groups") instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof Map<?, ?> g && g.get("name") instanceof String name) {
                    groups.add(new GroupRole(name, g.get("role") instanceof String r ? r : null));
                }
            }
        }
        return new InvitePreset(m.get("displayName") instanceof String d ? d : null,
                m.get("roleTag") instanceof String t ? t : null, groups,
                m.get("messageMode") instanceof String mm ? mm : null);
    }
}
