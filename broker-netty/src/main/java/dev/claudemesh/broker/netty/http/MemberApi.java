package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.Clock;
import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.Broker;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.db.store.MemberProfiles;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The member profile API (PROTOCOL-MESH §3.6) that the CLI's {@code claudemesh profile} calls:
 * <ul>
 *   <li>{@code GET /mesh/{meshId}/members} → 200 {@code {"ok":true,"members":[{id, displayName, roleTag, groups,
 *       messageMode, permission, dashboardUserId, joinedAt, lastSeenAt?, online, sessionCount}]}}</li>
 *   <li>{@code PATCH /mesh/{meshId}/member/{memberId}} {@code {displayName?, roleTag?, groups?, messageMode?,
 *       permission?}} → 200 {@code {"ok":true,"member":{…},"changes":{…}}} and the system push
 *       {@code profile_updated} (eventData = the changes) to every live lease of the edited member</li>
 *   <li>{@code PATCH /mesh/{meshId}/settings} {@code {selfEditable}} (admins) → 200 {@code {"ok":true}}</li>
 * </ul>
 * [fix]: every route needs the signed credential of {@link MemberCredential} (401 otherwise) instead of trusting a
 * bare {@code X-Member-Id} or nothing; bad JSON and ill-typed fields are 400 instead of a 500 or a stored bad value;
 * an edit is scoped to the mesh of the path. Refusals keep the original's 400 {@code {"ok":false,"error"}} texts.
 * {@code dashboardUserId} is always null (this broker has no dashboard); {@code lastSeenAt} is when a control-plane
 * lease of the member last closed ({@code peer_state}; the original's column was never written, so it was absent);
 * {@code online}/{@code sessionCount} count the member's live and grace leases.
 *
 * <p>Threads: handlers parse on the event loop; verification and the store run on {@link BlockingCalls}; the lease
 * counts come from the mesh loop. One log line per refused request. Thread-safe.</p>
 */
final class MemberApi {

    private static final Logger log = LoggerFactory.getLogger(MemberApi.class);
    private static final String WHAT = "member api";
    private static final Set<String> MESSAGE_MODES = Set.of("push", "inbox", "off");
    private static final Set<String> PERMISSIONS = Set.of("admin", "member");

    private final Broker broker;
    private final MemberProfiles profiles;
    private final MemberCredential credentials;
    private final EnrolmentAudit audit;
    private final BlockingCalls calls;
    private final Clock clock;

    MemberApi(Broker broker, MemberProfiles profiles, MemberCredential credentials, EnrolmentAudit audit,
              BlockingCalls calls, Clock clock) {
        this.broker = Objects.requireNonNull(broker, "broker");
        this.profiles = Objects.requireNonNull(profiles, "profiles");
        this.credentials = Objects.requireNonNull(credentials, "credentials");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.calls = Objects.requireNonNull(calls, "calls");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    void members(HttpExchange x) {
        String meshId = x.param("meshId");
        MemberCredential.Claim claim = claim(x);
        if (claim == null) {
            return;
        }
        calls.runAsync(x, ErrorBody.OK_FALSE, WHAT, () -> {
            Answer refused = verify(x, meshId, claim);
            if (refused != null) {
                return CompletableFuture.completedFuture(refused);
            }
            List<MemberProfiles.MemberView> members = profiles.list(meshId);
            return broker.leaseCounts(meshId).thenApply(counts -> membersAnswer(members, counts));
        });
    }

    void updateMember(HttpExchange x) {
        String meshId = x.param("meshId");
        String targetId = x.param("memberId");
        MemberCredential.Claim claim = claim(x);
        if (claim == null) {
            return;
        }
        Map<String, Object> body = body(x);
        if (body == null) {
            return;
        }
        MemberProfiles.Update update;
        try {
            update = update(body);
        } catch (IllegalArgumentException e) {
            refuse(x, HttpResponseStatus.BAD_REQUEST, e.getMessage());
            return;
        }
        calls.run(x, ErrorBody.OK_FALSE, WHAT, () -> {
            Answer refused = verify(x, meshId, claim);
            if (refused != null) {
                return refused;
            }
            MemberProfiles.Outcome o = profiles.update(meshId, claim.memberId(), targetId, update, clock.millis());
            if (o instanceof MemberProfiles.Refused r) {
                return refusal(x, HttpResponseStatus.BAD_REQUEST, r.error());
            }
            MemberProfiles.MemberView m = ((MemberProfiles.Updated) o).member();
            audit.drain();
            broker.memberProfileUpdated(meshId, m.id(), m.pubkey(), out -> changes(out, update));
            log.info("member api: member {} of mesh {} updated by {}: {}", m.id(), meshId, claim.memberId(),
                    update.profileFields());
            JsonOut out = new JsonOut(256).beginObject().field("ok", true).name("member");
            member(out, m, false);
            out.name("changes");
            changes(out, update);
            return Answer.json(HttpResponseStatus.OK, out.endObject().toBytes());
        });
    }

    void updateSettings(HttpExchange x) {
        String meshId = x.param("meshId");
        MemberCredential.Claim claim = claim(x);
        if (claim == null) {
            return;
        }
        Map<String, Object> body = body(x);
        if (body == null) {
            return;
        }
        Map<String, Boolean> policy = null;
        Object raw = body.get("selfEditable");
        if (raw != null && !Boolean.FALSE.equals(raw)) {
            policy = policy(raw);
            if (policy == null) {
                refuse(x, HttpResponseStatus.BAD_REQUEST, "selfEditable must be an object of booleans with keys "
                        + String.join(", ", MemberProfiles.SELF_EDITABLE_FIELDS));
                return;
            }
        }
        Map<String, Boolean> selfEditable = policy;
        calls.run(x, ErrorBody.OK_FALSE, WHAT, () -> {
            Answer refused = verify(x, meshId, claim);
            if (refused != null) {
                return refused;
            }
            MemberProfiles.Outcome o = profiles.updateSettings(meshId, claim.memberId(), selfEditable, clock.millis());
            if (o instanceof MemberProfiles.Refused r) {
                return refusal(x, HttpResponseStatus.BAD_REQUEST, r.error());
            }
            audit.drain();
            log.info("member api: settings of mesh {} updated by {}", meshId, claim.memberId());
            return Answer.json(HttpResponseStatus.OK, new JsonOut(16).beginObject().field("ok", true).endObject()
                    .toBytes());
        });
    }

    // ------------------------------------------------------------------------------------------ credential

    /** The request's credential claim, or null after answering 401. Event loop. */
    private MemberCredential.Claim claim(HttpExchange x) {
        MemberCredential.Parsed p = credentials.parse(x);
        if (p.claim() == null) {
            refuse(x, HttpResponseStatus.UNAUTHORIZED, p.rejection().message());
        }
        return p.claim();
    }

    /** Null when {@code claim} is a fresh, valid signature of a non-revoked member of the mesh; else the 401. */
    private Answer verify(HttpExchange x, String meshId, MemberCredential.Claim claim) {
        MemberProfiles.Caller caller = profiles.caller(meshId, claim.memberId());
        MemberCredential.Rejection why = null;
        if (caller == null) {
            why = MemberCredential.Rejection.UNAUTHORIZED;
        } else if (!MemberCredential.verifies(claim, caller.pubkey())) {
            why = MemberCredential.Rejection.BAD_SIGNATURE;
        } else if (!credentials.firstUse(claim)) {
            why = MemberCredential.Rejection.REPLAYED;
        }
        return why == null ? null : refusal(x, HttpResponseStatus.UNAUTHORIZED, why.message());
    }

    // ------------------------------------------------------------------------------------------ input

    private static Map<String, Object> body(HttpExchange x) {
        try {
            return x.bodyJson();
        } catch (JsonBody.BadJsonException e) {
            refuse(x, HttpResponseStatus.BAD_REQUEST, "bad json");
            return null;
        }
    }

    /** The update a PATCH body asks for; unknown keys are ignored, as the original does. */
    static MemberProfiles.Update update(Map<String, Object> body) {
        String displayName = null;
        if (body.containsKey("displayName")) {
            if (!(body.get("displayName") instanceof String s) || s.isBlank()) {
                throw new IllegalArgumentException("displayName must be a non-empty string");
            }
            displayName = s;
        }
        boolean hasRoleTag = body.containsKey("roleTag");
        Object roleTag = body.get("roleTag");
        if (roleTag != null && !(roleTag instanceof String)) {
            throw new IllegalArgumentException("roleTag must be a string or null");
        }
        List<GroupRole> groups = body.containsKey("groups") ? groups(body.get("groups")) : null;
        String messageMode = choice(body, "messageMode", MESSAGE_MODES);
        String permission = choice(body, "permission", PERMISSIONS);
        return new MemberProfiles.Update(displayName, hasRoleTag, (String) roleTag, groups, messageMode, permission);
    }

    private static String choice(Map<String, Object> body, String key, Set<String> allowed) {
        if (!body.containsKey(key)) {
            return null;
        }
        if (body.get(key) instanceof String s && allowed.contains(s)) {
            return s;
        }
        throw new IllegalArgumentException(key + " must be one of " + String.join(", ", allowed.stream().sorted()
                .toList()));
    }

    private static List<GroupRole> groups(Object raw) {
        String bad = "groups must be an array of {name, role?} with non-empty string names";
        if (!(raw instanceof List<?> list)) {
            throw new IllegalArgumentException(bad);
        }
        List<GroupRole> out = new ArrayList<>(list.size());
        for (Object item : list) {
            if (!(item instanceof Map<?, ?> g) || !(g.get("name") instanceof String name) || name.isEmpty()
                    || (g.get("role") != null && !(g.get("role") instanceof String))) {
                throw new IllegalArgumentException(bad);
            }
            out.add(new GroupRole(name, (String) g.get("role")));
        }
        return out;
    }

    private static Map<String, Boolean> policy(Object raw) {
        if (!(raw instanceof Map<?, ?> m)) {
            return null;
        }
        Map<String, Boolean> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!MemberProfiles.SELF_EDITABLE_FIELDS.contains(e.getKey()) || !(e.getValue() instanceof Boolean b)) {
                return null;
            }
            out.put((String) e.getKey(), b);
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------ output

    private static Answer membersAnswer(List<MemberProfiles.MemberView> members, Map<String, Integer> counts) {
        JsonOut o = new JsonOut(256 + 256 * members.size()).beginObject().field("ok", true).name("members")
                .beginArray();
        for (MemberProfiles.MemberView m : members) {
            member(o, m, true);
            int sessions = counts.getOrDefault(m.id(), 0);
            o.field("online", sessions > 0).field("sessionCount", sessions).endObject();
        }
        return Answer.json(HttpResponseStatus.OK, o.endArray().endObject().toBytes());
    }

    /**
     * A member object; {@code inList} leaves it open (the list adds {@code online}, {@code sessionCount}) and omits a
     * missing {@code lastSeenAt}, as the original's list does; the PATCH answer closes it with {@code null}.
     */
    private static void member(JsonOut o, MemberProfiles.MemberView m, boolean inList) {
        o.beginObject().field("id", m.id()).field("displayName", m.displayName()).field("roleTag", m.roleTag())
                .name("groups");
        Frames.groups(o, m.groups());
        o.field("messageMode", m.messageMode()).field("permission", m.permission()).name("dashboardUserId")
                .nullValue().field("joinedAt", AuditChain.isoMillis(m.joinedAtMs()));
        if (m.lastSeenAtMs() != null) {
            o.field("lastSeenAt", AuditChain.isoMillis(m.lastSeenAtMs()));
        } else if (!inList) {
            o.name("lastSeenAt").nullValue();
        }
        if (!inList) {
            o.endObject();
        }
    }

    /** {@code {displayName?, roleTag?, groups?, messageMode?}}: what changed, as asked (permission is not listed). */
    private static void changes(JsonOut o, MemberProfiles.Update u) {
        o.beginObject();
        if (u.displayName() != null) {
            o.field("displayName", u.displayName());
        }
        if (u.hasRoleTag()) {
            o.field("roleTag", u.roleTag());
        }
        if (u.groups() != null) {
            o.name("groups");
            Frames.groups(o, u.groups());
        }
        if (u.messageMode() != null) {
            o.field("messageMode", u.messageMode());
        }
        o.endObject();
    }

    private static Answer refusal(HttpExchange x, HttpResponseStatus status, String error) {
        log.info("member api: {} {} refused: {} {}", x.method(), x.path(), status.code(), error);
        return ErrorBody.OK_FALSE.answer(status, error);
    }

    private static void refuse(HttpExchange x, HttpResponseStatus status, String error) {
        x.send(refusal(x, status, error));
    }
}
