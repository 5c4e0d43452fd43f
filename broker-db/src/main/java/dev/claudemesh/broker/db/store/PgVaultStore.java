package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.vault.EntryType;
import dev.claudemesh.broker.core.vault.VaultStore;
import dev.claudemesh.broker.db.Database;
import org.jooq.DSLContext;

import javax.sql.DataSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.VAULT_ENTRY;

/**
 * {@link VaultStore} over table {@code vault_entry}. Every statement is filtered by mesh and member, so no call can
 * reach another member's entries; the per-member quota is checked in the transaction that inserts, under that
 * member's vault lock ({@link QuotaLock}). The sealed texts are bind values only: never logged (jOOQ's execute logging
 * is off, {@link Database#settings()}). Blocking JDBC; thread-safe; does not own the {@link DataSource}.
 */
public final class PgVaultStore implements VaultStore {

    private final DSLContext dsl;

    public PgVaultStore(DataSource dataSource) {
        this.dsl = Database.dsl(Objects.requireNonNull(dataSource, "dataSource"));
    }

    @Override
    public boolean set(String meshId, String memberId, String newId, Entry entry, long nowMs, int maxPerMember) {
        String key = Rows.clean(entry.key());
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            QuotaLock.take(tx, "mesh.vault_entry:" + meshId, memberId);
            String id = tx.select(VAULT_ENTRY.ID).from(VAULT_ENTRY)
                    .where(VAULT_ENTRY.MESH_ID.eq(meshId)).and(VAULT_ENTRY.MEMBER_ID.eq(memberId))
                    .and(VAULT_ENTRY.KEY.eq(key))
                    .fetchOne(VAULT_ENTRY.ID);
            if (id == null) {
                if (tx.fetchCount(VAULT_ENTRY, VAULT_ENTRY.MESH_ID.eq(meshId)
                        .and(VAULT_ENTRY.MEMBER_ID.eq(memberId))) >= maxPerMember) {
                    return false;
                }
                tx.insertInto(VAULT_ENTRY)
                        .set(VAULT_ENTRY.ID, newId)
                        .set(VAULT_ENTRY.MESH_ID, meshId)
                        .set(VAULT_ENTRY.MEMBER_ID, memberId)
                        .set(VAULT_ENTRY.KEY, key)
                        .set(VAULT_ENTRY.CIPHERTEXT, Rows.clean(entry.ciphertext()))
                        .set(VAULT_ENTRY.NONCE, Rows.clean(entry.nonce()))
                        .set(VAULT_ENTRY.SEALED_KEY, Rows.clean(entry.sealedKey()))
                        .set(VAULT_ENTRY.ENTRY_TYPE, entry.entryType().wire())
                        .set(VAULT_ENTRY.MOUNT_PATH, Rows.clean(entry.mountPath()))
                        .set(VAULT_ENTRY.DESCRIPTION, Rows.clean(entry.description()))
                        .set(VAULT_ENTRY.CREATED_AT, Rows.time(nowMs))
                        .set(VAULT_ENTRY.UPDATED_AT, Rows.time(nowMs))
                        .execute();
                return true;
            }
            tx.update(VAULT_ENTRY)
                    .set(VAULT_ENTRY.CIPHERTEXT, Rows.clean(entry.ciphertext()))
                    .set(VAULT_ENTRY.NONCE, Rows.clean(entry.nonce()))
                    .set(VAULT_ENTRY.SEALED_KEY, Rows.clean(entry.sealedKey()))
                    .set(VAULT_ENTRY.ENTRY_TYPE, entry.entryType().wire())
                    .set(VAULT_ENTRY.MOUNT_PATH, Rows.clean(entry.mountPath()))
                    .set(VAULT_ENTRY.DESCRIPTION, Rows.clean(entry.description()))
                    .set(VAULT_ENTRY.UPDATED_AT, Rows.time(nowMs))
                    .where(VAULT_ENTRY.ID.eq(id))
                    .execute();
            return true;
        });
    }

    @Override
    public List<Entry> list(String meshId, String memberId, int limit) {
        return dsl.select(VAULT_ENTRY.KEY, VAULT_ENTRY.ENTRY_TYPE, VAULT_ENTRY.MOUNT_PATH, VAULT_ENTRY.DESCRIPTION,
                        VAULT_ENTRY.UPDATED_AT)
                .from(VAULT_ENTRY)
                .where(VAULT_ENTRY.MESH_ID.eq(meshId)).and(VAULT_ENTRY.MEMBER_ID.eq(memberId))
                .orderBy(VAULT_ENTRY.KEY)
                .limit(limit)
                .fetch(r -> new Entry(r.get(VAULT_ENTRY.KEY), null, null, null, type(r.get(VAULT_ENTRY.ENTRY_TYPE)),
                        r.get(VAULT_ENTRY.MOUNT_PATH), r.get(VAULT_ENTRY.DESCRIPTION),
                        Rows.millis(r.get(VAULT_ENTRY.UPDATED_AT))));
    }

    @Override
    public List<Entry> get(String meshId, String memberId, List<String> keys) {
        List<String> cleaned = new ArrayList<>(keys.size());
        keys.forEach(k -> cleaned.add(Rows.clean(k)));
        return dsl.select(VAULT_ENTRY.KEY, VAULT_ENTRY.CIPHERTEXT, VAULT_ENTRY.NONCE, VAULT_ENTRY.SEALED_KEY,
                        VAULT_ENTRY.ENTRY_TYPE, VAULT_ENTRY.MOUNT_PATH, VAULT_ENTRY.DESCRIPTION, VAULT_ENTRY.UPDATED_AT)
                .from(VAULT_ENTRY)
                .where(VAULT_ENTRY.MESH_ID.eq(meshId)).and(VAULT_ENTRY.MEMBER_ID.eq(memberId))
                .and(VAULT_ENTRY.KEY.in(cleaned))
                .orderBy(VAULT_ENTRY.KEY)
                .fetch(r -> new Entry(r.get(VAULT_ENTRY.KEY), r.get(VAULT_ENTRY.CIPHERTEXT), r.get(VAULT_ENTRY.NONCE),
                        r.get(VAULT_ENTRY.SEALED_KEY), type(r.get(VAULT_ENTRY.ENTRY_TYPE)),
                        r.get(VAULT_ENTRY.MOUNT_PATH), r.get(VAULT_ENTRY.DESCRIPTION),
                        Rows.millis(r.get(VAULT_ENTRY.UPDATED_AT))));
    }

    @Override
    public boolean delete(String meshId, String memberId, String key) {
        return dsl.deleteFrom(VAULT_ENTRY)
                .where(VAULT_ENTRY.MESH_ID.eq(meshId)).and(VAULT_ENTRY.MEMBER_ID.eq(memberId))
                .and(VAULT_ENTRY.KEY.eq(Rows.clean(key)))
                .execute() > 0;
    }

    /** The stored type (the table's CHECK allows only these two). */
    private static EntryType type(String wire) {
        EntryType t = EntryType.of(wire);
        if (t == null) {
            throw new IllegalStateException("vault_entry.entry_type is not env or file");
        }
        return t;
    }
}
