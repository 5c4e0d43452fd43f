package dev.claudemesh.broker.core.testing;

import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.port.MemberDirectory;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/** An in-memory member table; lookups complete at once. */
public final class FakeDirectory implements MemberDirectory {

    private final Map<String, Member> byKey = new ConcurrentHashMap<>();

    public void put(Member m) {
        byKey.put(m.meshId() + "/" + m.pubkey(), m);
    }

    @Override
    public CompletableFuture<Optional<Member>> findByPubkey(String meshId, String pubkey) {
        return CompletableFuture.completedFuture(Optional.ofNullable(byKey.get(meshId + "/" + pubkey)));
    }

    @Override
    public void invalidate(String meshId, String pubkey) {
    }
}
