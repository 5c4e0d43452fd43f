package dev.claudemesh.broker.core.topic;

/**
 * Where a topic's event stream (the REST API's server-sent events, PROTOCOL-MESH §8.10) gets the topic's messages:
 * first those it missed (after its {@code Last-Event-ID}), then each message once it is committed, in commit order,
 * whichever side (WebSocket or REST) posted it. Implemented by the HTTP layer. <b>Thread:</b> called on the mesh loop;
 * must not block (writes hop to the connection's own thread).
 */
public interface TopicStreamSink {

    /**
     * One message of the topic. Returns false when the stream is gone or gave up (a client that does not read:
     * the sink bounds what it buffers and closes instead of growing), after which the mesh forgets the stream.
     */
    boolean message(TopicStore.Message message);

    /**
     * True while the client has taken enough of what was written that the replay of missed messages may write more;
     * when false the replay pauses until {@link #whenDrained} calls back.
     */
    boolean backlogWritable();

    /**
     * Runs {@code resume} (on any thread) once what was written so far has gone to the client's socket, or the stream
     * is closed.
     */
    void whenDrained(Runnable resume);

    /** The messages a reconnecting stream missed could not be read: tell the client (e.g. an {@code error} event). */
    void backlogFailed();

    /** False once the client is gone. */
    boolean isOpen();

    /** The mesh was deleted: end the stream (the client is told nothing more will come). */
    default void end() {
    }
}
