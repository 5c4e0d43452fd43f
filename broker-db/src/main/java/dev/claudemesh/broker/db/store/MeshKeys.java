package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.crypto.Hex;
import dev.claudemesh.broker.db.Database;
import dev.claudemesh.broker.db.jooq.mesh.tables.records.MeshKeyRecord;
import org.jooq.DSLContext;
import org.jooq.exception.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESH_KEY;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESH_TABLE;

/**
 * Every mesh's owner ed25519 key pair and root key (PROTOCOL §9), in {@code mesh.mesh_key}. The owner key signs
 * the mesh's invites; its secret (the 32-byte seed) never leaves the broker and is stored encrypted with AES-256-GCM
 * under {@code BROKER_ENCRYPTION_KEY} when that is set (a random 12-byte IV per row, the mesh id as additional
 * data so that a ciphertext cannot be moved to another mesh's row), else in plaintext marked {@code plain}.
 *
 * <p>Keys are made right after a mesh is created ({@link #ensure}); a mesh that has none (created before schema
 * version 2, or when the process stopped between the two steps) gets them at its first use. Creation is
 * {@code INSERT … ON CONFLICT (mesh_id) DO NOTHING} followed by a read, so of two concurrent callers exactly one
 * row is stored and both use it. A plaintext secret read while an encryption key is configured is re-encrypted in
 * place.</p>
 *
 * <p>Blocking JDBC: never call it on an event loop. Thread-safe; holds the encryption key (never logged) and does
 * not own the {@link DataSource}.</p>
 */
public final class MeshKeys {

    private static final Logger log = LoggerFactory.getLogger(MeshKeys.class);

    /** {@code secret_format} of a seed stored as is. */
    static final String PLAIN = "plain";
    /** {@code secret_format} of a seed encrypted under {@code BROKER_ENCRYPTION_KEY}. */
    static final String AES_GCM = "aes-256-gcm";

    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64URL_DEC = Base64.getUrlDecoder();
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * A mesh's keys.
     *
     * @param meshId      the mesh
     * @param ownerPubkey 64 lowercase hex
     * @param ownerSeed   the owner key's 32-byte seed (decrypted); a copy, the caller may wipe it
     * @param rootKey     base64url (no padding) of 32 random bytes
     */
    public record Keys(String meshId, String ownerPubkey, byte[] ownerSeed, String rootKey) {
        @Override
        public String toString() {
            return "Keys[meshId=" + meshId + ", ownerPubkey=" + ownerPubkey + ", ownerSeed=***, rootKey=***]";
        }
    }

    /** The owner secret cannot be used: encrypted without a configured key, or with another key. */
    public static final class KeyUnavailableException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        KeyUnavailableException(String message) {
            super(message);
        }
    }

    private final DSLContext dsl;
    /** AES-256 key, or null (store plaintext). */
    private final SecretKeySpec encryptionKey;

    /**
     * Creates the store over {@code dataSource}.
     *
     * @param encryptionKeyHex {@code BROKER_ENCRYPTION_KEY}: 64 hex chars, or null to store secrets in plaintext
     * @throws IllegalArgumentException when {@code encryptionKeyHex} is not 64 hex chars
     */
    public MeshKeys(DataSource dataSource, String encryptionKeyHex) {
        this.dsl = Database.dsl(Objects.requireNonNull(dataSource, "dataSource"));
        if (encryptionKeyHex == null || encryptionKeyHex.isEmpty()) {
            this.encryptionKey = null;
        } else {
            if (!Hex.isHex(encryptionKeyHex, 64)) {
                throw new IllegalArgumentException("encryptionKeyHex: expected 64 hex chars (32 bytes)");
            }
            this.encryptionKey = new SecretKeySpec(Hex.decode(encryptionKeyHex), "AES");
        }
    }

    /** True when secrets are encrypted at rest. */
    public boolean encrypting() {
        return encryptionKey != null;
    }

    /**
     * The mesh's keys, created first if it has none.
     *
     * @throws NotFoundException        when the mesh does not exist
     * @throws KeyUnavailableException  when the stored secret cannot be decrypted with the configured key
     */
    public Keys ensure(String meshId) {
        Objects.requireNonNull(meshId, "meshId");
        return dsl.transactionResult(cfg -> ensure(cfg.dsl(), meshId));
    }

    /** {@link #ensure(String)} inside the caller's transaction {@code tx}. */
    Keys ensure(DSLContext tx, String meshId) {
        MeshKeyRecord row = tx.selectFrom(MESH_KEY).where(MESH_KEY.MESH_ID.eq(meshId)).fetchOne();
        if (row == null) {
            if (!tx.fetchExists(MESH_TABLE, MESH_TABLE.ID.eq(meshId))) {
                throw new NotFoundException("mesh not found: " + meshId);
            }
            insertFresh(tx, meshId);
            row = tx.selectFrom(MESH_KEY).where(MESH_KEY.MESH_ID.eq(meshId)).fetchOne();
            if (row == null) {
                throw new NotFoundException("mesh not found: " + meshId); // deleted meanwhile
            }
        }
        byte[] seed = decrypt(row);
        if (encryptionKey != null && PLAIN.equals(row.getSecretFormat())) {
            Sealed sealed = seal(meshId, seed);
            tx.update(MESH_KEY)
                    .set(MESH_KEY.OWNER_SECRET, sealed.ciphertext())
                    .set(MESH_KEY.SECRET_FORMAT, AES_GCM)
                    .set(MESH_KEY.SECRET_IV, sealed.iv())
                    .where(MESH_KEY.MESH_ID.eq(meshId)).and(MESH_KEY.SECRET_FORMAT.eq(PLAIN))
                    .execute();
            log.info("owner secret of mesh {} re-encrypted under BROKER_ENCRYPTION_KEY", meshId);
        }
        return new Keys(meshId, row.getOwnerPubkey(), seed, row.getRootKey());
    }

    /**
     * Gives every mesh that has no keys yet (created before schema version 2, or by the jar's {@code mesh create})
     * its keys, e.g. at broker startup.
     *
     * @return how many meshes got keys
     */
    public int ensureAll() {
        List<String> missing = dsl.select(MESH_TABLE.ID).from(MESH_TABLE)
                .whereNotExists(dsl.selectOne().from(MESH_KEY).where(MESH_KEY.MESH_ID.eq(MESH_TABLE.ID)))
                .fetch(MESH_TABLE.ID);
        for (String meshId : missing) {
            Arrays.fill(ensure(meshId).ownerSeed(), (byte) 0);
        }
        return missing.size();
    }

    /** The mesh's owner public key, if it has keys. Does not decrypt anything. */
    public Optional<String> ownerPubkey(String meshId) {
        Objects.requireNonNull(meshId, "meshId");
        return Optional.ofNullable(ownerPubkey(dsl, meshId));
    }

    static String ownerPubkey(DSLContext ctx, String meshId) {
        return ctx.select(MESH_KEY.OWNER_PUBKEY).from(MESH_KEY).where(MESH_KEY.MESH_ID.eq(meshId))
                .fetchOne(MESH_KEY.OWNER_PUBKEY);
    }

    /** The stored {@code secret_format} of the mesh's owner secret, if it has keys. For tests and diagnostics. */
    public Optional<String> secretFormat(String meshId) {
        return Optional.ofNullable(dsl.select(MESH_KEY.SECRET_FORMAT).from(MESH_KEY)
                .where(MESH_KEY.MESH_ID.eq(meshId)).fetchOne(MESH_KEY.SECRET_FORMAT));
    }

    private void insertFresh(DSLContext tx, String meshId) {
        Ed25519.KeyPair owner = Ed25519.generate();
        byte[] root = new byte[32];
        RANDOM.nextBytes(root);
        String secret;
        String format;
        String iv;
        if (encryptionKey != null) {
            Sealed sealed = seal(meshId, owner.seed());
            secret = sealed.ciphertext();
            iv = sealed.iv();
            format = AES_GCM;
        } else {
            secret = B64URL.encodeToString(owner.seed());
            iv = null;
            format = PLAIN;
        }
        Arrays.fill(owner.seed(), (byte) 0);
        try {
            tx.insertInto(MESH_KEY, MESH_KEY.MESH_ID, MESH_KEY.OWNER_PUBKEY, MESH_KEY.OWNER_SECRET,
                            MESH_KEY.SECRET_FORMAT, MESH_KEY.SECRET_IV, MESH_KEY.ROOT_KEY)
                    .values(meshId, owner.publicKeyHex(), secret, format, iv, B64URL.encodeToString(root))
                    .onConflict(MESH_KEY.MESH_ID).doNothing()
                    .execute();
        } catch (DataAccessException e) {
            if ("23503".equals(Rows.sqlState(e))) {
                throw new NotFoundException("mesh not found: " + meshId);
            }
            throw e;
        }
    }

    private record Sealed(String ciphertext, String iv) {
    }

    private Sealed seal(String meshId, byte[] seed) {
        byte[] iv = new byte[IV_BYTES];
        RANDOM.nextBytes(iv);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, encryptionKey, new GCMParameterSpec(TAG_BITS, iv));
            c.updateAAD(aad(meshId));
            return new Sealed(B64URL.encodeToString(c.doFinal(seed)), B64URL.encodeToString(iv));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        }
    }

    private byte[] decrypt(MeshKeyRecord row) {
        String meshId = row.getMeshId();
        if (PLAIN.equals(row.getSecretFormat())) {
            return B64URL_DEC.decode(row.getOwnerSecret());
        }
        if (!AES_GCM.equals(row.getSecretFormat())) {
            throw new KeyUnavailableException("owner secret of mesh " + meshId + " has unknown format "
                    + row.getSecretFormat());
        }
        if (encryptionKey == null) {
            throw new KeyUnavailableException("owner secret of mesh " + meshId
                    + " is encrypted; set BROKER_ENCRYPTION_KEY to the key it was encrypted with");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, encryptionKey,
                    new GCMParameterSpec(TAG_BITS, B64URL_DEC.decode(row.getSecretIv())));
            c.updateAAD(aad(meshId));
            return c.doFinal(B64URL_DEC.decode(row.getOwnerSecret()));
        } catch (AEADBadTagException e) {
            throw new KeyUnavailableException("owner secret of mesh " + meshId
                    + " does not decrypt with BROKER_ENCRYPTION_KEY (was it encrypted with another key?)");
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new KeyUnavailableException("owner secret of mesh " + meshId + " is unreadable: "
                    + e.getClass().getSimpleName());
        }
    }

    private static byte[] aad(String meshId) {
        return ("claudemesh-owner-secret|" + meshId).getBytes(StandardCharsets.UTF_8);
    }
}
