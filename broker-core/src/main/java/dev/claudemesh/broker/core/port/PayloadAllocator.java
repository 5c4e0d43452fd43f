package dev.claudemesh.broker.core.port;

import dev.claudemesh.broker.core.model.Payload;

import java.util.Arrays;

/**
 * Makes the {@link Payload} of a DM from the bytes of the frame being read (which the caller reuses right after).
 * The transport plugs in a pooled, off-heap one (so a DM's nonce and ciphertext cost no heap); {@link #HEAP} copies
 * into two arrays, for tests and embedders without a pool. Called on mesh loops; must be thread-safe.
 */
@FunctionalInterface
public interface PayloadAllocator {

    /** Copies the two ranges into a new payload with one reference. */
    Payload copy(byte[] nonce, int nonceOff, int nonceLen, byte[] ciphertext, int ciphertextOff, int ciphertextLen);

    /** Two heap arrays per payload; no counting. */
    PayloadAllocator HEAP = (n, no, nl, c, co, cl) ->
            Payload.heap(Arrays.copyOfRange(n, no, no + nl), Arrays.copyOfRange(c, co, co + cl));
}
