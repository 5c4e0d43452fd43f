package dev.claudemesh.broker.core.envelope;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import dev.claudemesh.broker.core.model.GroupRole;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Decodes one client frame (UTF-8 JSON bytes) into an {@link Inbound} with jackson-core's streaming parser.
 * Only the fields the broker routes on are read; every other value is skipped without being materialised. A frame
 * of a type the envelope does not model keeps a copy of its bytes, parsed into a tree only when a mesh service asks
 * ({@link Inbound#body()}), so core frames pay nothing for it.
 * Invalid UTF-8, bad JSON, trailing content, nesting deeper than {@value #MAX_DEPTH} and oversized numbers
 * yield {@link Inbound.Type#MALFORMED}, never an exception. Flat frames (the frames of every DM) are read without
 * Jackson by {@link FlatFrameScanner}, which gives up, rather than decide differently, on anything else.
 * Stateless and thread-safe; {@link EnvelopeReader} decodes a socket's frames into one reused {@link Inbound}.
 */
public final class EnvelopeDecoder {

    /** Maximum JSON nesting depth accepted in a frame. */
    public static final int MAX_DEPTH = 32;
    private static final int MAX_GROUPS = 64;

    /** The parser factory with the frame limits; shared with {@link JsonTree}. */
    static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH)
                    .maxNumberLength(64)
                    .build())
            .build();

    private EnvelopeDecoder() {
    }

    /**
     * Decodes {@code len} bytes of {@code data} from {@code off} into a new {@link Inbound}, which owns everything it
     * holds: it may be kept after {@code data} is reused (a frame buffered during a hello, one that hops to another
     * loop), so nonce and ciphertext are copied out of the frame (a socket's reused Inbound,
     * {@link EnvelopeReader}, keeps them as ranges of it instead).
     */
    public static Inbound decode(byte[] data, int off, int len) {
        Inbound in = decode(data, off, len, new Inbound(), null);
        in.detachFrom(data);
        return in;
    }

    /**
     * Decodes into {@code in}, which is cleared first and returned (a malformed frame included). Flat frames (every
     * {@code send} and {@code client_ack} a client writes) take {@link FlatFrameScanner}; the rest, and anything that
     * path gives up on, take Jackson's streaming parser.
     *
     * @param reader the socket's reader (its previous {@code targetSpec} is reused when equal), or null
     */
    static Inbound decode(byte[] data, int off, int len, Inbound in, EnvelopeReader reader) {
        in.clear();
        if (FlatFrameScanner.scan(data, off, len, in, reader)) {
            return finish(in, data, off, len);
        }
        in.clear();
        return withJackson(data, off, len, in);
    }

    /** The general path: Jackson's streaming parser (package-private: the fast path's tests compare with it). */
    static Inbound withJackson(byte[] data, int off, int len, Inbound in) {
        try (JsonParser p = FACTORY.createParser(data, off, len)) {
            if (!isValidUtf8(data, off, len)) {
                return malformed(in, "invalid UTF-8");
            }
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return malformed(in, "frame must be a JSON object");
            }
            readObject(p, in);
            if (p.nextToken() != null) {
                return malformed(in, "trailing data after JSON object");
            }
            return finish(in, data, off, len);
        } catch (StreamConstraintsException e) {
            return malformed(in, "JSON too deeply nested or number too long");
        } catch (IOException | RuntimeException e) {
            return malformed(in, "invalid JSON");
        }
    }

    static Inbound finish(Inbound in, byte[] data, int off, int len) {
        if (in.type == null) {
            in.type = Inbound.Type.UNKNOWN;
        }
        if ((in.type == Inbound.Type.UNKNOWN && in.rawType != null)
                || (in.type == Inbound.Type.SEND && in.targetSpec != null && in.targetSpec.startsWith("#"))) {
            // a type the envelope does not model (a mesh service's, or none), or a send to a topic (whose
            // bodyVersion, replyToId and mentions the topic service reads): keep the frame for Inbound.body()
            in.frame = Arrays.copyOfRange(data, off, off + len);
        }
        return in;
    }

    private static Inbound malformed(Inbound in, String why) {
        in.clear();
        in.type = Inbound.Type.MALFORMED;
        in.error = why;
        return in;
    }

    public static Inbound decode(byte[] data) {
        return decode(data, 0, data.length);
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * Strict UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF). jackson-core checks
     * only the continuation bytes of the strings it decodes, so it accepts overlong and surrogate encodings; Netty's
     * validator is off for speed (docs/ARCHITECTURE.md), so this is the one check. ASCII, which base64 payloads are,
     * is skipped eight bytes at a time.
     */
    static boolean isValidUtf8(byte[] b, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end) {
            while (i <= end - 8 && (((long) LONGS.get(b, i)) & 0x8080808080808080L) == 0) {
                i += 8;
            }
            while (i < end && b[i] >= 0) {
                i++;
                if ((i & 7) == 0) {
                    break;
                }
            }
            if (i >= end || b[i] >= 0) {
                continue;
            }
            int c = b[i] & 0xFF;
            if (c < 0xC2) {
                return false; // a continuation byte without a lead, or an overlong 2-byte form
            } else if (c < 0xE0) {
                if (i + 1 >= end || (b[i + 1] & 0xC0) != 0x80) {
                    return false;
                }
                i += 2;
            } else if (c < 0xF0) {
                if (i + 2 >= end) {
                    return false;
                }
                int c1 = b[i + 1] & 0xFF;
                if ((c1 & 0xC0) != 0x80 || (b[i + 2] & 0xC0) != 0x80
                        || (c == 0xE0 && c1 < 0xA0) // overlong
                        || (c == 0xED && c1 > 0x9F)) { // UTF-16 surrogates
                    return false;
                }
                i += 3;
            } else if (c < 0xF5) {
                if (i + 3 >= end) {
                    return false;
                }
                int c1 = b[i + 1] & 0xFF;
                if ((c1 & 0xC0) != 0x80 || (b[i + 2] & 0xC0) != 0x80 || (b[i + 3] & 0xC0) != 0x80
                        || (c == 0xF0 && c1 < 0x90) // overlong
                        || (c == 0xF4 && c1 > 0x8F)) { // above U+10FFFF
                    return false;
                }
                i += 4;
            } else {
                return false;
            }
        }
        return true;
    }

    private static void readObject(JsonParser p, Inbound in) throws IOException {
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken v = p.nextToken();
            switch (field) {
                case "type" -> {
                    String s = str(p, v, in, field);
                    in.rawType = s;
                    in.type = typeOf(s);
                }
                case "_reqId" -> {
                    // a repeated key wins as in JSON.parse: every branch resets what an earlier value set
                    in.reqIdNumeric = false;
                    in.reqId = null;
                    if (v == JsonToken.VALUE_STRING) {
                        in.reqId = p.getText();
                    } else if (v == JsonToken.VALUE_NUMBER_INT) {
                        in.reqId = p.getText();
                        // echoed as a JSON number, which the writer holds as a long; a bigger one is echoed as text
                        in.reqIdNumeric = p.getNumberType() != JsonParser.NumberType.BIG_INTEGER;
                    } else {
                        p.skipChildren();
                    }
                }
                case "meshId" -> in.meshId = str(p, v, in, field);
                case "memberId" -> in.memberId = str(p, v, in, field);
                case "pubkey" -> in.pubkey = str(p, v, in, field);
                case "sessionPubkey" -> in.sessionPubkey = str(p, v, in, field);
                case "parentMemberId" -> in.parentMemberId = str(p, v, in, field);
                case "parentMemberPubkey" -> in.parentMemberPubkey = str(p, v, in, field);
                case "displayName" -> in.displayName = str(p, v, in, field);
                case "sessionId" -> in.sessionId = str(p, v, in, field);
                case "pid" -> in.pid = integer(p, v, in, field);
                case "cwd" -> in.cwd = str(p, v, in, field);
                case "hostname" -> in.hostname = str(p, v, in, field);
                case "peerType" -> in.peerType = str(p, v, in, field);
                case "channel" -> in.channel = str(p, v, in, field);
                case "model" -> in.model = str(p, v, in, field);
                case "role" -> in.role = str(p, v, in, field);
                case "groups" -> in.groups = groups(p, v, in);
                case "timestamp" -> in.timestamp = integer(p, v, in, field);
                case "signature" -> in.signature = str(p, v, in, field);
                case "parentAttestation" -> attestation(p, v, in);
                case "id" -> {
                    in.idNumeric = false;
                    in.hasId = false;
                    in.id = null;
                    if (v == JsonToken.VALUE_STRING || v == JsonToken.VALUE_NUMBER_INT) {
                        in.id = p.getText();
                        in.hasId = true;
                        // echoed as given (PROTOCOL §4.1): a number as a number, when it fits the writer's long
                        in.idNumeric = v == JsonToken.VALUE_NUMBER_INT
                                && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER;
                    } else {
                        wrong(p, v, in, field);
                    }
                }
                case "client_message_id" -> in.clientMessageId = str(p, v, in, field);
                case "request_fingerprint" -> in.requestFingerprint = str(p, v, in, field);
                case "targetSpec" -> in.targetSpec = str(p, v, in, field);
                case "priority" -> in.priority = str(p, v, in, field);
                case "nonce" -> in.nonce(base64(p, v, in, field));
                case "ciphertext" -> in.ciphertext(base64(p, v, in, field));
                case "clientMessageId" -> in.clientMessageId = str(p, v, in, field);
                case "brokerMessageId" -> in.brokerMessageId = str(p, v, in, field);
                case "status" -> in.status = str(p, v, in, field);
                case "summary" -> {
                    in.hasSummary = true;
                    in.summary = str(p, v, in, field);
                }
                case "name" -> in.name = str(p, v, in, field);
                default -> p.skipChildren();
            }
        }
        if (t != JsonToken.END_OBJECT) {
            throw new IOException("unexpected token " + t);
        }
    }

    private static Inbound.Type typeOf(String s) {
        return Inbound.Type.forName(s);
    }

    private static void wrong(JsonParser p, JsonToken v, Inbound in, String field) throws IOException {
        if (v != JsonToken.VALUE_NULL && in.wrongTypeField == null) {
            in.wrongTypeField = field;
        }
        p.skipChildren();
    }

    private static String str(JsonParser p, JsonToken v, Inbound in, String field) throws IOException {
        if (v == JsonToken.VALUE_STRING) {
            return p.getText();
        }
        wrong(p, v, in, field);
        return null;
    }

    private static Long integer(JsonParser p, JsonToken v, Inbound in, String field) throws IOException {
        if (v == JsonToken.VALUE_NUMBER_INT) {
            if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                wrong(p, v, in, field);
                return null;
            }
            return p.getLongValue();
        }
        if (v == JsonToken.VALUE_NUMBER_FLOAT) {
            double d = p.getDoubleValue();
            if (d == Math.rint(d) && Math.abs(d) < 9.0e15) {
                return (long) d;
            }
        }
        wrong(p, v, in, field);
        return null;
    }

    private static byte[] base64(JsonParser p, JsonToken v, Inbound in, String field) throws IOException {
        if (v != JsonToken.VALUE_STRING) {
            wrong(p, v, in, field);
            return null;
        }
        char[] chars = p.getTextCharacters();
        int off = p.getTextOffset();
        int n = p.getTextLength();
        byte[] out = new byte[n];
        boolean ok = (n % 4) == 0;
        int pad = 0;
        for (int i = 0; i < n && ok; i++) {
            char c = chars[off + i];
            if (c == '=') {
                pad++;
                if (i < n - 2) {
                    ok = false;
                }
            } else if (pad > 0 || !isBase64Char(c)) {
                ok = false;
            }
            out[i] = (byte) c;
        }
        if (!ok && in.badBase64Field == null) {
            in.badBase64Field = field;
        }
        return out;
    }

    static boolean isBase64Char(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    }

    private static List<GroupRole> groups(JsonParser p, JsonToken v, Inbound in) throws IOException {
        if (v != JsonToken.START_ARRAY) {
            wrong(p, v, in, "groups");
            return null;
        }
        List<GroupRole> out = new ArrayList<>();
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t == JsonToken.START_OBJECT) {
                String name = null;
                String role = null;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String f = p.currentName();
                    JsonToken fv = p.nextToken();
                    if ("name".equals(f) && fv == JsonToken.VALUE_STRING) {
                        name = p.getText();
                    } else if ("role".equals(f) && fv == JsonToken.VALUE_STRING) {
                        role = p.getText();
                    } else {
                        p.skipChildren();
                    }
                }
                if (name != null && !name.isEmpty() && out.size() < MAX_GROUPS) {
                    out.add(new GroupRole(name, role));
                }
            } else if (t == JsonToken.VALUE_STRING) {
                if (!p.getText().isEmpty() && out.size() < MAX_GROUPS) {
                    out.add(new GroupRole(p.getText(), null));
                }
            } else {
                p.skipChildren();
            }
        }
        return out;
    }

    private static void attestation(JsonParser p, JsonToken v, Inbound in) throws IOException {
        if (v != JsonToken.START_OBJECT) {
            wrong(p, v, in, "parentAttestation");
            return;
        }
        in.hasAttestation = true;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            JsonToken fv = p.nextToken();
            switch (f) {
                case "sessionPubkey" -> in.attSessionPubkey = str(p, fv, in, "parentAttestation.sessionPubkey");
                case "parentMemberPubkey" -> in.attParentMemberPubkey =
                        str(p, fv, in, "parentAttestation.parentMemberPubkey");
                case "expiresAt" -> in.attExpiresAt = integer(p, fv, in, "parentAttestation.expiresAt");
                case "signature" -> in.attSignature = str(p, fv, in, "parentAttestation.signature");
                default -> p.skipChildren();
            }
        }
    }
}
