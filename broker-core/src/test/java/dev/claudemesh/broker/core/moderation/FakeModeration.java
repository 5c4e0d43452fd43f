package dev.claudemesh.broker.core.moderation;

import dev.claudemesh.broker.core.model.MemberRole;
import dev.claudemesh.broker.core.port.MemberRoles;
import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.core.testing.ServiceHarness;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An in-memory member table for the moderation service's tests: decides with {@link BanRules} like the database
 * store, and applies a ban as the operator's revoke path does on a running broker ({@code Broker.revoked}).
 */
final class FakeModeration implements ModerationStore, MemberRoles {

    static final class Row {
        final String id;
        final String name;
        final String pubkey;
        MemberRole role;
        Long revokedAtMs;
        final Identities.MemberKeys keys;

        Row(Identities.MemberKeys keys, String name, MemberRole role) {
            this.id = keys.memberId();
            this.name = name;
            this.pubkey = keys.pubkey();
            this.role = role;
            this.keys = keys;
        }
    }

    /** The harness whose broker this store tells (set once the harness, which needs the service, exists). */
    ServiceHarness h;
    final Map<String, Row> rows = new LinkedHashMap<>();
    /** When set, every call throws it (a database outage). */
    RuntimeException failure;
    int roleReads;

    /** A member of the harness's mesh, enrolled now with {@code role}. */
    Identities.MemberKeys enrol(String name, MemberRole role) {
        Identities.MemberKeys m = h.member(name);
        rows.put(m.memberId(), new Row(m, name, role));
        return m;
    }

    private void check() {
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public MemberRole roleOf(String meshId, String memberId) {
        check();
        roleReads++;
        Row r = rows.get(memberId);
        return r == null || r.revokedAtMs != null ? null : r.role;
    }

    @Override
    public synchronized BanOutcome ban(String meshId, String callerMemberId, String target) {
        check();
        String prefix = Targets.keyPrefix(target);
        List<BanRules.Member> matches = new ArrayList<>();
        String owner = null;
        int admins = 0;
        for (Row r : rows.values()) {
            if (r.revokedAtMs != null) {
                continue;
            }
            if (r.role == MemberRole.ADMIN) {
                admins++;
                owner = owner == null ? r.id : owner;
            }
            if (Targets.matches(target, prefix, r.name, r.pubkey) && matches.size() < 2) {
                matches.add(new BanRules.Member(r.id, r.name, r.pubkey, r.role));
            }
        }
        BanOutcome o = BanRules.ban(callerMemberId, roleOf(meshId, callerMemberId), target, matches, owner, admins);
        if (o instanceof BanOutcome.Done d) {
            Row r = rows.get(d.memberId());
            r.revokedAtMs = h.clock.millis();
            h.markRevoked(r.keys, r.name, true);
            h.broker.revoked(meshId, r.id, r.pubkey);
        }
        return o;
    }

    @Override
    public synchronized BanOutcome unban(String meshId, String callerMemberId, String target) {
        check();
        List<BanRules.Member> matches = new ArrayList<>();
        for (Row r : rows.values()) {
            if (r.revokedAtMs != null && (r.name.equals(target) || r.pubkey.equals(target.toLowerCase(Locale.ROOT)))) {
                matches.add(new BanRules.Member(r.id, r.name, r.pubkey, r.role));
            }
        }
        BanOutcome o = BanRules.unban(roleOf(meshId, callerMemberId), target, matches);
        if (o instanceof BanOutcome.Done d) {
            Row r = rows.get(d.memberId());
            r.revokedAtMs = null;
            h.markRevoked(r.keys, r.name, false);
        }
        return o;
    }

    @Override
    public List<Ban> bans(String meshId) {
        check();
        return rows.values().stream().filter(r -> r.revokedAtMs != null)
                .sorted(Comparator.comparingLong(r -> r.revokedAtMs))
                .map(r -> new Ban(r.name, r.pubkey, r.revokedAtMs)).toList();
    }
}
